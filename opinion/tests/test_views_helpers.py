"""Shared data for the monitoring UI/API tests (no tests here): sources, items, events, rules, users."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from django.utils import timezone

from core.roles import Role
from core.testing import make_user
from opinion.choices import Stage
from opinion.models import Event, EventHeat, Item, KeywordRule, RuleMatch, Source

_seq = itertools.count(1)


def index(text: str) -> str:
    from yishi_text.opinion.segment import index_tokens

    return index_tokens(text)


def make_source(name: str = "", **extra: Any) -> Source:
    return Source.objects.create(name=name or f"来源{next(_seq)}", kind=extra.pop("kind", "rss"),
                                 url=extra.pop("url", "https://news.example.cn/rss.xml"), **extra)


def _recent_today() -> datetime.datetime:
    """A distinct moment of the last 50 minutes that is still today (local time): pages count
    "today's" items, and in the first hour after midnight 50 minutes ago was yesterday."""
    now = timezone.now()
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    step = min(60.0, (now - midnight).total_seconds() / 50)
    return now - datetime.timedelta(seconds=(next(_seq) % 50) * step)


def make_item(source: Source, title: str, body: str = "", *, segment: bool = False, **extra: Any) -> Item:
    """An item as the pipeline leaves it (stage DONE). `segment=True` fills search_text with A1's tokens."""
    body = body or f"{title}。相关部门表示将认真研究并及时回应群众关切，后续进展将持续公布。"
    extra.setdefault("published_at", _recent_today())
    extra.setdefault("stage", Stage.DONE)
    extra.setdefault("sentiment", "neu")
    if segment:
        extra["search_text"] = index(f"{title}\n{body}")
    return Item.objects.create(source=source, title=title, body=body, **extra)


def make_event(title: str = "自来水厂停水事件", **extra: Any) -> Event:
    now = timezone.now()
    extra.setdefault("first_seen", now - datetime.timedelta(hours=3))
    extra.setdefault("last_seen", now)
    return Event.objects.create(title=title, **extra)


def seed(n: int, source: Source | None = None, event: Event | None = None) -> list[Item]:
    source = source or make_source()
    sentiments = ["neg", "neu", "pos"]
    rows = [Item(source=source, title=f"第{i}条 关于供水的报道", body="自来水公司通报管网维修，部分小区停水。" * 3,
                 published_at=timezone.now() - datetime.timedelta(minutes=i), stage=Stage.DONE,
                 sentiment=sentiments[i % 3], relevant=i % 2 == 0, event=event,
                 search_text="自来水 公司 通报 管网 维修 停水") for i in range(n)]
    return Item.objects.bulk_create(rows)


def make_rule(unit: Any, name: str, expression: str, user: Any = None, **extra: Any) -> KeywordRule:
    return KeywordRule.objects.create(unit=unit, name=name, expression=expression, created_by=user, **extra)


def heat(event: Event, n: int = 5) -> None:
    now = timezone.now()
    EventHeat.objects.bulk_create([EventHeat(event=event, at=now - datetime.timedelta(hours=n - i), heat=10.0 * i,
                                             item_count=i * 3, negative=i) for i in range(n)])


def match(item: Item, rule: KeywordRule, terms: list[str]) -> RuleMatch:
    return RuleMatch.objects.create(item=item, rule=rule, terms=terms)


@pytest.fixture
def analyst(world: Any) -> Any:
    """舆情分析员 of 宣传科 (opinion.view + opinion.manage)."""
    return make_user("analyst_a", world.unit_a, roles=[(Role.OPINION_ANALYST, world.unit_a)], name="分析员甲")


@pytest.fixture
def analyst_b(world: Any) -> Any:
    return make_user("analyst_b", world.unit_b, roles=[(Role.OPINION_ANALYST, world.unit_b)], name="分析员乙")
