"""Risk endpoints of the API (/api/risks): the register and its loop, the heat map and trend, the
matrix and domains, screening campaigns and self-checks.

Rows are read through `visible_to` like the UI; writes go through risks.actions. Statuses:
404 — the risk, or a unit / person / domain / file named in the body, is missing or out of scope;
403 — visible but not allowed (logged as DENIED); 409 — input the current data refuses (a stale
`version` answers `{"detail", "code": "conflict", "current_version"}`, close-out without evidence,
a deadline before today …); 422 — input that does not match the schema; 400 — a refused file.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, StrictBool

from core.audit import deny
from core.files import store_upload
from core.models import StoredFile
from ledger.api import (
    MULTILINE,
    MULTILINE_NAME,
    ConflictOut,
    DateIn,
    ErrorOut,
    FileOut,
    Version,
    _name,
    _text,
)
from org.api import INT32, MAX_ID, BodySchema, Id, QuerySchema, _not_bool
from org.models import Person, Unit
from risks import actions
from risks.choices import (
    AnswerResult,
    Cadence,
    CampaignKind,
    RiskLevel,
    RiskSource,
)
from risks.models import Risk, RiskDomain, RiskSettings, RiskStep, ScreeningCampaign, SelfCheck
from risks.selectors import SORTS, STATUS_FILTERS, campaign_progress, heatmap, parse_filters, register, trend

router = Router()

LevelCode = Literal[tuple(RiskLevel.values)]  # type: ignore[valid-type]
StatusCode = Literal[tuple(STATUS_FILTERS)]  # type: ignore[valid-type]
SourceCode = Literal[tuple(RiskSource.values)]  # type: ignore[valid-type]
SortCode = Literal[tuple(SORTS)]  # type: ignore[valid-type]
CadenceCode = Literal[tuple(Cadence.values)]  # type: ignore[valid-type]
KindCode = Literal[tuple(CampaignKind.values)]  # type: ignore[valid-type]
ResultCode = Literal[tuple(AnswerResult.values)]  # type: ignore[valid-type]
Rating = Annotated[int, Field(ge=1, le=5), BeforeValidator(_not_bool)]

READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut}


# --- output -----------------------------------------------------------------------------------------


class RiskRowOut(Schema):
    id: int
    title: str
    domain_id: int
    domain_name: str
    source: str
    likelihood: int
    impact: int
    level: str
    level_label: str
    status: str
    status_label: str
    unit_id: int
    unit_name: str
    owner_id: int | None
    owner_name: str | None
    deadline: datetime.date
    is_flagged: bool
    closed_at: datetime.datetime | None
    reopen_count: int
    version: int
    url: str

    @staticmethod
    def resolve_domain_name(obj: Risk) -> str:
        return obj.domain.name

    @staticmethod
    def resolve_level_label(obj: Risk) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_status_label(obj: Risk) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_unit_name(obj: Risk) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_owner_name(obj: Risk) -> str | None:
        return obj.owner.name if obj.owner_id else None

    @staticmethod
    def resolve_url(obj: Risk) -> str:
        return reverse("risks:risk_detail", args=[obj.pk])


class RiskStepOut(Schema):
    id: int
    kind: str
    round: int
    task_id: int
    task_title: str
    task_status: str
    due_date: datetime.date

    @staticmethod
    def resolve_task_title(obj: RiskStep) -> str:
        return obj.task.title

    @staticmethod
    def resolve_task_status(obj: RiskStep) -> str:
        return obj.task.status

    @staticmethod
    def resolve_due_date(obj: RiskStep) -> datetime.date:
        return obj.task.due_date


class RiskEventOut(Schema):
    kind: str
    kind_label: str
    author_name: str
    text: str
    at: datetime.datetime
    files: list[FileOut]

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_author_name(obj: Any) -> str:
        return str(obj.author)

    @staticmethod
    def resolve_files(obj: Any) -> list[StoredFile]:
        return list(obj.files.all())


class RiskFlagOut(Schema):
    leader_id: int
    group_name: str
    group_ids: list[int]
    cadence: str
    supervision_id: int | None
    next_report_on: datetime.date | None


class RiskDetailOut(RiskRowOut):
    description: str
    measures: str
    close_note: str
    steps: list[RiskStepOut]
    events: list[RiskEventOut]
    flag: RiskFlagOut | None

    @staticmethod
    def resolve_steps(obj: Risk) -> list[RiskStep]:
        return list(obj.steps.select_related("task").order_by("id"))

    @staticmethod
    def resolve_events(obj: Risk) -> list[Any]:
        return list(obj.events.select_related("author").prefetch_related("files"))

    @staticmethod
    def resolve_flag(obj: Risk) -> dict[str, Any] | None:
        flag = getattr(obj, "flag", None) if obj.is_flagged else None
        if flag is None:
            return None
        return {"leader_id": flag.leader_id, "group_name": flag.group_name,
                "group_ids": sorted(p.pk for p in flag.group.all()), "cadence": flag.cadence,
                "supervision_id": flag.supervision_id, "next_report_on": flag.next_report_on}


class RiskPage(Schema):
    items: list[RiskRowOut]
    count: int
    limit: int
    offset: int


class RiskHeatCell(Schema):
    level: str
    label: str
    count: int


class RiskHeatRow(Schema):
    domain_id: int
    domain: str
    total: int
    cells: list[RiskHeatCell]


class RiskHeatmapOut(Schema):
    domains: list[RiskHeatRow]
    totals: list[int]
    total: int


class RiskTrendRow(Schema):
    label: str
    new: int
    closed: int


class RiskDomainOut(Schema):
    id: int
    name: str
    sort_order: int
    is_active: bool
    points: list[dict[str, Any]]

    @staticmethod
    def resolve_points(obj: RiskDomain) -> list[dict[str, Any]]:
        return [{"id": p.pk, "text": p.text, "is_active": p.is_active} for p in obj.points.all()]


class RiskMatrixOut(Schema):
    matrix: list[list[str]]
    version: int


class RiskCampaignOut(Schema):
    id: int
    kind: str
    title: str
    start_date: datetime.date
    due_date: datetime.date
    status: str


class RiskCheckRow(Schema):
    id: int
    unit_id: int
    unit_name: str
    status: str
    risks: int
    submitted_at: datetime.datetime | None


class RiskCampaignDetailOut(RiskCampaignOut):
    counts: dict[str, int]
    checks: list[RiskCheckRow]


class RiskAnswerOut(Schema):
    id: int
    order: int
    domain_id: int
    text: str
    result: str
    note: str
    likelihood: int | None
    impact: int | None
    risk_id: int | None


class RiskSelfCheckOut(Schema):
    id: int
    campaign_id: int
    unit_id: int
    status: str
    summary: str
    version: int
    answers: list[RiskAnswerOut]

    @staticmethod
    def resolve_answers(obj: SelfCheck) -> list[Any]:
        return list(obj.answers.order_by("order", "id"))


# --- input ------------------------------------------------------------------------------------------


class RiskQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=INT32)
    q: _text(100) = ""  # type: ignore[valid-type]
    domain_id: Id | None = None
    level: LevelCode | None = None
    status: StatusCode | None = Field(None, description="open 未销号；overdue 已超期；或存储的状态")
    source: SourceCode | None = None
    unit_id: Id | None = Field(None, description="该单位及其下级单位")
    flagged: bool | None = None
    sort: SortCode = "level"


class RiskIn(BodySchema):
    unit_id: Id
    title: _name(200)  # type: ignore[valid-type]
    description: _text(5000, MULTILINE_NAME)  # type: ignore[valid-type]
    domain_id: Id
    source: SourceCode = RiskSource.OTHER.value  # type: ignore[assignment]
    likelihood: Rating
    impact: Rating
    owner_id: Id | None = None
    measures: _text(5000, MULTILINE) = ""  # type: ignore[valid-type]
    deadline: DateIn


class RiskPatch(BodySchema):
    version: Version
    title: _name(200) = None  # type: ignore[valid-type]
    description: _text(5000, MULTILINE_NAME) = None  # type: ignore[valid-type]
    domain_id: Id = None  # type: ignore[assignment]
    source: SourceCode = None  # type: ignore[assignment]
    likelihood: Rating = None  # type: ignore[assignment]
    impact: Rating = None  # type: ignore[assignment]
    owner_id: Id | None = None
    measures: _text(5000, MULTILINE) = None  # type: ignore[valid-type]
    deadline: DateIn = None  # type: ignore[assignment]


class RiskStepIn(BodySchema):
    title: _name(300)  # type: ignore[valid-type]
    due_date: DateIn
    owner_id: Id | None = None
    description: _text(2000, MULTILINE) = ""  # type: ignore[valid-type]
    version: Version | None = None


class RiskFlagIn(BodySchema):
    leader_id: Id
    group_name: _name(100)  # type: ignore[valid-type]
    group_ids: list[Id] = Field(..., min_length=1, max_length=30)
    cadence: CadenceCode = Cadence.WEEKLY.value  # type: ignore[assignment]
    order: _name(2000, MULTILINE_NAME)  # type: ignore[valid-type]
    version: Version | None = None


class RiskCloseIn(BodySchema):
    text: _name(2000, MULTILINE_NAME)  # type: ignore[valid-type]
    file_ids: list[Id] = Field(default_factory=list, max_length=10,
                               description="先用 POST /risks/risks/{id}/evidence 上传的佐证材料")
    version: Version | None = None


class RiskReviewIn(BodySchema):
    comment: _text(1000, MULTILINE) = ""  # type: ignore[valid-type]
    version: Version | None = None


class RiskFollowUpIn(BodySchema):
    passed: StrictBool
    text: _name(2000, MULTILINE_NAME)  # type: ignore[valid-type]
    task_title: _text(300) = ""  # type: ignore[valid-type]
    task_due: DateIn | None = None
    version: Version | None = None


class RiskMatrixIn(BodySchema):
    matrix: list[list[LevelCode]] = Field(..., min_length=5, max_length=5)
    version: Version | None = None


class RiskCampaignIn(BodySchema):
    kind: KindCode
    title: _name(200)  # type: ignore[valid-type]
    start_date: DateIn
    due_date: DateIn
    unit_ids: list[Id] = Field(..., min_length=1, max_length=500)
    domain_ids: list[Id] = Field(default_factory=list, max_length=100)
    description: _text(2000, MULTILINE) = ""  # type: ignore[valid-type]


class RiskAnswerIn(BodySchema):
    id: Id
    result: ResultCode | Literal[""] = ""
    note: _text(1000) = ""  # type: ignore[valid-type]
    likelihood: Rating | None = None
    impact: Rating | None = None


class RiskSelfCheckIn(BodySchema):
    answers: list[RiskAnswerIn] = Field(default_factory=list, max_length=500)
    summary: _text(5000, MULTILINE) = ""  # type: ignore[valid-type]
    submit: StrictBool = False
    version: Version | None = None


# --- helpers ----------------------------------------------------------------------------------------


def _refused(exc: ValidationError, risk: Risk | None = None) -> Status:
    if isinstance(exc, actions.RiskConflict):
        current = Risk.objects.filter(pk=risk.pk).values_list("version", flat=True).first() if risk else None
        return Status(409, {"detail": exc.messages[0], "code": "conflict", "current_version": current})
    return Status(409, {"detail": exc.message_dict if hasattr(exc, "error_dict") else exc.messages})


def _get(request: HttpRequest, pk: int) -> Risk:
    return (Risk.objects.select_related("unit", "owner", "domain")
            .get_visible_or_404(request.auth, "view", pk=pk))


def _person(request: HttpRequest, person_id: int | None, unit_id: int | None, field: str) -> Any:
    """None, a Person of the unit, or an error Status (404 out of scope, 409 wrong unit)."""
    if person_id is None:
        return None
    person = Person.objects.visible_to(request.auth, "view").filter(pk=person_id).first()
    if person is None:
        return Status(404, {"detail": {field: ["人员不存在或无权访问"]}})
    if unit_id is not None and (person.unit_id != unit_id or not person.is_active):
        return Status(409, {"detail": {field: ["责任人须为责任单位的在岗人员"]}})
    return person


def _domain(domain_id: int) -> RiskDomain | Status:
    domain = RiskDomain.objects.filter(pk=domain_id).first()
    if domain is None:
        return Status(404, {"detail": {"domain_id": ["领域不存在"]}})
    return domain


# --- the register -----------------------------------------------------------------------------------


@router.get("/risks", response={200: RiskPage, **READ}, summary="风险隐患台账")
def list_risks(request: HttpRequest, query: Query[RiskQuery]) -> Any:
    params = {"q": query.q, "domain": str(query.domain_id or ""), "level": query.level or "",
              "status": query.status or "", "source": query.source or "", "unit": str(query.unit_id or ""),
              "flagged": "" if query.flagged is None else ("1" if query.flagged else "0"), "sort": query.sort}
    filters = parse_filters(params, request.auth)
    if filters.errors:
        filters.unit_ids = []  # an out-of-scope unit shows nothing, as a missing one would
    qs = register(request.auth, filters)
    return {"items": list(qs[query.offset: query.offset + query.limit]), "count": qs.count(), "limit": query.limit,
            "offset": query.offset}


@router.get("/risks/{id}", response={200: RiskDetailOut, **READ}, summary="风险详情（含整改任务与全过程记录）")
def get_risk(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _get(request, id)


@router.post("/risks", response={201: RiskDetailOut, **WRITE}, summary="登记风险（等级由矩阵确定）")
def create(request: HttpRequest, payload: RiskIn) -> Any:
    user = request.auth
    unit = Unit.objects.visible_to(user, "work").filter(pk=payload.unit_id, is_active=True).first()
    if unit is None:
        return Status(404, {"detail": {"unit_id": ["单位不存在、已停用或不在您的权限范围内"]}})
    domain = _domain(payload.domain_id)
    if isinstance(domain, Status):
        return domain
    owner = _person(request, payload.owner_id, unit.pk, "owner_id")
    if isinstance(owner, Status):
        return owner
    try:
        risk = actions.create_risk(
            unit=unit, title=payload.title, description=payload.description, domain=domain,
            likelihood=payload.likelihood, impact=payload.impact, deadline=payload.deadline, owner=owner,
            measures=payload.measures, source=payload.source, acting_user=user)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _get(request, risk.pk))


@router.patch("/risks/{id}", response={200: RiskDetailOut, **WRITE}, summary="修改风险（须带 version）")
def update(request: HttpRequest, payload: RiskPatch, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    risk = _get(request, id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    if "domain_id" in changes:
        domain = _domain(changes.pop("domain_id") or 0)
        if isinstance(domain, Status):
            return domain
        changes["domain"] = domain
    if "owner_id" in changes:
        owner = _person(request, changes.pop("owner_id"), risk.unit_id, "owner_id")
        if isinstance(owner, Status):
            return owner
        changes["owner"] = owner
    for name in ("title", "description", "source", "likelihood", "impact", "measures", "deadline"):
        if name in changes and changes[name] is None:
            return Status(409, {"detail": {name: ["不能为空"]}})
    try:
        actions.do_update_risk(risk, acting_user=request.auth, expected_version=version, **changes)
    except ValidationError as exc:
        return _refused(exc, risk)
    return _get(request, id)


@router.post("/risks/{id}/steps", response={201: RiskDetailOut, **WRITE}, summary="交办整改任务（进入任务台账）")
def add_step(request: HttpRequest, payload: RiskStepIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    risk = _get(request, id)
    owner = _person(request, payload.owner_id, risk.unit_id, "owner_id")
    if isinstance(owner, Status):
        return owner
    try:
        actions.do_add_step(risk, title=payload.title, due_date=payload.due_date, owner=owner,
                            description=payload.description, acting_user=request.auth,
                            expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, risk)
    return Status(201, _get(request, id))


@router.post("/risks/{id}/flag", response={201: RiskDetailOut, **WRITE}, summary="挂牌督办（重大风险）")
def flag(request: HttpRequest, payload: RiskFlagIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    from core.models import User

    risk = _get(request, id)
    leader = User.objects.filter(pk=payload.leader_id, is_active=True).first()
    if leader is None:
        return Status(404, {"detail": {"leader_id": ["督办领导不存在"]}})
    wanted = sorted(set(payload.group_ids))
    group = list(Person.objects.visible_to(request.auth, "view").filter(pk__in=wanted))
    if len(group) != len(wanted):
        return Status(404, {"detail": {"group_ids": ["专班成员不存在或无权访问"]}})
    try:
        actions.do_flag_risk(risk, leader=leader, group=group, group_name=payload.group_name, cadence=payload.cadence,
                             order=payload.order, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, risk)
    return Status(201, _get(request, id))


_EVIDENCE_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": "pdf、jpg、png、docx、xlsx、pptx、txt、csv，不超过上传上限"}},
    }}},
}


@router.post("/risks/{id}/evidence", response={201: FileOut, **WRITE}, summary="上传销号佐证材料（multipart）",
             openapi_extra={"requestBody": _EVIDENCE_BODY})
def upload_evidence(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    risk = _get(request, id)
    if not actions.can_request_close(request.auth, risk):
        deny(request.auth, "仅责任单位人员可以上传佐证材料", obj=risk)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return Status(400, {"detail": {"file": ["请选择要上传的文件（文件不能为空）"]}})
    try:
        stored = store_upload(uploaded, unit=risk.unit, user=request.auth, purpose="risks.evidence")
    except ValidationError as exc:
        return Status(400, {"detail": {"file": exc.messages}})
    return Status(201, stored)


@router.post("/risks/{id}/request-close", response={200: RiskDetailOut, **WRITE}, summary="申请销号（须有佐证材料）")
def request_close(request: HttpRequest, payload: RiskCloseIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    user = request.auth
    risk = _get(request, id)
    wanted = sorted(set(payload.file_ids))
    files = list(StoredFile.objects.filter(pk__in=wanted, uploaded_by=user, unit_id=risk.unit_id))
    if len(files) != len(wanted):
        return Status(404, {"detail": {"file_ids": ["佐证材料不存在，或不是您为该风险上传的"]}})
    try:
        actions.do_request_close(risk, text=payload.text, files=files, acting_user=user,
                                 expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, risk)
    return _get(request, id)


@router.post("/risks/{id}/verify", response={200: RiskDetailOut, **WRITE}, summary="验收销号（责任人不能验收）")
def verify(request: HttpRequest, payload: RiskReviewIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    risk = _get(request, id)
    try:
        actions.do_verify_close(risk, comment=payload.comment, acting_user=request.auth,
                                expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, risk)
    return _get(request, id)


@router.post("/risks/{id}/reject", response={200: RiskDetailOut, **WRITE}, summary="验收退回（须填理由）")
def reject(request: HttpRequest, payload: RiskReviewIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    risk = _get(request, id)
    try:
        actions.do_reject_close(risk, comment=payload.comment, acting_user=request.auth,
                                expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, risk)
    return _get(request, id)


@router.post("/risks/{id}/follow-up", response={200: RiskDetailOut, **WRITE}, summary="回头看（未通过则重新整改）")
def follow_up(request: HttpRequest, payload: RiskFollowUpIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    risk = _get(request, id)
    try:
        actions.do_follow_up(risk, passed=payload.passed, text=payload.text, task_title=payload.task_title,
                             task_due=payload.task_due, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, risk)
    return _get(request, id)


# --- analysis ---------------------------------------------------------------------------------------


@router.get("/heatmap", response={200: RiskHeatmapOut, 401: ErrorOut, 422: ErrorOut}, summary="热力图：领域 × 等级")
def get_heatmap(request: HttpRequest, include_closed: bool = False) -> Any:
    return heatmap(request.auth, include_closed=include_closed)


@router.get("/trend", response={200: list[RiskTrendRow], 401: ErrorOut}, summary="按季度新增与销号")
def get_trend(request: HttpRequest) -> Any:
    return trend(request.auth)


# --- settings ---------------------------------------------------------------------------------------


@router.get("/domains", response={200: list[RiskDomainOut], 401: ErrorOut}, summary="风险领域与排查清单")
def list_domains(request: HttpRequest) -> Any:
    return list(RiskDomain.objects.prefetch_related("points").order_by("sort_order", "id"))


@router.get("/matrix", response={200: RiskMatrixOut, 401: ErrorOut}, summary="风险等级矩阵")
def get_matrix(request: HttpRequest) -> Any:
    settings = RiskSettings.current()
    return {"matrix": settings.matrix, "version": settings.version}


@router.put("/matrix", response={200: RiskMatrixOut, **WRITE}, summary="修改风险等级矩阵（整体校验）")
def put_matrix(request: HttpRequest, payload: RiskMatrixIn) -> Any:
    try:
        settings = actions.do_update_matrix(payload.matrix, acting_user=request.auth,
                                            expected_version=payload.version)
    except ValidationError as exc:
        if isinstance(exc, actions.RiskConflict):
            return Status(409, {"detail": exc.messages[0], "code": "conflict",
                         "current_version": RiskSettings.current().version})
        return _refused(exc)
    return {"matrix": settings.matrix, "version": settings.version}


# --- screening --------------------------------------------------------------------------------------


@router.get("/campaigns", response={200: list[RiskCampaignOut], 401: ErrorOut}, summary="排查列表")
def list_campaigns(request: HttpRequest) -> Any:
    return list(ScreeningCampaign.objects.order_by("-start_date", "-id")[:200])


def _campaign_out(campaign: ScreeningCampaign, user: Any) -> dict[str, Any]:
    progress = campaign_progress(campaign, user)
    return {**{f: getattr(campaign, f) for f in ("id", "kind", "title", "start_date", "due_date", "status")},
            "counts": progress["counts"],
            "checks": [{"id": c.pk, "unit_id": c.unit_id, "unit_name": c.unit.name, "status": c.status,
                        "risks": c.risks, "submitted_at": c.submitted_at} for c in progress["checks"]]}


@router.get("/campaigns/{id}", response={200: RiskCampaignDetailOut, **READ}, summary="排查进度：哪些单位未填报")
def get_campaign(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    campaign = ScreeningCampaign.objects.filter(pk=id).first()
    if campaign is None:
        return Status(404, {"detail": "记录不存在或无权访问"})
    return _campaign_out(campaign, request.auth)


@router.post("/campaigns", response={201: RiskCampaignDetailOut, **WRITE}, summary="发起排查")
def create_campaign(request: HttpRequest, payload: RiskCampaignIn) -> Any:
    units = list(Unit.objects.filter(pk__in=set(payload.unit_ids), is_active=True))
    if len(units) != len(set(payload.unit_ids)):
        return Status(404, {"detail": {"unit_ids": ["单位不存在或已停用"]}})
    domains = list(RiskDomain.objects.filter(pk__in=set(payload.domain_ids)))
    if len(domains) != len(set(payload.domain_ids)):
        return Status(404, {"detail": {"domain_ids": ["领域不存在"]}})
    try:
        campaign = actions.do_launch_campaign(
            kind=payload.kind, title=payload.title, start_date=payload.start_date, due_date=payload.due_date,
            units=units, domains=domains, description=payload.description, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _campaign_out(campaign, request.auth))


@router.get("/checks/{id}", response={200: RiskSelfCheckOut, **READ}, summary="单位自查表")
def get_check(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return SelfCheck.objects.get_visible_or_404(request.auth, "view", pk=id)


@router.put("/checks/{id}", response={200: RiskSelfCheckOut, **WRITE}, summary="填报或提交自查（提交时存在风险的条目登记为风险）")
def put_check(request: HttpRequest, payload: RiskSelfCheckIn, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    check = SelfCheck.objects.get_visible_or_404(request.auth, "view", pk=id)
    answers = {a.id: a.model_dump(exclude={"id"}) for a in payload.answers}
    try:
        actions.do_save_self_check(check, answers=answers, summary=payload.summary, submit=payload.submit,
                                   acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        if isinstance(exc, actions.RiskConflict):
            return Status(409, {"detail": exc.messages[0], "code": "conflict",
                         "current_version": SelfCheck.objects.get(pk=id).version})
        return _refused(exc)
    return SelfCheck.objects.get(pk=id)
