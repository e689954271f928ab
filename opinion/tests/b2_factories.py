"""Factories shared by the alert / incident / report / duty tests (B2): real rows, no mocks."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.utils import timezone

from core.roles import Role
from core.testing import make_user
from opinion.models import AlertRule, Event, Item, KeywordRule, RuleMatch, Source

_seq = itertools.count(1)


def analyst(world: Any, unit: Any = None, username: str = "analyst") -> Any:
    """A 舆情分析员 of 宣传科 (or `unit`)."""
    unit = unit or world.unit_a
    return make_user(username, unit, roles=[(Role.OPINION_ANALYST, unit)], name=f"{username}分析员")


def source(name: str = "测试日报", **extra: Any) -> Source:
    return Source.objects.get_or_create(name=name, defaults={"kind": "push", **extra})[0]


def event(title: str = "某地窗口服务遭投诉", **extra: Any) -> Event:
    now = timezone.now()
    values = {"first_seen": now - datetime.timedelta(hours=2), "last_seen": now, "item_count": 1, **extra}
    return Event.objects.create(title=title, **values)


def item(title: str = "市民反映窗口办事难", *, src: Source | None = None, ev: Event | None = None,
         sentiment: str = "neu", confidence: float = 0.9, relevant: bool = True, body: str = "",
         published_at: datetime.datetime | None = None, **extra: Any) -> Item:
    n = next(_seq)
    return Item.objects.create(
        source=src or source(), external_id=f"x{n}", title=title, body=body or f"{title}，正文第{n}条。",
        published_at=published_at or timezone.now(), stage="done", relevant=relevant, sentiment=sentiment,
        sentiment_confidence=confidence, event=ev, **extra)


def keyword_rule(unit: Any, name: str = "敏感词", expression: str = "爆炸|砸车", purpose: str = "sensitive") -> KeywordRule:
    return KeywordRule.objects.create(unit=unit, name=name, expression=expression, purpose=purpose)


def match(it: Item, rule: KeywordRule, terms: list[str]) -> RuleMatch:
    return RuleMatch.objects.create(item=it, rule=rule, terms=terms)


def alert_rule(unit: Any, name: str = "负面预警", *, mode: str = "negative", level: str = "yellow",
               recipients: list[Any] = (), **extra: Any) -> AlertRule:
    rule = AlertRule.objects.create(unit=unit, name=name, mode=mode, level=level, **extra)
    if recipients:
        rule.recipients.set([u.person for u in recipients])
    return rule


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(y, m, d, hh, mm))
