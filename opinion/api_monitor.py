"""Monitoring endpoints of /api/opinion: items (filters + full-text search), events with their
timeline, keyword rules (CRUD, unit-scoped) with a test endpoint, and sources.

Every endpoint needs opinion.view (403 otherwise); rule writes need opinion.manage (403, logged as
DENIED). A rule outside the caller's unit scope answers 404, as a missing one does. A rule
expression the parser refuses answers 400 with the Chinese message and its 0-based `position`:
`{"detail": {"expression": [...]}, "code": "syntax", "message": "...", "position": 9}`; the test
endpoint answers a syntax error as its result (200, ok=false, error with message and position).
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictBool

from core.audit import deny
from core.roles import Perm
from core.scoping import has_perm
from ledger.api import MULTILINE, DateIn, _name, _text
from opinion import actions_monitor
from opinion.choices import EventStatus, RulePurpose, RuleScope, Sentiment
from opinion.filters import ItemFilters, filter_items, visible_items
from opinion.models import Event, EventHeat, Item, KeywordRule, RuleMatch, Source, SourceDayCount
from opinion.views import RULE_TEST_SAMPLE, run_rule_test
from org.api import MAX_ID, BodySchema, ErrorOut, Id, QuerySchema
from org.models import Unit

router = Router()

SentimentCode = Literal[tuple(Sentiment.values)]  # type: ignore[valid-type]
ScopeCode = Literal[tuple(RuleScope.values)]  # type: ignore[valid-type]
PurposeCode = Literal[tuple(RulePurpose.values)]  # type: ignore[valid-type]
EventStatusCode = Literal[tuple(EventStatus.values)]  # type: ignore[valid-type]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class OpinionRuleErrorOut(Schema):
    detail: Any
    code: str | None = Field(None, description="syntax：表达式语法错误")
    message: str | None = Field(None, description="语法错误说明（中文）")
    position: int | None = Field(None, description="出错位置（从 0 开始的字符序号）")


WRITE = {400: OpinionRuleErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _need_view(request: HttpRequest) -> None:
    if not has_perm(request.auth, Perm.OPINION_VIEW):
        raise PermissionDenied("无权查看舆情监测（需要舆情查看权限）")


def _need_manage(request: HttpRequest, message: str) -> None:
    _need_view(request)
    if not has_perm(request.auth, Perm.OPINION_MANAGE):
        deny(request.auth, message, object_type="opinion.keywordrule")


# --- output -----------------------------------------------------------------------------------------


def _effective(item: Item) -> str:
    return item.sentiment_label or item.sentiment


class OpinionItemOut(Schema):
    id: int
    title: str
    source_id: int
    source_name: str
    url: str
    canonical_url: str
    published_at: datetime.datetime
    received_at: datetime.datetime
    sentiment: str = Field(description="有效情感：人工标注优先，否则为模型判断；空串表示未分析")
    model_sentiment: str
    sentiment_confidence: float | None
    sentiment_label: str
    relevant: bool
    repost_of_id: int | None
    repost_count: int
    event_id: int | None
    page_url: str

    @staticmethod
    def resolve_source_name(obj: Item) -> str:
        return obj.source.name

    @staticmethod
    def resolve_sentiment(obj: Item) -> str:
        return _effective(obj)

    @staticmethod
    def resolve_model_sentiment(obj: Item) -> str:
        return obj.sentiment

    @staticmethod
    def resolve_page_url(obj: Item) -> str:
        return reverse("opinion:item_detail", args=[obj.pk])


class OpinionRuleMatchOut(Schema):
    rule_id: int
    rule_name: str
    terms: list[str]


class OpinionItemDetailOut(OpinionItemOut):
    body: str
    similarity: float | None
    stage: str
    skip_reason: str
    reposts: list[OpinionItemOut] = Field(description="原文的全部转载（最多 100 条）")
    matches: list[OpinionRuleMatchOut] = Field(description="命中的本单位范围内的监测规则")

    # Read from attributes the endpoint sets: the matches depend on the caller's scope.
    @staticmethod
    def resolve_reposts(obj: Item) -> list[Item]:
        return obj.reposts_out

    @staticmethod
    def resolve_matches(obj: Item) -> list[dict[str, Any]]:
        return obj.matches_out


class OpinionItemPage(Schema):
    items: list[OpinionItemOut]
    count: int
    limit: int
    offset: int


class OpinionEventOut(Schema):
    id: int
    title: str
    status: str
    first_seen: datetime.datetime
    last_seen: datetime.datetime
    heat: float
    growth: float
    item_count: int
    repost_count: int
    source_count: int
    positive: int
    neutral: int
    negative: int
    negative_share: float
    keywords: list[str]
    lead_item_id: int | None
    page_url: str

    @staticmethod
    def resolve_page_url(obj: Event) -> str:
        return reverse("opinion:event_detail", args=[obj.pk])


class OpinionHeatPoint(Schema):
    at: datetime.datetime
    heat: float
    item_count: int
    negative: int


class OpinionEventSourceOut(Schema):
    source_id: int
    source_name: str
    items: int


class OpinionEventDetailOut(OpinionEventOut):
    timeline: list[OpinionHeatPoint]
    sources: list[OpinionEventSourceOut]
    items: list[OpinionItemOut] = Field(description="事件的信息，按发布时间（最多 500 条）")

    @staticmethod
    def resolve_timeline(obj: Event) -> list[EventHeat]:
        return obj.timeline_out

    @staticmethod
    def resolve_sources(obj: Event) -> list[dict[str, Any]]:
        return obj.sources_out

    @staticmethod
    def resolve_items(obj: Event) -> list[Item]:
        return obj.items_out


class OpinionEventPage(Schema):
    items: list[OpinionEventOut]
    count: int
    limit: int
    offset: int


class OpinionRuleOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    name: str
    expression: str
    scope: str
    purpose: str
    enabled: bool
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_unit_name(obj: KeywordRule) -> str:
        return obj.unit.name


class OpinionRuleTestItem(Schema):
    id: int
    title: str
    source_name: str
    published_at: datetime.datetime
    terms: list[str]


class OpinionRuleSyntaxOut(Schema):
    message: str = Field(description="语法错误说明（中文）")
    position: int = Field(description="出错位置（从 0 开始的字符序号）")


class OpinionRuleTestOut(Schema):
    ok: bool = Field(description="表达式能否编译；false 时见 error，不试运行")
    error: OpinionRuleSyntaxOut | None
    sample_size: int
    matched_count: int
    matched: list[OpinionRuleTestItem]


class OpinionSourceOut(Schema):
    id: int
    name: str
    kind: str
    url: str
    enabled: bool
    interval_minutes: int
    weight: float
    is_official: bool
    last_success_at: datetime.datetime | None
    last_error: str
    last_error_at: datetime.datetime | None
    next_fetch_at: datetime.datetime | None
    items_total: int
    items_today: int
    per_day: list[int] = Field(description="近 7 天每日新增条数，由早到晚（最后一个是今天）")


# --- input ------------------------------------------------------------------------------------------


class OpinionItemQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=2**31 - 1)
    q: _text(200) = Field("", description="全文检索（中文分词，各词须同时出现）")  # type: ignore[valid-type]
    source_id: Id | None = None
    sentiment: SentimentCode | None = None
    relevant: bool | None = Field(None, description="true：只看相关信息")
    date_from: DateIn | None = None
    date_to: DateIn | None = None
    rule_id: Id | None = Field(None, description="命中的监测规则（仅本单位范围内的规则）")


class OpinionEventQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=2**31 - 1)
    status: EventStatusCode | None = None
    q: _text(100) = ""  # type: ignore[valid-type]


class OpinionRuleIn(BodySchema):
    unit_id: Id
    name: _name(100)  # type: ignore[valid-type]
    expression: _text(actions_monitor.MAX_EXPRESSION, MULTILINE)  # type: ignore[valid-type]
    scope: ScopeCode = RuleScope.ALL.value  # type: ignore[assignment]
    purpose: PurposeCode = RulePurpose.RELEVANCE.value  # type: ignore[assignment]
    enabled: StrictBool = True


class OpinionRulePatch(BodySchema):
    unit_id: Id | None = None
    name: _name(100) | None = None  # type: ignore[valid-type]
    expression: _text(actions_monitor.MAX_EXPRESSION, MULTILINE) | None = None  # type: ignore[valid-type]
    scope: ScopeCode | None = None
    purpose: PurposeCode | None = None
    enabled: StrictBool | None = None


class OpinionRuleTestIn(BodySchema):
    expression: _text(actions_monitor.MAX_EXPRESSION, MULTILINE)  # type: ignore[valid-type]
    scope: ScopeCode = RuleScope.ALL.value  # type: ignore[assignment]
    limit: int = Field(RULE_TEST_SAMPLE, ge=1, le=RULE_TEST_SAMPLE, description="试运行的最近信息条数")


# --- items ------------------------------------------------------------------------------------------


@router.get("/items", response={200: OpinionItemPage, **READ}, summary="舆情信息（筛选与全文检索）")
def list_items(request: HttpRequest, query: Query[OpinionItemQuery]) -> Any:
    _need_view(request)
    filters = ItemFilters(q=query.q.strip(), source=query.source_id, sentiment=query.sentiment or "",
                          relevant=bool(query.relevant), date_from=query.date_from, date_to=query.date_to,
                          rule=query.rule_id)
    qs = filter_items(visible_items(), filters, request.auth).select_related("source").order_by("-published_at", "-id")
    return {"items": list(qs[query.offset: query.offset + query.limit]), "count": qs.count(), "limit": query.limit,
            "offset": query.offset}


@router.get("/items/{id}", response={200: OpinionItemDetailOut, **READ}, summary="舆情信息详情（转载链、命中规则）")
def get_item(request: HttpRequest, id: PathId) -> Any:  # noqa: A002
    _need_view(request)
    item = get_object_or_404(Item.objects.select_related("source"), pk=id)
    original_id = item.repost_of_id or item.pk
    reposts = list(Item.objects.filter(repost_of_id=original_id).select_related("source").order_by("published_at", "id")[:100])
    matches = RuleMatch.objects.filter(item=item, rule__in=KeywordRule.objects.visible_to(request.auth)).select_related("rule")
    item.reposts_out = reposts
    item.matches_out = [{"rule_id": m.rule_id, "rule_name": m.rule.name, "terms": m.terms} for m in matches]
    return item


# --- events -----------------------------------------------------------------------------------------


@router.get("/events", response={200: OpinionEventPage, **READ}, summary="舆情事件（按热度）")
def list_events(request: HttpRequest, query: Query[OpinionEventQuery]) -> Any:
    _need_view(request)
    qs = Event.objects.order_by("-heat", "-last_seen")
    if query.status:
        qs = qs.filter(status=query.status)
    if query.q.strip():
        qs = qs.filter(title__icontains=query.q.strip())
    return {"items": list(qs[query.offset: query.offset + query.limit]), "count": qs.count(), "limit": query.limit,
            "offset": query.offset}


@router.get("/events/{id}", response={200: OpinionEventDetailOut, **READ}, summary="事件详情（时间线、来源、信息）")
def get_event(request: HttpRequest, id: PathId) -> Any:  # noqa: A002
    _need_view(request)
    event = get_object_or_404(Event, pk=id)
    event.timeline_out = list(EventHeat.objects.filter(event=event).order_by("at")[:2000])
    sources = (Item.objects.filter(event=event).values("source_id", "source__name").annotate(n=Count("id"))
               .order_by("-n", "source__name"))
    event.sources_out = [{"source_id": s["source_id"], "source_name": s["source__name"], "items": s["n"]}
                         for s in sources]
    event.items_out = list(Item.objects.filter(event=event).select_related("source").order_by("published_at", "id")[:500])
    return event


# --- rules ------------------------------------------------------------------------------------------


def _rule(request: HttpRequest, pk: int) -> KeywordRule:
    return KeywordRule.objects.select_related("unit").get_visible_or_404(request.auth, "view", pk=pk)


def _syntax_refusal(expression: str) -> Status | None:
    error = actions_monitor.rule_syntax_error(expression.strip())
    if error is None:
        return None
    message = actions_monitor.describe_syntax_error(error)
    return Status(400, {"detail": {"expression": [message]}, "code": "syntax", "message": error.message,
                        "position": error.position})


def _unit(request: HttpRequest, unit_id: int) -> Unit | None:
    return Unit.objects.visible_to(request.auth, "view").filter(pk=unit_id, is_active=True).first()


@router.get("/rules", response={200: list[OpinionRuleOut], **READ}, summary="监测规则（本单位范围）")
def list_rules(request: HttpRequest) -> Any:
    _need_view(request)
    return list(KeywordRule.objects.visible_to(request.auth).select_related("unit").order_by("unit__path", "name"))


@router.post("/rules/test", response={200: OpinionRuleTestOut, 400: ErrorOut, **READ},  # 400: body not JSON
             summary="检查并试运行规则表达式（语法错误返回位置；对最近的信息返回命中信息与命中词）")
def test_rule_expression(request: HttpRequest, payload: OpinionRuleTestIn) -> Any:
    """A checker: a syntax error is the answer (200, ok=false, with its position), not a refusal."""
    _need_manage(request, "无权试运行监测规则（需要舆情管理权限）")
    error = actions_monitor.rule_syntax_error(payload.expression.strip())
    if error is not None:
        return {"ok": False, "error": {"message": error.message, "position": error.position}, "sample_size": 0,
                "matched_count": 0, "matched": []}
    result = run_rule_test(payload.expression.strip(), payload.scope, limit=payload.limit)
    return {"ok": True, "error": None, "sample_size": result["sample_size"], "matched_count": result["matched_count"],
            "matched": [{"id": it.pk, "title": it.title, "source_name": it.source.name,
                         "published_at": it.published_at, "terms": it.terms} for it in result["matched"]]}


# Registered before /rules/{id}: Django matches URL patterns in order.
@router.get("/rules/{id}", response={200: OpinionRuleOut, **READ}, summary="监测规则详情")
def get_rule(request: HttpRequest, id: PathId) -> Any:  # noqa: A002
    _need_view(request)
    return _rule(request, id)


@router.post("/rules", response={201: OpinionRuleOut, **WRITE}, summary="新建监测规则（表达式有误时返回位置）")
def create_rule(request: HttpRequest, payload: OpinionRuleIn) -> Any:
    _need_manage(request, "无权新建监测规则（需要舆情管理权限）")
    unit = _unit(request, payload.unit_id)
    if unit is None:
        return Status(404, {"detail": {"unit_id": ["单位不存在、已停用或不在您的权限范围内"]}})
    refusal = _syntax_refusal(payload.expression)
    if refusal is not None:
        return refusal
    rule = actions_monitor.do_create_rule(unit=unit, name=payload.name, expression=payload.expression,
                                          scope=payload.scope, purpose=payload.purpose, enabled=payload.enabled,
                                          acting_user=request.auth)
    return Status(201, _rule(request, rule.pk))


@router.patch("/rules/{id}", response={200: OpinionRuleOut, **WRITE}, summary="修改监测规则（版本号随之递增）")
def update_rule(request: HttpRequest, payload: OpinionRulePatch, id: PathId) -> Any:  # noqa: A002
    _need_view(request)
    rule = _rule(request, id)
    _need_manage(request, "无权修改监测规则（需要舆情管理权限）")
    changes = payload.dict(exclude_unset=True)
    for name in ("name", "expression", "scope", "purpose", "enabled", "unit_id"):
        if name in changes and changes[name] is None:
            return Status(422, {"detail": {name: ["不能为空"]}})
    if "unit_id" in changes:
        unit = _unit(request, changes.pop("unit_id"))
        if unit is None:
            return Status(404, {"detail": {"unit_id": ["单位不存在、已停用或不在您的权限范围内"]}})
        changes["unit"] = unit
    if "expression" in changes:
        refusal = _syntax_refusal(changes["expression"])
        if refusal is not None:
            return refusal
    actions_monitor.do_update_rule(rule, acting_user=request.auth, **changes)
    return _rule(request, id)


@router.delete("/rules/{id}", response={204: None, **WRITE}, summary="删除监测规则")
def delete_rule(request: HttpRequest, id: PathId) -> Any:  # noqa: A002
    _need_view(request)
    rule = _rule(request, id)
    _need_manage(request, "无权删除监测规则（需要舆情管理权限）")
    actions_monitor.do_delete_rule(rule, acting_user=request.auth)
    return Status(204, None)


# --- sources ----------------------------------------------------------------------------------------


@router.get("/sources", response={200: list[OpinionSourceOut], **READ}, summary="信息源（抓取状态与近 7 天条数）")
def list_sources(request: HttpRequest) -> Any:
    _need_view(request)
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=i) for i in range(6, -1, -1)]
    sources = list(Source.objects.order_by("name").prefetch_related(
        Prefetch("day_counts", queryset=SourceDayCount.objects.filter(date__gte=days[0]), to_attr="recent_counts")))
    rows = []
    for source in sources:
        by_day = {c.date: c.new for c in source.recent_counts}
        per_day = [by_day.get(day, 0) for day in days]
        rows.append({**{f: getattr(source, f) for f in (
            "id", "name", "kind", "url", "enabled", "interval_minutes", "weight", "is_official", "last_success_at",
            "last_error", "last_error_at", "next_fetch_at", "items_total")}, "items_today": per_day[-1],
            "per_day": per_day})
    return rows

