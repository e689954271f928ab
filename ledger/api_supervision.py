"""督办 endpoints of the API (mounted at /api/ledger next to the task endpoints).

Rows are read through `Supervision.objects.visible_to(caller)`: a supervision or task outside the
caller's scope is a 404, like a missing one. Writes go through ledger.supervision, so the API checks
exactly what the pages check. Statuses:

- 403 — visible, but the caller may not take this step (not a leader over the unit; not the issuing
  leader; the issuing leader trying to answer their own order); logged as DENIED;
- 404 — the supervision, task, rule or leader named is missing or out of scope;
- 409 — well-formed input the current state refuses: a stale `version` (someone acted meanwhile),
  a step out of turn (e.g. grading before the unit asked to close), an open supervision already on
  the task, a reply deadline before the day of issue, 不合格 without a comment;
- 422 — input that does not match the schema; 400 — a body that is not JSON.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator

from core.models import User
from ledger import supervision as sv
from ledger.choices import Grade, SupervisionLevel, SupervisionStatus
from ledger.models import ResponseRule, Supervision, SupervisionEvent, Task
from org.api import INT32, MAX_ID, NAME, TEXT, BodySchema, ErrorOut, QuerySchema

router = Router()


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("须为整数")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_not_bool)]
Version = Annotated[int, Field(ge=1, le=INT32, description="读取时的 version（乐观锁）"), BeforeValidator(_not_bool)]
StatusCode = Literal[tuple(SupervisionStatus.values)]  # type: ignore[valid-type]
LevelCode = Literal[tuple(SupervisionLevel.values)]  # type: ignore[valid-type]
GradeCode = Literal[tuple(Grade.values)]  # type: ignore[valid-type]
Step = Literal["acknowledge", "measures", "request_close", "close", "return"]


def _name(max_length: int) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length, pattern=NAME)]


def _text(max_length: int) -> Any:
    return Annotated[str, Field(max_length=max_length, pattern=TEXT)]


# --- output -----------------------------------------------------------------------------------------


class EvidenceLinkOut(Schema):
    id: int
    name: str
    url: str


class EventOut(Schema):
    id: int
    kind: StatusCode
    kind_label: str
    author_id: int
    author_name: str
    text: str
    at: datetime.datetime
    files: list[EvidenceLinkOut]


class StageOut(Schema):
    key: Literal["ack", "measures", "close", "reply"]
    label: str
    due: datetime.date
    done_on: datetime.date | None
    state: Literal["ontime", "late", "overdue", "due", "pending"]
    days: int = Field(..., description="超时或剩余的工作日数")


class SupervisionOut(Schema):
    id: int
    version: int
    task_id: int
    task_title: str
    unit_id: int
    unit_name: str
    leader_id: int
    leader_name: str
    order: str
    level: LevelCode
    level_label: str
    rule_id: int
    rule_name: str
    issued_on: datetime.date
    ack_due: datetime.date
    measures_due: datetime.date
    close_due: datetime.date
    reply_deadline: datetime.date
    status: StatusCode
    status_label: str
    acknowledged_at: datetime.datetime | None
    measures_at: datetime.datetime | None
    closing_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    grade: GradeCode | None
    grade_label: str
    grade_comment: str
    stages: list[StageOut]
    allowed_steps: list[Step] = Field(..., description="调用者当前可执行的环节")


class SupervisionDetailOut(SupervisionOut):
    events: list[EventOut]


class SupervisionPage(Schema):
    items: list[SupervisionOut]
    count: int
    limit: int
    offset: int


def _out(sup: Supervision, user: Any, *, events: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": sup.pk, "version": sup.version, "task_id": sup.task_id, "task_title": sup.task.title,
        "unit_id": sup.task.unit_id, "unit_name": sup.task.unit.name, "leader_id": sup.leader_id,
        "leader_name": str(sup.leader), "order": sup.order, "level": sup.level,
        "level_label": sup.get_level_display(), "rule_id": sup.rule_id, "rule_name": sup.rule.name,
        "issued_on": sup.issued_on, "ack_due": sup.ack_due, "measures_due": sup.measures_due,
        "close_due": sup.close_due, "reply_deadline": sup.reply_deadline, "status": sup.status,
        "status_label": sup.get_status_display(), "acknowledged_at": sup.acknowledged_at,
        "measures_at": sup.measures_at, "closing_at": sup.closing_at, "closed_at": sup.closed_at,
        "grade": sup.grade or None, "grade_label": sup.get_grade_display() if sup.grade else "",
        "grade_comment": sup.grade_comment,
        "stages": [
            {"key": s.key, "label": s.label, "due": s.due, "done_on": s.done_on, "state": s.state, "days": s.days}
            for s in sv.stages(sup)
        ],
        "allowed_steps": sorted(sv.allowed_steps(user, sup)),
    }
    if events:
        data["events"] = [_event(e) for e in sup.events.select_related("author").prefetch_related("files")]
    return data


def _event(event: SupervisionEvent) -> dict[str, Any]:
    return {
        "id": event.pk, "kind": event.kind, "kind_label": event.get_kind_display(), "author_id": event.author_id,
        "author_name": str(event.author), "text": event.text, "at": event.at,
        "files": [{"id": f.pk, "name": f.original_name, "url": reverse("core:file_download", args=[f.pk])}
                  for f in event.files.all()],
    }


# --- input ------------------------------------------------------------------------------------------


class SupervisionQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200, description="每页条数")
    offset: int = Field(0, ge=0, le=INT32, description="跳过的条数")
    box: Literal["mine", "issued", "all"] = Field("all", description="mine 待我办理；issued 我交办的；all 全部可见")
    status: StatusCode | Literal["open"] | None = Field(None, description="open 为全部未办结")
    task_id: Id | None = None
    q: _text(100) = Field("", description="任务名称或督办意见包含")  # type: ignore[valid-type]


class IssueIn(BodySchema):
    order: _name(5000) = Field(..., description="督办意见")  # type: ignore[valid-type]
    level: LevelCode = SupervisionLevel.ORDINARY.value
    rule_id: Id | None = Field(None, description="响应规则；不填为默认规则（13710）")
    reply_deadline: datetime.date | None = Field(None, description="回复期限；不填为规则的办结时限")
    leader_id: Id | None = Field(None, description="督办领导（仅管理员代领导交办时填写）")


class AcknowledgeIn(BodySchema):
    version: Version
    text: _text(2000) = ""  # type: ignore[valid-type]


class ReportIn(BodySchema):
    version: Version
    text: _name(5000)  # type: ignore[valid-type]


class CloseIn(BodySchema):
    version: Version
    grade: GradeCode
    comment: _text(2000) = Field("", description="评定意见；不合格时必填")  # type: ignore[valid-type]


class ReturnIn(BodySchema):
    version: Version
    comment: _name(2000) = Field(..., description="退回理由")  # type: ignore[valid-type]


READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _detail(exc: ValidationError) -> Any:
    """{field: [messages]} for field errors; one sentence otherwise (a conflict, a step out of turn)."""
    return exc.message_dict if hasattr(exc, "error_dict") else "；".join(exc.messages)


def _rows() -> Any:
    return Supervision.objects.select_related("task__unit", "leader", "rule")


def _fetch(request: HttpRequest, id: int) -> Supervision:  # noqa: A002
    return _rows().get_visible_or_404(request.auth, "view", pk=id)


# --- endpoints --------------------------------------------------------------------------------------


@router.get("/supervisions", response={200: SupervisionPage, 401: ErrorOut, 422: ErrorOut}, summary="督办列表")
def list_supervisions(request: HttpRequest, query: Query[SupervisionQuery]) -> Any:
    qs = sv.supervisions_for(request.auth, query.box).select_related("task__unit", "leader", "rule")
    if query.status == "open":
        qs = qs.exclude(status=SupervisionStatus.CLOSED)
    elif query.status:
        qs = qs.filter(status=query.status)
    if query.task_id:
        qs = qs.filter(task_id=query.task_id)
    if query.q.strip():
        qs = qs.filter(Q(task__title__icontains=query.q.strip()) | Q(order__icontains=query.q.strip()))
    qs = qs.order_by("-issued_on", "-id")
    items = list(qs[query.offset: query.offset + query.limit])
    return {"items": [_out(s, request.auth) for s in items], "count": qs.count(), "limit": query.limit,
            "offset": query.offset}


@router.get("/supervisions/{id}", response={200: SupervisionDetailOut, **READ}, summary="督办详情（含办理过程）")
def get_supervision(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _out(_fetch(request, id), request.auth, events=True)


@router.post("/tasks/{id}/supervisions", response={201: SupervisionDetailOut, **WRITE},
             summary="下达督办（分管领导或管理员）")
def issue_supervision(request: HttpRequest, payload: IssueIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    task = Task.objects.select_related("unit").get_visible_or_404(request.auth, "view", pk=id)
    rule = None
    if payload.rule_id is not None:
        rule = ResponseRule.objects.filter(pk=payload.rule_id).first()
        if rule is None:
            return Status(404, {"detail": {"rule_id": ["响应规则不存在"]}})
    leader = None
    if payload.leader_id is not None:
        leader = User.objects.filter(pk=payload.leader_id, is_active=True).first()
        if leader is None:
            return Status(404, {"detail": {"leader_id": ["督办领导不存在或已停用"]}})
    try:
        sup = sv.do_issue_supervision(
            task, leader=leader, order=payload.order, level=payload.level, rule=rule,
            reply_deadline=payload.reply_deadline, acting_user=request.auth,
        )
    except ValidationError as exc:
        return Status(409, {"detail": _detail(exc)})
    return Status(201, _out(_rows().get(pk=sup.pk), request.auth, events=True))


def _run(request: HttpRequest, id: int, step: Any) -> Any:  # noqa: A002
    sup = _fetch(request, id)
    try:
        step(sup)
    except ValidationError as exc:
        return Status(409, {"detail": _detail(exc)})
    return Status(200, _out(_rows().get(pk=sup.pk), request.auth, events=True))


@router.post("/supervisions/{id}/acknowledge", response={200: SupervisionDetailOut, **WRITE}, summary="签收")
def acknowledge(request: HttpRequest, payload: AcknowledgeIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _run(request, id, lambda sup: sv.do_acknowledge(
        sup, text=payload.text, acting_user=request.auth, expected_version=payload.version))


@router.post("/supervisions/{id}/measures", response={200: SupervisionDetailOut, **WRITE}, summary="报送措施")
def report_measures(request: HttpRequest, payload: ReportIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _run(request, id, lambda sup: sv.do_report_measures(
        sup, text=payload.text, acting_user=request.auth, expected_version=payload.version))


@router.post("/supervisions/{id}/request-close", response={200: SupervisionDetailOut, **WRITE}, summary="申请办结")
def request_close(request: HttpRequest, payload: ReportIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _run(request, id, lambda sup: sv.do_request_close(
        sup, text=payload.text, acting_user=request.auth, expected_version=payload.version))


@router.post("/supervisions/{id}/close", response={200: SupervisionDetailOut, **WRITE}, summary="评定办结（督办领导）")
def close(request: HttpRequest, payload: CloseIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _run(request, id, lambda sup: sv.do_close(
        sup, grade=payload.grade, comment=payload.comment, acting_user=request.auth,
        expected_version=payload.version))


@router.post("/supervisions/{id}/return", response={200: SupervisionDetailOut, **WRITE}, summary="退回重办（督办领导）")
def return_(request: HttpRequest, payload: ReturnIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _run(request, id, lambda sup: sv.do_return(
        sup, comment=payload.comment, acting_user=request.auth, expected_version=payload.version))
