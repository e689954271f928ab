"""Self-checks are ledger work: launching raises a task per unit, submitting closes it; 日常排查
starts itself on the first working day of each month."""

from __future__ import annotations

import datetime

import pytest

from core import workdays
from ledger.choices import SourceKind, TaskStatus
from ledger.models import Task
from risks import actions
from risks.choices import AnswerResult, CampaignKind
from risks.models import ScreeningCampaign
from risks.tests.conftest import workday

pytestmark = pytest.mark.django_db


def test_launch_raises_a_task_per_unit_and_submitting_closes_it(world, domains):
    campaign = actions.do_launch_campaign(
        kind="special", title="两会前专项排查", start_date=workday(0), due_date=workday(5),
        units=[world.unit_a, world.unit_b], acting_user=world.admin)
    tasks = Task.objects.filter(source_kind=SourceKind.RISK, title__contains="两会前专项排查")
    assert sorted(t.unit_id for t in tasks) == sorted([world.unit_a.pk, world.unit_b.pk])
    assert {t.due_date for t in tasks} == {workday(5)}

    check = campaign.checks.get(unit=world.unit_a)
    answers = {a.pk: {"result": AnswerResult.OK} for a in check.answers.all()}
    actions.do_save_self_check(check, answers=answers, submit=True, acting_user=world.staff_a)
    assert tasks.get(unit=world.unit_a).status == TaskStatus.DONE  # staff submitted: no head confirmation
    assert tasks.get(unit=world.unit_b).status == TaskStatus.NOT_STARTED


def test_monthly_daily_screening_launches_once_on_the_first_working_day(world, domains):
    first = workdays.first_workday_of_month(2026, 10)  # after the National Day holiday
    later = workdays.next_workday(first)
    assert actions.launch_monthly_screening(first - datetime.timedelta(days=1)) is None
    campaign = actions.launch_monthly_screening(first)
    assert campaign is not None and campaign.kind == CampaignKind.DAILY
    assert campaign.due_date == workdays.last_workday_of_month(2026, 10)
    unit_ids = set(campaign.checks.values_list("unit_id", flat=True))
    assert world.unit_a.pk in unit_ids and world.office.pk in unit_ids and world.root.pk not in unit_ids
    assert Task.objects.filter(title__contains=campaign.title).count() == len(unit_ids)
    assert actions.launch_monthly_screening(first) is None  # once a month
    assert actions.launch_monthly_screening(later) is None
    assert ScreeningCampaign.objects.filter(kind=CampaignKind.DAILY).count() == 1


def test_first_working_day_of_october_follows_the_holiday() -> None:
    assert workdays.first_workday_of_month(2026, 10) > datetime.date(2026, 10, 7)
