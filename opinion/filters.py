"""Filters of the item list (UI and API share them): source, sentiment, relevant only, date range,
rule, and full-text search (opinion.search)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from opinion.choices import Sentiment, Stage
from opinion.models import Item, KeywordRule, RuleMatch
from opinion.search import search_items


@dataclass
class ItemFilters:
    q: str = ""
    source: int | None = None
    sentiment: str = ""
    relevant: bool = False
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    rule: int | None = None
    errors: list[str] = field(default_factory=list)

    def active(self) -> bool:
        return bool(self.q or self.source or self.sentiment or self.relevant or self.date_from or self.date_to
                    or self.rule)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _date(value: Any, label: str, errors: list[str]) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors.append(f"{label}格式应为 YYYY-MM-DD")
        return None


def parse_item_filters(params: Any) -> ItemFilters:
    """Read the query string; a bad value is explained (errors) and that condition ignored."""
    errors: list[str] = []
    sentiment = params.get("sentiment") or ""
    if sentiment and sentiment not in Sentiment.values:
        errors.append("情感倾向无效")
        sentiment = ""
    filters = ItemFilters(
        q=(params.get("q") or "").strip()[:200],
        source=_int(params.get("source")),
        sentiment=sentiment,
        relevant=str(params.get("relevant") or "").lower() in ("1", "true", "on"),
        date_from=_date(params.get("date_from"), "起始日期", errors),
        date_to=_date(params.get("date_to"), "截止日期", errors),
        rule=_int(params.get("rule")),
        errors=errors,
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors.append("起始日期晚于截止日期")
        filters.date_from = filters.date_to = None
    return filters


def with_effective_sentiment(queryset: QuerySet, *, select: bool = False) -> QuerySet:
    """`effective`: an analyst's label wins over the model's (selected too when `select`)."""
    expression = Coalesce(NullIf("sentiment_label", Value("")), "sentiment")
    return queryset.annotate(effective=expression) if select else queryset.alias(effective=expression)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def visible_items() -> QuerySet:
    """Items people look at: everything except those the pipeline skipped (too short, not Chinese)."""
    return Item.objects.exclude(stage=Stage.SKIPPED)


def filter_items(queryset: QuerySet, filters: ItemFilters, user: Any) -> QuerySet:
    if filters.source:
        queryset = queryset.filter(source_id=filters.source)
    if filters.sentiment:
        queryset = with_effective_sentiment(queryset).filter(effective=filters.sentiment)
    if filters.relevant:
        queryset = queryset.filter(relevant=True)
    if filters.date_from:
        queryset = queryset.filter(published_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(published_at__lt=_day_start(filters.date_to + datetime.timedelta(days=1)))
    if filters.rule:
        # Only the user's own scope's rules: another unit's rule id filters to nothing.
        rules = KeywordRule.objects.visible_to(user).filter(pk=filters.rule).values("pk")
        queryset = queryset.filter(pk__in=RuleMatch.objects.filter(rule__in=rules).values("item_id"))
    if filters.q:
        queryset = search_items(queryset, filters.q)
    return queryset
