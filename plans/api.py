"""Plan endpoints of the API: plans (scoped, read-only) and the import (draft → edit → confirm).

The import works as in the UI: POST /plans/imports parses a file (multipart) or pasted text (JSON)
into a draft with the suggested unit mapping; GET/PUT /plans/imports/{id} read and replace the
draft's data (PUT names the version it edits); POST /plans/imports/{id}/confirm writes the plan and
its tasks in one transaction. Rows are read through the same `visible_to` as the UI. Statuses:

- 400 — input that cannot be imported: not a plan, an empty, binary or oversized file, a draft with
  problems (every problem is listed in `detail`, in Chinese), a body that is not JSON;
- 403 — the caller may not import plans (only the coordinating office's administrators may);
- 404 — the plan, draft, unit or base plan is missing or outside the caller's scope;
- 409 — the draft was changed since the version sent, or it is already confirmed or cancelled;
- 415 — a request body that is neither JSON nor multipart; 422 — input that does not match the schema.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation, ValidationError
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, StrictBool
from pydantic import ValidationError as PydanticError

from core.scoping import scope_unit_ids
from org.actions import log_forged_units
from org.api import BodySchema, ErrorOut, QuerySchema
from org.models import Unit
from plans import actions
from plans.choices import AssignmentRole, Frequency, ImportStatus
from plans.forms import check_plan_upload
from plans.models import Plan, PlanImport
from plans.views import FREQUENCY_LABELS, plan_outline, plans_with_counts
from yishi_text.plan_input import MAX_BYTES

router = Router()

MAX_ID = 2**63 - 1
# No C0 control characters but tab and line breaks (\t \n \v \f \r); PostgreSQL cannot store NUL at all.
TEXT = r"^[^\x00-\x08\x0e-\x1f\x7f]*$"
SHORT = 1000  # titles and names (longer ones are cut to the column's length when the plan is written)
LONG = 200_000  # item text, preamble, quotes


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("须为整数")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_not_bool)]
Number = Annotated[int, Field(ge=1, le=actions.MAX_NUMBER), BeforeValidator(_not_bool)]
Short = Annotated[str, Field(max_length=SHORT, pattern=TEXT)]
Long = Annotated[str, Field(max_length=LONG, pattern=TEXT)]
FrequencyCode = Literal[tuple(Frequency.values)]  # type: ignore[valid-type]
RoleCode = Literal[tuple(AssignmentRole.values)]  # type: ignore[valid-type]


# --- output ---------------------------------------------------------------------------------------------


class PlanOut(Schema):
    id: int
    title: str
    organization: str
    year: int
    unit_id: int
    unit_name: str
    status: str
    revision: int
    outline_only: bool
    source_name: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    item_count: int
    obligation_count: int
    flagged_count: int = Field(..., description="责任主体待确认的工作事项数")
    task_count: int


class PlanPage(Schema):
    items: list[PlanOut]
    count: int
    limit: int
    offset: int


class PlanAssignmentOut(Schema):
    unit_id: int
    unit_name: str
    role: str


class ObligationOut(Schema):
    id: int
    number: int
    frequency: str
    frequency_label: str
    times: int | None
    at_least: bool
    activity: str
    actor_text: str
    quote: str
    timing: str
    unresolved: bool = Field(..., description="原文责任主体未能匹配到单位，暂由牵头协调部门承担")
    task_count: int
    duty_count: int
    assignments: list[PlanAssignmentOut]


class PlanTargetOut(Schema):
    quote: str
    value: float | None
    unit_label: str
    at_least: bool


class ItemOut(Schema):
    id: int
    number: int
    title: str
    text: str
    task_count: int
    targets: list[PlanTargetOut]
    obligations: list[ObligationOut]


class SectionOut(Schema):
    id: int
    number: int
    title: str
    heading: str
    intro: str
    items: list[ItemOut]


class PlanDetailOut(PlanOut):
    preamble: str
    warnings: list[str]
    sections: list[SectionOut]


class DraftAssignmentOut(Schema):
    unit: int
    role: str
    unit_name: str | None = Field(None, description="单位名称；单位已不存在时为 null")


class DraftObligationOut(Schema):
    frequency: str
    frequency_label: str
    times: int | None = None
    at_least: bool = False
    activity: str = ""
    actor: str | None = None
    quote: str = ""
    timing: str | None = None
    unresolved: bool = False
    unmatched: list[str] = []
    assignments: list[DraftAssignmentOut] = []
    estimated_tasks: int = Field(0, description="确认后将生成的任务数（周期数 × 牵头单位数）")
    estimated_duties: int = Field(0, description="确认后将建立的值守事项数（每日、常态类）")


class DraftTargetOut(Schema):
    quote: str = ""
    value: float | None = None
    unit: str = ""
    at_least: bool = False


class DraftItemOut(Schema):
    number: int
    title: str = ""
    text: str = ""
    targets: list[DraftTargetOut] = []
    obligations: list[DraftObligationOut] = []


class DraftSectionOut(Schema):
    number: int
    title: str = ""
    heading: str = ""
    intro: str = ""
    items: list[DraftItemOut] = []


class DraftDataOut(Schema):
    title: str = ""
    organization: str | None = None
    year: int | None = None
    preamble: str = ""
    warnings: list[str] = []
    outline_only: bool = False
    sections: list[DraftSectionOut] = []


class DraftSummaryOut(Schema):
    sections: int
    items: int
    obligations: int
    flagged: int
    tasks: int
    duties: int


class DiffOut(Schema):
    items_added: list[str]
    items_removed: list[str]
    items_renamed: list[list[str]] = Field(..., description="[原标题, 新标题]")
    obligations_added: list[str]
    obligations_removed: list[str]
    obligations_changed: list[list[str]] = Field(..., description="[原文, 新文]")
    obligations_reassigned: list[str]
    obligations_kept: int
    tasks_created: int
    tasks_updated: int
    tasks_deleted: int
    tasks_kept: int = Field(..., description="已开始、保留不动的任务")
    duties_created: int


class DraftOut(Schema):
    id: int
    status: str
    version: int = Field(..., description="修改（PUT）和确认时须原样提交，用于防止覆盖他人的修改")
    unit_id: int
    unit_name: str
    base_plan_id: int | None
    plan_id: int | None
    source_name: str
    created_by: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    data: DraftDataOut
    summary: DraftSummaryOut
    problems: list[str] = Field(..., description="确认前须处理的问题；为空时可以确认")
    diff: DiffOut | None = Field(None, description="修订已有计划时，与现行版本的差异")


class ResultOut(Schema):
    plan_id: int
    revision: int
    tasks_created: int
    tasks_updated: int
    tasks_deleted: int
    tasks_kept: int
    duties: int
    flagged: int


# --- input ----------------------------------------------------------------------------------------------


class PlanQuery(QuerySchema):
    year: int | None = Field(None, ge=1900, le=2100, description="年度")
    limit: int = Field(50, ge=1, le=200, description="每页条数")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="跳过的条数")


class ImportTextIn(BodySchema):
    text: Annotated[str, Field(min_length=1, max_length=MAX_BYTES, pattern=TEXT)] = Field(
        ..., description="工作要点全文"
    )
    source_name: Short = Field("", description="来源说明，如文件名；默认“粘贴的文本”")
    unit_id: Id | None = Field(None, description="所属单位；默认为调用者所在机关（组织树的根）")
    base_plan_id: Id | None = Field(None, description="修订已有计划时填写该计划的 id")


class ImportFormIn(QuerySchema):
    unit_id: Id | None = None
    base_plan_id: Id | None = None


class AssignmentIn(BodySchema):
    unit: Id
    role: RoleCode


class ObligationIn(BodySchema):
    frequency: FrequencyCode
    times: Annotated[int, Field(ge=1, le=1000), BeforeValidator(_not_bool)] | None = None
    at_least: StrictBool = False
    activity: Short
    actor: Short | None = None
    quote: Long = ""
    timing: Annotated[str, Field(max_length=32, pattern=TEXT)] | None = None
    unresolved: StrictBool = False
    unmatched: list[Short] = Field([], max_length=100)
    assignments: list[AssignmentIn] = Field(..., max_length=1000)


class TargetIn(BodySchema):
    quote: Long = ""
    value: float | None = Field(None, allow_inf_nan=False)
    unit: Annotated[str, Field(max_length=16, pattern=TEXT)] = ""
    at_least: StrictBool = False


class ItemIn(BodySchema):
    number: Number
    title: Short
    text: Long = ""
    targets: list[TargetIn] = Field([], max_length=200)
    obligations: list[ObligationIn] = Field([], max_length=200)


class SectionIn(BodySchema):
    number: Number
    title: Short = ""
    heading: Short = ""
    intro: Long = ""
    items: list[ItemIn] = Field(..., max_length=1000)


class DraftDataIn(BodySchema):
    title: Short
    organization: Short | None = None
    year: Annotated[int, Field(ge=1900, le=2100), BeforeValidator(_not_bool)]
    preamble: Long = ""
    warnings: list[Long] = Field([], max_length=500)
    outline_only: StrictBool = False
    sections: list[SectionIn] = Field(..., max_length=200)


class DraftUpdateIn(BodySchema):
    version: Id = Field(..., description="GET 返回的 version")
    data: DraftDataIn


class ConfirmIn(BodySchema):
    version: Id = Field(..., description="GET 返回的 version")


# --- helpers --------------------------------------------------------------------------------------------

READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _plan_out(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk, "title": plan.title, "organization": plan.organization, "year": plan.year,
        "unit_id": plan.unit_id, "unit_name": plan.unit.name, "status": plan.status, "revision": plan.revision,
        "outline_only": plan.outline_only, "source_name": plan.source_name, "created_at": plan.created_at,
        "updated_at": plan.updated_at, "item_count": plan.item_count, "obligation_count": plan.obligation_count,  # type: ignore[attr-defined]
        "flagged_count": plan.flagged_count, "task_count": plan.task_count,  # type: ignore[attr-defined]
    }


def _draft_out(draft: PlanImport, user: Any) -> dict[str, Any]:
    data = draft.data
    year = data.get("year") if isinstance(data.get("year"), int) else None
    start = actions.generation_start(year) if year and 2000 <= year <= 2100 else None
    ids = {a.get("unit") for s in data.get("sections", []) for i in s.get("items", [])
           for ob in i.get("obligations", []) for a in ob.get("assignments", [])}
    names = dict(Unit.objects.filter(pk__in=[i for i in ids if isinstance(i, int) and 0 < i <= MAX_ID])
                 .values_list("pk", "name"))
    sections = []
    for s in data.get("sections", []):
        items = []
        for i in s.get("items", []):
            obligations = []
            for ob in i.get("obligations", []):
                estimate = actions.estimate_obligation(ob, year, start)
                obligations.append({
                    **ob, "frequency_label": FREQUENCY_LABELS.get(ob.get("frequency"), ""),
                    "assignments": [{**a, "unit_name": names.get(a.get("unit"))} for a in ob.get("assignments", [])],
                    "estimated_tasks": estimate.tasks, "estimated_duties": estimate.duties,
                })
            items.append({**i, "obligations": obligations})
        sections.append({**s, "items": items})
    summary = actions.summarize_draft(data, scope_unit_ids(user, "change"))
    diff = None
    if draft.base_plan_id and year:
        found = actions.diff_plan(draft.base_plan, data)
        diff = {**found.__dict__, "items_renamed": [list(p) for p in found.items_renamed],
                "obligations_changed": [list(p) for p in found.obligations_changed]}
    return {
        "id": draft.pk, "status": draft.status, "version": draft.version, "unit_id": draft.unit_id,
        "unit_name": draft.unit.name, "base_plan_id": draft.base_plan_id, "plan_id": draft.plan_id,
        "source_name": draft.source_name, "created_by": draft.created_by.username,
        "created_at": draft.created_at, "updated_at": draft.updated_at,
        "data": {**data, "sections": sections},
        "summary": {k: v for k, v in summary.__dict__.items() if k != "problems"},
        "problems": summary.problems, "diff": diff,
    }


def _draft(request: HttpRequest, pk: int) -> PlanImport:
    """The draft if the caller may reach it (else 404) and may import (else 403)."""
    draft = PlanImport.objects.select_related("unit", "base_plan", "created_by").get_visible_or_404(  # type: ignore[attr-defined]
        request.auth, "change", pk=pk
    )
    if request.method == "GET":
        if not actions.can_import(request.auth):
            raise PermissionDenied(actions.IMPORT_DENIED)
    else:
        actions.require_importer(request.auth)  # logs the refused write, raises PermissionDenied (403)
    return draft


def _pydantic_detail(exc: PydanticError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


def _unit_or_404(request: HttpRequest, unit_id: int | None) -> Unit | Status:
    user = request.auth
    if unit_id is None:
        from plans.forms import organ_root_id

        unit_id = organ_root_id(user)
        if unit_id is None:
            return Status(400, {"detail": {"unit_id": ["请指定所属单位 unit_id"]}})
    unit = Unit.objects.visible_to(user, "change").filter(pk=unit_id, is_active=True).first()  # type: ignore[arg-type]
    if unit is None:
        if Unit.objects.filter(pk=unit_id).exists():
            log_forged_units(user, {"unit_id": unit_id}, path=request.path, object_type="plans.planimport")
        return Status(404, {"detail": {"unit_id": ["单位不存在、已停用或不在您的管理范围内"]}})
    return unit


def _result_out(result: actions.ImportResult) -> dict[str, Any]:
    return {
        "plan_id": result.plan.pk, "revision": result.plan.revision, "tasks_created": result.tasks_created,
        "tasks_updated": result.tasks_updated, "tasks_deleted": result.tasks_deleted,
        "tasks_kept": result.tasks_kept, "duties": result.duties, "flagged": result.flagged,
    }


# --- plans ----------------------------------------------------------------------------------------------


@router.get("", response={200: PlanPage, **READ}, summary="工作要点列表")
def list_plans(request: HttpRequest, query: Query[PlanQuery]) -> Any:
    qs = plans_with_counts(request.auth).order_by("-year", "-id")
    if query.year:
        qs = qs.filter(year=query.year)
    rows = qs[query.offset: query.offset + query.limit]
    return {"items": [_plan_out(p) for p in rows], "count": qs.count(), "limit": query.limit,
            "offset": query.offset}


# --- import ---------------------------------------------------------------------------------------------

_MULTIPART_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "工作要点文件（.docx / .txt，不超过 5 MB）"},
        "unit_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "所属单位；默认为调用者所在机关"},
        "base_plan_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "修订已有计划时填写"},
    },
}


@router.post(
    "/imports",
    response={201: DraftOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 415: ErrorOut,
              422: ErrorOut},
    summary="解析工作要点，生成导入草稿（上传文件或提交全文）",
    description=(
        "multipart/form-data 上传文件（file），或 application/json 提交全文（text）。返回解析出的板块、条目、"
        "工作事项及建议的责任单位（assignments），以及确认前须处理的问题（problems）。"
        "空文件、二进制文件、超过 5 MB 或不是工作要点的内容返回 400 及原因。此时不写入任何数据。"
    ),
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": ImportTextIn.model_json_schema()},
        "multipart/form-data": {"schema": _MULTIPART_SCHEMA},
    }}},
)
def create_import(request: HttpRequest) -> Any:
    user = request.auth
    actions.require_importer(user)
    content_type = request.content_type or ""
    uploaded = None
    text = ""
    source_name = ""
    if content_type == "multipart/form-data":
        try:
            fields = {k: v for k, v in request.POST.items() if k in ("unit_id", "base_plan_id") and v != ""}
            uploaded = request.FILES.get("file")
        except (MultiPartParserError, SuspiciousOperation, BadRequest):
            return Status(400, {"detail": "无法解析上传的表单"})
        try:
            params = ImportFormIn.model_validate(fields)
        except PydanticError as exc:
            return Status(422, {"detail": _pydantic_detail(exc)})
        if uploaded is None:
            return Status(422, {"detail": [{"loc": ["body", "file"], "msg": "请上传文件 file", "type": "missing"}]})
        try:
            check_plan_upload(uploaded)
        except ValidationError as exc:
            return Status(400, {"detail": "；".join(exc.messages)})
        unit_id, base_plan_id = params.unit_id, params.base_plan_id
    elif content_type == "application/json":
        try:
            payload = ImportTextIn.model_validate_json(request.body or b"")
        except PydanticError as exc:
            return Status(422, {"detail": _pydantic_detail(exc)})
        text, source_name = payload.text, payload.source_name.strip()
        unit_id, base_plan_id = payload.unit_id, payload.base_plan_id
    else:
        return Status(415, {"detail": "请以 multipart/form-data 上传文件，或以 application/json 提交全文"})
    base_plan = None
    if base_plan_id is not None:
        base_plan = Plan.objects.visible_to(user, "change").filter(pk=base_plan_id).first()  # type: ignore[attr-defined]
        if base_plan is None:
            return Status(404, {"detail": {"base_plan_id": ["要修订的计划不存在或无权访问"]}})
        unit: Any = base_plan.unit  # a revision stays with the plan's unit
    else:
        unit = _unit_or_404(request, unit_id)
        if isinstance(unit, Status):
            return unit
    try:
        draft = actions.start_import(
            acting_user=user, unit=unit, data=uploaded.read() if uploaded else None,
            filename=uploaded.name if uploaded else source_name, text=text, base_plan=base_plan,
        )
    except ValidationError as exc:
        return Status(400, {"detail": "；".join(exc.messages)})
    draft = PlanImport.objects.select_related("unit", "base_plan", "created_by").get(pk=draft.pk)
    return Status(201, _draft_out(draft, user))


@router.get("/imports/{id}", response={200: DraftOut, **READ}, summary="导入草稿")
def get_import(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _draft_out(_draft(request, id), request.auth)


@router.put(
    "/imports/{id}", response={200: DraftOut, **WRITE}, summary="修改导入草稿（整体替换 data）",
    description="提交 GET 返回的 version 和修改后的 data。草稿须能导入：有问题时返回 400 及全部问题，不保存；"
                "version 不是最新（他人已修改）时返回 409。",
)
def update_import(request: HttpRequest, payload: DraftUpdateIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    draft = _draft(request, id)
    data = payload.data.model_dump()
    problems = actions.validate_draft(data, scope_unit_ids(request.auth, "change"))
    if problems:
        return Status(400, {"detail": problems})
    try:
        draft = actions.update_draft(draft, data, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return Status(409, {"detail": "；".join(exc.messages)})
    draft = PlanImport.objects.select_related("unit", "base_plan", "created_by").get(pk=draft.pk)
    return _draft_out(draft, request.auth)


@router.post(
    "/imports/{id}/confirm", response={200: ResultOut, **WRITE}, summary="确认导入：写入计划并生成任务",
    description="全部校验通过才写入（一个事务）；有问题时返回 400 及全部问题，草稿保留可继续修改。",
)
def confirm_import(request: HttpRequest, payload: ConfirmIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    draft = _draft(request, id)
    if draft.status != ImportStatus.OPEN:
        return Status(409, {"detail": "该导入已确认或取消"})
    try:
        result = actions.confirm_import(draft, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        if getattr(exc, "code", None) == "conflict" or not PlanImport.objects.filter(
            pk=draft.pk, status=ImportStatus.OPEN
        ).exists():
            return Status(409, {"detail": "；".join(exc.messages)})
        return Status(400, {"detail": exc.messages})
    return _result_out(result)


@router.delete("/imports/{id}", response={204: None, **WRITE}, summary="取消导入（不写入任何数据）")
def cancel_import(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    draft = _draft(request, id)
    if draft.status != ImportStatus.OPEN:
        return Status(409, {"detail": "该导入已确认或取消"})
    actions.cancel_import(draft, acting_user=request.auth)
    return Status(204, None)


# Declared last: its path (/plans/{id}) would otherwise also match /plans/imports.
@router.get("/{id}", response={200: PlanDetailOut, **READ}, summary="工作要点详情（板块、条目、工作事项）")
def get_plan(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    plan = plans_with_counts(request.auth).get_visible_or_404(request.auth, "view", pk=id)
    sections = []
    for section in plan_outline(plan):
        items = []
        for item in section.item_list:  # type: ignore[attr-defined]
            obligations = [{
                "id": o.pk, "number": o.number, "frequency": o.frequency, "frequency_label": o.get_frequency_display(),
                "times": o.times, "at_least": o.at_least, "activity": o.activity, "actor_text": o.actor_text,
                "quote": o.quote, "timing": o.timing, "unresolved": o.unresolved, "task_count": o.task_count,
                "duty_count": o.duty_count,
                "assignments": [{"unit_id": u.pk, "unit_name": u.name, "role": role}
                                for role, units in (("lead", o.leads), ("assist", o.assists)) for u in units],
            } for o in item.obligation_list]
            items.append({
                "id": item.pk, "number": item.number, "title": item.title, "text": item.text,
                "task_count": item.task_count, "obligations": obligations,
                "targets": [{"quote": t.quote, "value": t.value, "unit_label": t.unit_label, "at_least": t.at_least}
                            for t in item.target_list],
            })
        sections.append({"id": section.pk, "number": section.number, "title": section.title,
                         "heading": section.heading, "intro": section.intro, "items": items})
    return {**_plan_out(plan), "preamble": plan.preamble, "warnings": list(plan.warnings or []),
            "sections": sections}
