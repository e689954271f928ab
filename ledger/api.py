"""Ledger endpoints of the API (/api/ledger): tasks, progress with evidence, review, the overview.

Rows are read through the same `visible_to` as the UI (a task out of scope is a 404 like a missing
one) and every write goes through ledger.actions. Statuses:

- 404 — the task, or a unit / person / file named in the body, is missing or out of scope;
- 403 — the task is visible but the caller may not do this to it (logged as DENIED);
- 409 — well-formed input the current data refuses: a stale `version` (optimistic locking; the body
  then has `"code": "conflict"` and `current_version`), a completion request without evidence, a
  review of a task that is not waiting for one, an owner from another unit …;
- 422 — input that does not match the schema; 400 — a body that is not JSON, or an evidence file
  that is refused (empty, too large, wrong type).

Evidence files are uploaded first (multipart, POST /tasks/{id}/evidence) and then named by id in
the JSON progress report (`file_ids`), so the progress endpoint stays plain JSON.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, StrictBool

from core import audit, workdays
from core.files import store_upload
from core.models import AuditAction, StoredFile
from core.scoping import has_perm
from ledger.actions import (
    ConflictError,
    can_manage,
    can_work_on,
    confirm_completion,
    create_task,
    report_progress,
    return_task,
    update_task,
)
from ledger.choices import SourceKind
from ledger.filters import SORTS, TaskFilters, present, scoped_tasks, workday_flags
from ledger.forms import leaders_over
from ledger.models import ProgressReport, Task
from ledger.reports import overview_stats
from org.actions import log_forged_units
from org.api import INT32, MAX_ID, NAME, TEXT, BodySchema, ErrorOut, Id, QuerySchema, _not_bool
from org.models import Person, Unit

router = Router()

# Multi-line text: like TEXT, but tabs and line breaks are allowed (progress reports, descriptions).
_CONTROL_ML = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Not blank: no control character, no space of any kind (listed, not \\s: regex engines disagree on it).
_NOT_TEXT_ML = r"\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
MULTILINE = f"^[^{_CONTROL_ML}]*$"
MULTILINE_NAME = f"^[^{_CONTROL_ML}]*[^{_NOT_TEXT_ML}][^{_CONTROL_ML}]*$"
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

Scope = Literal["all", "mine", "unit"]
StatusCode = Literal["not_started", "in_progress", "pending_review", "done", "overdue"]
LightCode = Literal["blue", "yellow", "red", "green"]
SourceCode = Literal[tuple(SourceKind.values)]  # type: ignore[valid-type]
NewSourceCode = Literal[tuple(v for v in SourceKind.values if v != SourceKind.PLAN)]  # type: ignore[valid-type]
SortCode = Literal[tuple(SORTS)]  # type: ignore[valid-type]


def _iso_date(value: Any) -> Any:
    # Only "YYYY-MM-DD": pydantic would also take a datetime string, which the spec does not promise.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise ValueError("日期格式应为 YYYY-MM-DD")
    return value


DateIn = Annotated[datetime.date, BeforeValidator(_iso_date)]
Count32 = Annotated[int, Field(ge=0, le=1000), BeforeValidator(_not_bool)]
Target = Annotated[int, Field(ge=1, le=10_000), BeforeValidator(_not_bool)]
Version = Annotated[int, Field(ge=1, le=INT32), BeforeValidator(_not_bool)]


def _text(max_length: int, pattern: str = TEXT) -> Any:
    return Annotated[str, Field(max_length=max_length, pattern=pattern)]


def _name(max_length: int, pattern: str = NAME) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length, pattern=pattern)]


# --- output -----------------------------------------------------------------------------------------


class ConflictOut(ErrorOut):
    code: str | None = Field(None, description="conflict：任务已被他人修改（version 已过期）")
    current_version: int | None = Field(None, description="任务当前的 version，核对后可据此重新提交")


class FileOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str

    @staticmethod
    def resolve_name(obj: StoredFile) -> str:
        return obj.original_name

    @staticmethod
    def resolve_url(obj: StoredFile) -> str:
        return reverse("core:file_download", args=[obj.pk])


class ReportOut(Schema):
    id: int
    kind: str
    kind_label: str
    author_id: int
    author_name: str
    text: str
    increment: int
    files: list[FileOut]
    created_at: datetime.datetime

    @staticmethod
    def resolve_kind_label(obj: ProgressReport) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_author_name(obj: ProgressReport) -> str:
        return str(obj.author)

    @staticmethod
    def resolve_files(obj: ProgressReport) -> list[StoredFile]:
        return list(obj.files.all())


class TaskOut(Schema):
    id: int
    title: str
    unit_id: int
    unit_name: str
    owner_id: int | None
    owner_name: str | None
    source_kind: str
    plan_id: int | None
    section_id: int | None
    item_id: int | None
    origin: str
    period_label: str
    due_date: datetime.date
    due_is_workday: bool
    target_count: int
    done_count: int
    status: str = Field(..., description="存储的状态：not_started / in_progress / pending_review / done")
    display_status: str = Field(..., description="显示的状态：逾期未完成的任务为 overdue")
    status_label: str
    is_overdue: bool
    light: str = Field(..., description="灯色：blue 正常、yellow 临期、red 逾期、green 已完成")
    light_label: str
    latest_progress: str
    completed_at: datetime.datetime | None
    supervising_leader_id: int | None
    version: int
    updated_at: datetime.datetime
    url: str

    @staticmethod
    def resolve_unit_name(obj: Task) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_owner_name(obj: Task) -> str | None:
        return obj.owner.name if obj.owner_id else None

    @staticmethod
    def resolve_due_is_workday(obj: Task) -> bool:
        flag = getattr(obj, "due_is_workday", None)
        return workdays.is_workday(obj.due_date) if flag is None else flag

    @staticmethod
    def resolve_status_label(obj: Task) -> str:
        return obj.display_status_label

    @staticmethod
    def resolve_url(obj: Task) -> str:
        return reverse("ledger:task_detail", args=[obj.pk])


class TaskDetailOut(TaskOut):
    description: str
    quote: str
    assist_unit_ids: list[int]
    supervising_leader_name: str | None
    confirmed_by_name: str | None
    created_by_name: str | None
    reports: list[ReportOut]

    @staticmethod
    def resolve_assist_unit_ids(obj: Task) -> list[int]:
        return sorted(u.pk for u in obj.assist_units.all())

    @staticmethod
    def resolve_supervising_leader_name(obj: Task) -> str | None:
        return str(obj.supervising_leader) if obj.supervising_leader_id else None

    @staticmethod
    def resolve_confirmed_by_name(obj: Task) -> str | None:
        return str(obj.confirmed_by) if obj.confirmed_by_id else None

    @staticmethod
    def resolve_created_by_name(obj: Task) -> str | None:
        return str(obj.created_by) if obj.created_by_id else None

    @staticmethod
    def resolve_reports(obj: Task) -> list[ProgressReport]:
        return list(obj.reports.all())


class TaskPage(Schema):
    items: list[TaskOut]
    count: int
    limit: int
    offset: int


class RateRow(Schema):
    label: str
    total: int
    due: int = Field(..., description="应完成：已到完成时限或已完成的任务")
    done: int
    on_time: int = Field(..., description="按时完成：确认完成的日期不晚于完成时限")
    overdue: int
    pending: int
    completion_rate: float | None = Field(..., description="完成率（%）= 已完成 / 应完成")
    on_time_rate: float | None = Field(..., description="按时完成率（%）= 按时完成 / 应完成")


class UnitRow(RateRow):
    unit_id: int


class SectionRow(RateRow):
    section_id: int | None
    plan_id: int | None


class MonthRow(RateRow):
    month: str


class OverviewOut(Schema):
    today: datetime.date
    plan_id: int | None
    year: int | None
    totals: RateRow
    by_unit: list[UnitRow]
    by_section: list[SectionRow]
    by_month: list[MonthRow]
    overdue: list[TaskOut]


# --- input ------------------------------------------------------------------------------------------


class TaskQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200, description="每页条数")
    offset: int = Field(0, ge=0, le=INT32, description="跳过的条数")
    scope: Scope = Field("all", description="mine 我的任务；unit 本单位；all 全部可见")
    status: StatusCode | None = Field(None, description="overdue：未完成且已过完成时限")
    light: LightCode | None = None
    unit_id: Id | None = Field(None, description="该单位及其下级单位的任务")
    plan_id: Id | None = None
    section_id: Id | None = None
    item_id: Id | None = None
    month: Annotated[str, Field(pattern=r"^[12][0-9]{3}-(0[1-9]|1[0-2])$")] | None = Field(
        None, description="完成时限所在月份，如 2026-09")
    due_date: DateIn | None = Field(None, description="完成时限为该日")
    source_kind: SourceCode | None = None
    q: _text(100) = Field("", description="任务名称、原文或出处包含")  # type: ignore[valid-type]
    sort: SortCode = "due"


class TaskIn(BodySchema):
    unit_id: Id
    title: _name(300)  # type: ignore[valid-type]
    due_date: DateIn
    description: _text(5000, MULTILINE) = ""  # type: ignore[valid-type]
    owner_id: Id | None = None
    target_count: Target = 1
    supervising_leader_id: Id | None = None
    source_kind: NewSourceCode = SourceKind.MANUAL.value  # type: ignore[assignment]
    origin: _text(300) = ""  # type: ignore[valid-type]


class TaskPatch(BodySchema):
    """Only the fields sent are changed; `version` is the one the change is based on."""

    version: Version
    title: _name(300) = None  # type: ignore[valid-type]
    description: _text(5000, MULTILINE) = None  # type: ignore[valid-type]
    due_date: DateIn = None  # type: ignore[assignment]
    owner_id: Id | None = Field(None, description="null 表示不指定责任人（由单位承办）")
    target_count: Target = None  # type: ignore[assignment]
    supervising_leader_id: Id | None = None


class ProgressIn(BodySchema):
    text: _name(2000, MULTILINE_NAME)  # type: ignore[valid-type]
    increment: Count32 = 0
    request_completion: StrictBool = Field(False, description="申请办结：须有佐证材料")
    file_ids: list[Id] = Field(default_factory=list, max_length=10,
                               description="先用 POST /ledger/tasks/{id}/evidence 上传的佐证材料")
    version: Version | None = None


class ReviewIn(BodySchema):
    comment: _text(1000, MULTILINE) = Field("", description="确认意见；退回时必填理由")  # type: ignore[valid-type]
    version: Version | None = None


class OverviewQuery(QuerySchema):
    plan_id: Id | None = None
    year: int | None = Field(None, ge=2000, le=2100, description="完成时限所在年度；不传为全部年度")


# --- helpers ----------------------------------------------------------------------------------------

READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut}


def _detail(exc: ValidationError) -> dict[str, Any] | list[str]:
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def _refused(exc: ValidationError, task: Task | None = None) -> Status:
    if isinstance(exc, ConflictError):
        current = Task.objects.filter(pk=task.pk).values_list("version", flat=True).first() if task else None
        return Status(409, {"detail": exc.messages[0], "code": "conflict", "current_version": current})
    return Status(409, {"detail": _detail(exc)})


def _deny(request: HttpRequest, message: str, obj: Any = None) -> Status:
    audit.record(AuditAction.DENIED, obj=obj, object_type="" if obj else "ledger.task", actor=request.auth,
                 changes={"reason": message, "path": request.path})
    return Status(403, {"detail": message})


def _detailed(qs: QuerySet[Task]) -> QuerySet[Task]:
    return (qs.select_related("unit", "owner", "supervising_leader", "confirmed_by", "created_by")
            .prefetch_related("assist_units", "reports__author", "reports__files"))


def _task_out(request: HttpRequest, pk: int) -> Task:
    task = _detailed(Task.objects.all()).get_visible_or_404(request.auth, "view", pk=pk)
    present([task])
    return task


def _get(request: HttpRequest, pk: int) -> Task:
    return Task.objects.select_related("unit").get_visible_or_404(request.auth, "view", pk=pk)


def _person_in(request: HttpRequest, person_id: int, unit: Unit) -> Person | Status:
    person = Person.objects.visible_to(request.auth, "view").filter(pk=person_id).first()
    if person is None:
        return Status(404, {"detail": {"owner_id": ["人员不存在或无权访问"]}})
    if person.unit_id != unit.pk or not person.is_active:
        return Status(409, {"detail": {"owner_id": ["责任人须为责任单位的在岗人员"]}})
    return person


# --- tasks ------------------------------------------------------------------------------------------


@router.get("/tasks", response={200: TaskPage, **READ}, summary="任务列表")
def list_tasks(request: HttpRequest, query: Query[TaskQuery]) -> Any:
    user = request.auth
    unit_ids = None
    if query.unit_id:
        unit = Unit.objects.visible_to(user, "view").filter(pk=query.unit_id).first()
        unit_ids = list(Unit.objects.visible_to(user, "view").filter(path__startswith=unit.path)
                        .values_list("id", flat=True)) if unit else []
    filters = TaskFilters(
        status=query.status or "", light=query.light or "", unit_ids=unit_ids, plan_id=query.plan_id,
        section_id=query.section_id, item_id=query.item_id, month=query.month or "", due=query.due_date,
        source=query.source_kind or "", q=query.q.strip(), sort=query.sort,
    )
    today = timezone.localdate()
    qs = filters.apply(scoped_tasks(user, query.scope), today).select_related("unit", "owner")
    items = present(qs[query.offset: query.offset + query.limit], today)
    flags = workday_flags(t.due_date for t in items)
    for task in items:
        task.due_is_workday = flags[task.due_date]
    return {"items": items, "count": qs.count(), "limit": query.limit, "offset": query.offset}


@router.get("/tasks/{id}", response={200: TaskDetailOut, **READ}, summary="任务详情（含进展记录）")
def get_task(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _task_out(request, id)


@router.post("/tasks", response={201: TaskDetailOut, **WRITE}, summary="手工交办任务")
def create(request: HttpRequest, payload: TaskIn) -> Any:
    from core.scoping import scope_unit_ids

    user = request.auth
    change = scope_unit_ids(user, "change")
    if change is not None and not change:
        return _deny(request, "仅单位负责人、领导班子成员和系统管理员可交办任务")
    unit = Unit.objects.visible_to(user, "change").filter(pk=payload.unit_id, is_active=True).first()
    if unit is None:
        if Unit.objects.filter(pk=payload.unit_id).exists():
            log_forged_units(user, {"unit_id": payload.unit_id}, path=request.path, object_type="ledger.task")
        return Status(404, {"detail": {"unit_id": ["单位不存在、已停用或不在您的权限范围内"]}})
    owner = None
    if payload.owner_id is not None:
        owner = _person_in(request, payload.owner_id, unit)
        if isinstance(owner, Status):
            return owner
    leader = None
    if payload.supervising_leader_id is not None:
        leader = leaders_over(unit).filter(pk=payload.supervising_leader_id).first()
        if leader is None:
            return Status(409, {"detail": {"supervising_leader_id": [f"该账户不是{unit.name}的分管领导"]}})
    try:
        task = create_task(
            unit=unit, title=payload.title, due_date=payload.due_date, acting_user=user, owner=owner,
            description=payload.description, source_kind=payload.source_kind, origin=payload.origin,
            target_count=payload.target_count, supervising_leader=leader,
        )
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _task_out(request, task.pk))


@router.patch("/tasks/{id}", response={200: TaskDetailOut, **WRITE}, summary="修改任务（须带 version）")
def update(request: HttpRequest, payload: TaskPatch, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    task = _get(request, id)
    if not can_manage(request.auth, task):
        return _deny(request, "无权修改该任务", task)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    if "owner_id" in changes:
        owner_id = changes.pop("owner_id")
        changes["owner"] = None
        if owner_id is not None:
            owner = _person_in(request, owner_id, task.unit)
            if isinstance(owner, Status):
                return owner
            changes["owner"] = owner
    if "supervising_leader_id" in changes:
        leader_id = changes.pop("supervising_leader_id")
        changes["supervising_leader"] = None
        if leader_id is not None:
            leader = leaders_over(task.unit).filter(pk=leader_id).first()
            if leader is None:
                return Status(409, {"detail": {"supervising_leader_id": [f"该账户不是{task.unit.name}的分管领导"]}})
            changes["supervising_leader"] = leader
    for name in ("title", "description", "due_date", "target_count"):
        if name in changes and changes[name] is None:
            return Status(409, {"detail": {name: ["不能为空"]}})
    try:
        update_task(task, acting_user=request.auth, expected_version=version, **changes)
    except ValidationError as exc:
        return _refused(exc, task)
    return _task_out(request, id)


_EVIDENCE_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": "pdf、jpg、png、docx、xlsx、pptx、txt、csv，不超过上传上限"}},
    }}},
}


@router.post("/tasks/{id}/evidence", response={201: FileOut, **WRITE}, summary="上传佐证材料（multipart）",
             openapi_extra={"requestBody": _EVIDENCE_BODY})
def upload_evidence(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    # The file is read here rather than declared as a parameter: the task is looked up (404) and the
    # permission checked (403) first, and an empty file (which Django's parser drops) gets the same
    # Chinese 400 as any other refused file.
    task = _get(request, id)
    if not can_work_on(request.auth, task):
        return _deny(request, "无权报送该任务的进展", task)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return Status(400, {"detail": {"file": ["请选择要上传的文件（文件不能为空）"]}})
    try:
        stored = store_upload(uploaded, unit=task.unit, user=request.auth, purpose="ledger.evidence")
    except ValidationError as exc:
        return Status(400, {"detail": {"file": exc.messages}})
    return Status(201, stored)


@router.post("/tasks/{id}/progress", response={201: TaskDetailOut, **WRITE}, summary="报送进展（可申请办结）")
def progress(request: HttpRequest, payload: ProgressIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    user = request.auth
    task = _get(request, id)
    if not can_work_on(user, task):
        return _deny(request, "无权报送该任务的进展", task)
    wanted = sorted(set(payload.file_ids))
    files = list(StoredFile.objects.filter(pk__in=wanted, uploaded_by=user, unit_id=task.unit_id))
    if len(files) != len(wanted):
        return Status(404, {"detail": {"file_ids": ["佐证材料不存在，或不是您为该任务上传的"]}})
    try:
        report_progress(task, text=payload.text, increment=payload.increment, files=files,
                        request_completion=payload.request_completion, acting_user=user,
                        expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, task)
    return Status(201, _task_out(request, id))


def _review(request: HttpRequest, id: int, payload: ReviewIn, *, confirm: bool) -> Any:  # noqa: A002
    user = request.auth
    task = _get(request, id)
    if not can_manage(user, task):
        return _deny(request, "仅责任单位负责人或分管领导可确认或退回", task)
    try:
        if confirm:
            confirm_completion(task, acting_user=user, comment=payload.comment.strip(),
                               expected_version=payload.version)
        else:
            return_task(task, acting_user=user, comment=payload.comment, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, task)
    return _task_out(request, id)


@router.post("/tasks/{id}/confirm", response={200: TaskDetailOut, **WRITE}, summary="确认完成")
def confirm(request: HttpRequest, payload: ReviewIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _review(request, id, payload, confirm=True)


@router.post("/tasks/{id}/return", response={200: TaskDetailOut, **WRITE}, summary="退回办结申请")
def send_back(request: HttpRequest, payload: ReviewIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _review(request, id, payload, confirm=False)


# --- overview ---------------------------------------------------------------------------------------


@router.get("/overview", response={200: OverviewOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
            summary="领导总览：按单位、板块、月份的完成率与按时完成率")
def overview(request: HttpRequest, query: Query[OverviewQuery]) -> Any:
    from core.roles import Perm

    user = request.auth
    if not has_perm(user, Perm.LEADER_OVERVIEW):
        return Status(403, {"detail": "仅领导班子成员和系统管理员可查看领导总览"})
    qs = Task.objects.visible_to(user, "view")
    if query.plan_id:
        qs = qs.filter(plan_id=query.plan_id)
    if query.year:
        qs = qs.filter(due_date__year=query.year)
    stats = overview_stats(qs)
    return {
        "today": stats["today"], "plan_id": query.plan_id, "year": query.year,
        "totals": {"label": "合计", **stats["totals"]},
        "by_unit": stats["by_unit"], "by_section": stats["by_section"],
        "by_month": [{**m, "month": m["label"]} for m in stats["by_month"]],
        "overdue": _with_workday_flags(stats["overdue"]),
    }


def _with_workday_flags(tasks: list[Task]) -> list[Task]:
    flags = workday_flags(t.due_date for t in tasks)
    for task in tasks:
        task.due_is_workday = flags[task.due_date]
    return tasks

