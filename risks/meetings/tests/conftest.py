"""Fixtures of the meetings tests: a token API client and a few records in 宣传科 (unit_a)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.utils import timezone

from core import workdays
from core.tokens import do_create_token
from risks.meetings import actions
from risks.meetings.choices import MeetingKind, PlanLevel


class Api:
    def __init__(self, client: Any, user: Any) -> None:
        _, key = do_create_token(user, "测试", acting_user=user)
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/meetings{path}", params, **self.headers)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        call = getattr(self.client, method)
        return call(f"/api/meetings{path}", json.dumps(body or {}), content_type="application/json", **self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.send("post", path, body)


@pytest.fixture
def api(client: Any) -> Any:
    return lambda user: Api(client, user)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def workday(today: datetime.date) -> datetime.date:
    """A working day at least a week ahead."""
    return workdays.add_workdays(today, 5)


@pytest.fixture
def meeting(world: Any, workday: datetime.date) -> Any:
    return actions.do_create_meeting(unit=world.unit_a, title="宣传科研判会", kind=MeetingKind.ANALYSIS,
                                     scheduled_on=workday, acting_user=world.head_a)


@pytest.fixture
def plan(world: Any) -> Any:
    steps = [actions.StepData("报告值班领导", 15, "值班人员"), actions.StepData("形成回应口径", 60, "办公室")]
    return actions.do_create_plan(unit=world.unit_a, title="舆情应急预案", level=PlanLevel.III,
                                  trigger="出现负面舆情", steps=steps, acting_user=world.head_a)


@pytest.fixture
def template(world: Any) -> Any:
    items = [actions.ItemData("政治导向", "内容导向正确"), actions.ItemData("舆情风险", "已研判舆情风险")]
    return actions.do_save_template(None, title="发布前评估清单", items=items, acting_user=world.admin)
