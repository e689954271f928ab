"""Alert and incident endpoints of the opinion API (/api/opinion): incidents (list, get, open,
advance), alerts (list, sign for), alert rules (CRUD).

Rows are read through `visible_to` like the UI; writes go through opinion.actions. Statuses:
404 — the incident, alert, rule, unit or person is missing or out of scope; 403 — visible but not
allowed (logged as DENIED); 409 — input the current data refuses (order of stages, a missing 研判意见,
a stale `version` → `{"detail", "code": "conflict", "current_version"}`); 422 — schema mismatch.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictBool

from core.audit import deny
from ledger.actions import ConflictError
from ledger.api import MULTILINE, MULTILINE_NAME, ConflictOut, ErrorOut, Version, _name, _text
from opinion import actions
from opinion import incidents as rules
from opinion.models import Alert, AlertRule, Event, Incident, KeywordRule, Source
from opinion.models.alerts import RULE_MODES, AlertLevel, AlertStatus, ThresholdMetric
from opinion.models.incidents import STAGE_ORDER
from org.api import INT32, MAX_ID, BodySchema, Id, QuerySchema
from org.models import Person, Unit

router = Router()

LevelCode = Literal[tuple(AlertLevel.values)]  # type: ignore[valid-type]
StageCode = Literal[tuple(STAGE_ORDER)]  # type: ignore[valid-type]
StageFilter = Literal[(*STAGE_ORDER, "open")]  # type: ignore[valid-type]
AlertStatusCode = Literal[tuple(AlertStatus.values)]  # type: ignore[valid-type]
ModeCode = Literal[tuple(m.value for m in RULE_MODES)]  # type: ignore[valid-type]
MetricCode = Literal[tuple(ThresholdMetric.values)]  # type: ignore[valid-type]

READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut}


# --- output -----------------------------------------------------------------------------------------


class IncidentRowOut(Schema):
    id: int
    title: str
    level: str
    level_label: str
    stage: str
    stage_label: str
    unit_id: int
    unit_name: str
    owner_id: int | None
    owner_name: str | None
    event_id: int | None
    alert_id: int | None
    stage_due_at: datetime.datetime | None
    is_late: bool
    escalation_count: int
    created_at: datetime.datetime
    closed_at: datetime.datetime | None
    version: int
    url: str

    @staticmethod
    def resolve_level_label(obj: Incident) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_stage_label(obj: Incident) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_unit_name(obj: Incident) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_owner_name(obj: Incident) -> str | None:
        return obj.owner.name if obj.owner_id else None

    @staticmethod
    def resolve_is_late(obj: Incident) -> bool:
        return rules.is_late(obj)

    @staticmethod
    def resolve_url(obj: Incident) -> str:
        return reverse("opinion:incident_detail", args=[obj.pk])


class IncidentLogOut(Schema):
    at: datetime.datetime
    kind: str
    from_stage: str
    to_stage: str
    text: str
    actor_name: str

    @staticmethod
    def resolve_actor_name(obj: Any) -> str:
        return str(obj.actor) if obj.actor_id else "系统"


class IncidentStatementOut(Schema):
    id: int
    text: str
    published_at: datetime.datetime


class IncidentTaskOut(Schema):
    id: int
    title: str
    unit_id: int
    due_date: datetime.date
    status: str


class IncidentDetailOut(IncidentRowOut):
    description: str
    analysis: str
    measures: str
    outcome: str
    history: list[IncidentLogOut]
    statements: list[IncidentStatementOut]
    tasks: list[IncidentTaskOut]

    @staticmethod
    def resolve_history(obj: Incident) -> list[Any]:
        return list(obj.logs.select_related("actor"))

    @staticmethod
    def resolve_statements(obj: Incident) -> list[Any]:
        return list(obj.statements.all())

    @staticmethod
    def resolve_tasks(obj: Incident) -> list[Any]:
        from ledger.actions import tasks_raised_by

        return list(tasks_raised_by(obj).order_by("id"))


class IncidentPage(Schema):
    items: list[IncidentRowOut]
    count: int
    limit: int
    offset: int


class OpinionAlertOut(Schema):
    id: int
    title: str
    mode: str
    level: str
    level_label: str
    reason: str
    status: str
    status_label: str
    unit_id: int | None
    rule_id: int | None
    event_id: int | None
    item_id: int | None
    incident_id: int | None
    created_at: datetime.datetime
    notified_at: datetime.datetime | None
    held_until: datetime.datetime | None
    url: str

    @staticmethod
    def resolve_level_label(obj: Alert) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_status_label(obj: Alert) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_url(obj: Alert) -> str:
        return reverse("opinion:alert_detail", args=[obj.pk])


class OpinionAlertPage(Schema):
    items: list[OpinionAlertOut]
    count: int
    limit: int
    offset: int


class OpinionAlertRuleOut(Schema):
    id: int
    name: str
    unit_id: int
    mode: str
    level: str
    keyword_rule_id: int | None
    metric: str
    threshold: float | None
    window_minutes: int
    source_id: int | None
    min_confidence: float
    weekdays: list[int]
    active_from: datetime.time | None
    active_to: datetime.time | None
    quiet_start: datetime.time | None
    quiet_end: datetime.time | None
    recipient_ids: list[int]
    enabled: bool
    version: int

    @staticmethod
    def resolve_recipient_ids(obj: AlertRule) -> list[int]:
        return [p.pk for p in obj.recipients.all()]


# --- input ------------------------------------------------------------------------------------------


class IncidentQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=INT32)
    q: _text(100) = ""  # type: ignore[valid-type]
    stage: StageFilter | None = Field(None, description="环节；open 表示未办结")
    level: LevelCode | None = None
    late: bool | None = Field(None, description="仅超时未办的")
    unit_id: Id | None = None


class IncidentOpenIn(BodySchema):
    alert_id: Id | None = Field(None, description="由预警受理")
    event_id: Id | None = None
    title: _text(300) = Field("", description="留空时取预警标题")  # type: ignore[valid-type]
    level: LevelCode | None = None
    unit_id: Id
    owner_id: Id | None = None
    description: _text(10_000, MULTILINE) = ""  # type: ignore[valid-type]


class IncidentAdvanceIn(BodySchema):
    to_stage: StageCode
    version: Version
    analysis: _text(10_000, MULTILINE) | None = None  # type: ignore[valid-type]
    level: LevelCode | None = None
    measures: _text(10_000, MULTILINE) | None = None  # type: ignore[valid-type]
    outcome: _text(10_000, MULTILINE) | None = None  # type: ignore[valid-type]
    note: _text(500) = ""  # type: ignore[valid-type]


class OpinionAlertQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=INT32)
    scope: Literal["mine", "all"] = Field("mine", description="mine：发给我的；all：权限范围内全部（舆情分析员）")
    status: AlertStatusCode | None = None
    level: LevelCode | None = None


class OpinionManualAlertIn(BodySchema):
    event_id: Id | None = Field(None, description="事件与信息二选一")
    item_id: Id | None = None
    level: LevelCode
    reason: _name(2000, MULTILINE_NAME)  # type: ignore[valid-type]
    recipient_ids: list[Id] = Field(..., min_length=1, max_length=100, description="接收人（人员 id）")


class OpinionAlertRuleIn(BodySchema):
    name: _name(100, MULTILINE_NAME)  # type: ignore[valid-type]
    unit_id: Id
    mode: ModeCode
    level: LevelCode
    keyword_rule_id: Id | None = None
    metric: MetricCode | None = None
    threshold: float | None = Field(None, ge=0, le=1e9)
    window_minutes: int = Field(60, ge=1, le=10_080)
    source_id: Id | None = None
    min_confidence: float = Field(0.6, ge=0, le=1)
    weekdays: list[int] = Field(default_factory=list, max_length=7)
    active_from: datetime.time | None = None
    active_to: datetime.time | None = None
    quiet_start: datetime.time | None = None
    quiet_end: datetime.time | None = None
    recipient_ids: list[Id] = Field(default_factory=list, max_length=100)
    enabled: StrictBool = True
    version: Version | None = None


# --- helpers ----------------------------------------------------------------------------------------


def _refused(exc: ValidationError, incident: Incident | None = None) -> Status:
    if isinstance(exc, ConflictError) or getattr(exc, "code", None) == "conflict":
        current = Incident.objects.filter(pk=incident.pk).values_list("version", flat=True).first() if incident else None
        return Status(409, {"detail": exc.messages[0], "code": "conflict", "current_version": current})
    return Status(409, {"detail": exc.message_dict if hasattr(exc, "error_dict") else exc.messages})


def _require_view(user: Any) -> None:
    if not rules.can_view(user):
        raise PermissionDenied("无权查看舆情信息（需要舆情查看权限）")


def _incident(request: HttpRequest, pk: int) -> Incident:
    _require_view(request.auth)
    return (Incident.objects.select_related("unit", "owner")
            .get_visible_or_404(request.auth, "view", pk=pk))


def _person(user: Any, person_id: int | None, unit_id: int, field: str) -> Any:
    if person_id is None:
        return None
    person = Person.objects.visible_to(user, "view").filter(pk=person_id).first()
    if person is None:
        return Status(404, {"detail": {field: ["人员不存在或无权访问"]}})
    if person.unit_id != unit_id or not person.is_active:
        return Status(409, {"detail": {field: ["责任人须为受理单位的在岗人员"]}})
    return person


# --- incidents --------------------------------------------------------------------------------------


@router.get("/incidents", response={200: IncidentPage, **READ}, summary="舆情处置台账")
def list_incidents(request: HttpRequest, query: Query[IncidentQuery]) -> Any:
    _require_view(request.auth)
    filters = rules.IncidentFilters(q=" ".join(query.q.split()), stage=query.stage or "", level=query.level or "",
                                    late=bool(query.late), unit_id=query.unit_id)
    qs = rules.incident_list(request.auth, filters)
    return {"items": list(qs[query.offset: query.offset + query.limit]), "count": qs.count(), "limit": query.limit,
            "offset": query.offset}


@router.get("/incidents/{id}", response={200: IncidentDetailOut, **READ}, summary="处置事项详情（含全过程记录）")
def get_incident(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _incident(request, id)


@router.post("/incidents", response={201: IncidentDetailOut, **WRITE}, summary="受理（由预警、事件或人工登记）")
def open_incident(request: HttpRequest, payload: IncidentOpenIn) -> Any:
    user = request.auth
    if not rules.can_manage(user):
        deny(user, "仅舆情分析员可受理舆情事件", object_type="opinion.incident")
    unit = Unit.objects.visible_to(user, "work").filter(pk=payload.unit_id, is_active=True).first()
    if unit is None:
        return Status(404, {"detail": {"unit_id": ["单位不存在、已停用或不在您的权限范围内"]}})
    alert = None
    if payload.alert_id is not None:
        alert = Alert.objects.visible_to(user, "view").filter(pk=payload.alert_id).first()
        if alert is None:
            return Status(404, {"detail": {"alert_id": ["预警不存在或无权访问"]}})
    event = None
    if payload.event_id is not None:
        event = Event.objects.filter(pk=payload.event_id).first()
        if event is None:
            return Status(404, {"detail": {"event_id": ["舆情事件不存在"]}})
    owner = _person(user, payload.owner_id, unit.pk, "owner_id")
    if isinstance(owner, Status):
        return owner
    try:
        incident = actions.do_open_incident(alert=alert, event=event, title=payload.title, level=payload.level or "",
                                            unit=unit, owner=owner, description=payload.description,
                                            acting_user=user)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _incident(request, incident.pk))


@router.post("/incidents/{id}/advance", response={200: IncidentDetailOut, **WRITE},
             summary="流转到下一环节（受理→研判→处置→反馈→已办结，须带 version）")
def advance_incident(request: HttpRequest, payload: IncidentAdvanceIn,
                     id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    incident = _incident(request, id)
    try:
        actions.do_advance_incident(incident, to_stage=payload.to_stage, acting_user=request.auth,
                                    expected_version=payload.version, analysis=payload.analysis,
                                    level=payload.level, measures=payload.measures, outcome=payload.outcome,
                                    note=payload.note)
    except ValidationError as exc:
        return _refused(exc, incident)
    return _incident(request, id)


# --- alerts -----------------------------------------------------------------------------------------


@router.get("/alerts", response={200: OpinionAlertPage, **READ}, summary="舆情预警")
def list_alerts(request: HttpRequest, query: Query[OpinionAlertQuery]) -> Any:
    user = request.auth
    qs = Alert.objects.all()
    if query.scope == "all" and rules.can_manage(user):
        qs = qs.visible_to(user, "view")
    else:
        qs = qs.filter(recipients=user)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.level:
        qs = qs.filter(level=query.level)
    qs = qs.order_by("-created_at", "-id")
    return {"items": list(qs[query.offset: query.offset + query.limit]), "count": qs.count(), "limit": query.limit,
            "offset": query.offset}


def _alert(user: Any, pk: int) -> Alert:
    from django.http import Http404

    alert = Alert.objects.filter(pk=pk).first()
    if alert is None:
        raise Http404
    mine = alert.recipients.filter(pk=user.pk).exists()
    if not mine and not (rules.can_view(user) and Alert.objects.visible_to(user, "view").filter(pk=pk).exists()):
        raise Http404
    return alert


@router.post("/alerts/{id}/ack", response={200: OpinionAlertOut, **WRITE}, summary="签收预警")
def ack_alert(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    alert = _alert(request.auth, id)
    try:
        return actions.do_ack_alert(alert, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)


@router.post("/alerts", response={201: OpinionAlertOut, **WRITE}, summary="人工预警（立即送达）")
def raise_alert(request: HttpRequest, payload: OpinionManualAlertIn) -> Any:
    from opinion.models import Item

    user = request.auth
    if not rules.can_manage(user):
        deny(user, "仅舆情分析员可发布人工预警", object_type="opinion.alert")
    if (payload.event_id is None) == (payload.item_id is None):
        return Status(409, {"detail": {"event_id": ["请指定舆情事件或信息（二选一）"]}})
    target = (Event.objects.filter(pk=payload.event_id).first() if payload.event_id
              else Item.objects.filter(pk=payload.item_id).first())
    if target is None:
        field = "event_id" if payload.event_id else "item_id"
        return Status(404, {"detail": {field: ["事件或信息不存在"]}})
    people = list(Person.objects.visible_to(user, "view").filter(pk__in=payload.recipient_ids)
                  .select_related("user"))
    if len(people) != len(set(payload.recipient_ids)):
        return Status(404, {"detail": {"recipient_ids": ["接收人不存在或无权访问"]}})
    try:
        alert = actions.do_raise_alert(target, level=payload.level, reason=payload.reason, recipients=people,
                                       acting_user=user)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, alert)


# --- alert rules ------------------------------------------------------------------------------------


def _rules_qs(user: Any) -> Any:
    if not rules.can_manage(user):
        raise PermissionDenied("仅舆情分析员可管理预警规则")
    return AlertRule.objects.visible_to(user, "view").prefetch_related("recipients")


@router.get("/alert-rules", response={200: list[OpinionAlertRuleOut], **READ}, summary="预警规则")
def list_alert_rules(request: HttpRequest) -> Any:
    return list(_rules_qs(request.auth).order_by("unit_id", "name")[:500])


def _save_rule(request: HttpRequest, rule: AlertRule | None, payload: OpinionAlertRuleIn) -> Any:
    user = request.auth
    unit = Unit.objects.visible_to(user, "work").filter(pk=payload.unit_id, is_active=True).first()
    if unit is None:
        return Status(404, {"detail": {"unit_id": ["单位不存在、已停用或不在您的权限范围内"]}})
    keyword = None
    if payload.keyword_rule_id is not None:
        keyword = KeywordRule.objects.visible_to(user, "view").filter(pk=payload.keyword_rule_id).first()
        if keyword is None:
            return Status(404, {"detail": {"keyword_rule_id": ["关键词规则不存在或无权访问"]}})
    source = None
    if payload.source_id is not None:
        source = Source.objects.filter(pk=payload.source_id).first()
        if source is None:
            return Status(404, {"detail": {"source_id": ["信息源不存在"]}})
    people = list(Person.objects.visible_to(user, "view").filter(pk__in=payload.recipient_ids, is_active=True))
    if len(people) != len(set(payload.recipient_ids)):
        return Status(404, {"detail": {"recipient_ids": ["接收人不存在或无权访问"]}})
    data = payload.model_dump(exclude={"unit_id", "keyword_rule_id", "source_id", "recipient_ids", "version"})
    data.update(keyword_rule=keyword, source=source, metric=data.get("metric") or "")
    try:
        saved = actions.do_save_alert_rule(rule, unit=unit, recipients=people, acting_user=user,
                                           expected_version=payload.version, **data)
    except ValidationError as exc:
        return _refused(exc)
    return saved


@router.post("/alert-rules", response={201: OpinionAlertRuleOut, **WRITE}, summary="新建预警规则")
def create_alert_rule(request: HttpRequest, payload: OpinionAlertRuleIn) -> Any:
    _rules_qs(request.auth)
    result = _save_rule(request, None, payload)
    return result if isinstance(result, Status) else Status(201, result)


@router.put("/alert-rules/{id}", response={200: OpinionAlertRuleOut, **WRITE}, summary="修改预警规则")
def update_alert_rule(request: HttpRequest, payload: OpinionAlertRuleIn,
                      id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    rule = _rules_qs(request.auth).get_visible_or_404(request.auth, "view", pk=id)
    return _save_rule(request, rule, payload)


@router.delete("/alert-rules/{id}", response={204: None, **WRITE}, summary="删除预警规则")
def delete_alert_rule(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    rule = _rules_qs(request.auth).get_visible_or_404(request.auth, "view", pk=id)
    actions.do_delete_alert_rule(rule, acting_user=request.auth)
    return Status(204, None)
