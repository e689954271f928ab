"""Responsibility endpoints (/api/responsibility): lists, letters, duty reports, contact points.

Same conventions as org/api.py and ledger/api.py: rows through `visible_to` (out of scope: 404),
visible but not allowed: 403 (logged), refused by the data — a frozen letter or list, a stale
`version` (with `code: "conflict"` and `current_version`) — 409, schema mismatch 422.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictBool

from org.api import READ, WRITE, BodySchema, ErrorOut, Id, PageQuery, _detail, _page, _text, _unit_in_scope
from org.models import (
    ContactPoint,
    DutyReport,
    DutyReportSchedule,
    LetterTemplate,
    Person,
    ResponsibilityLetter,
    ResponsibilityList,
)
from org.responsibility import (
    ConflictError,
    can_review,
    can_sign,
    can_submit,
    do_comment_duty_report,
    do_create_contact_point,
    do_create_duty_schedule,
    do_create_letter_template,
    do_create_list,
    do_publish_list,
    do_revise_list,
    do_save_list_draft,
    do_send_letters,
    do_sign_letter,
    do_submit_duty_report,
    do_update_contact_point,
    do_update_letter,
)
from org.responsibility_choices import Cadence, DutyReportStatus, LetterStatus, Post

router = Router()

PostCode = Literal[tuple(Post.values)]  # type: ignore[valid-type]
CadenceCode = Literal[tuple(Cadence.values)]  # type: ignore[valid-type]
LetterStatusCode = Literal[tuple(LetterStatus.values)]  # type: ignore[valid-type]
ReportStatusCode = Literal[tuple(DutyReportStatus.values)]  # type: ignore[valid-type]


class RespConflictOut(Schema):
    detail: str | dict[str, Any] | list[Any]
    code: str | None = None
    current_version: int | None = None


W = {**WRITE, 409: RespConflictOut}


def _refused(exc: ValidationError, current: int | None = None) -> Status:
    if isinstance(exc, ConflictError):
        return Status(409, {"detail": exc.messages[0], "code": "conflict", "current_version": current})
    return Status(409, {"detail": _detail(exc), "code": getattr(exc, "code", None) or None})


def _version_of(model: Any, pk: int) -> int | None:
    return model.objects.filter(pk=pk).values_list("version", flat=True).first()


# --- output -----------------------------------------------------------------------------------------


class RespEntryOut(Schema):
    order: int
    text: str
    quote: str
    obligation_id: int | None


class RespRevisionOut(Schema):
    number: int
    status: str
    note: str
    published_at: datetime.datetime | None
    entries: list[RespEntryOut]

    @staticmethod
    def resolve_entries(obj: Any) -> list[Any]:
        return list(obj.entries.all())


class RespListOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    post: PostCode
    holder_id: int | None
    year: int
    title: str
    version: int
    revisions: list[RespRevisionOut]

    @staticmethod
    def resolve_unit_name(obj: ResponsibilityList) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_revisions(obj: ResponsibilityList) -> list[Any]:
        return list(obj.revisions.all())


class RespListSummaryOut(Schema):
    id: int
    unit_id: int
    post: PostCode
    holder_id: int | None
    year: int
    title: str
    version: int


class RespLetterOut(Schema):
    id: int
    template_id: int
    unit_id: int
    addressee_id: int
    addressee_name: str
    year: int
    title: str
    body: str
    status: LetterStatusCode
    signed_at: datetime.datetime | None
    signed_by: str | None
    signed_ip: str | None
    signed_hash: str
    version: int
    can_sign: bool

    @staticmethod
    def resolve_addressee_name(obj: ResponsibilityLetter) -> str:
        return obj.addressee.name

    @staticmethod
    def resolve_signed_by(obj: ResponsibilityLetter) -> str | None:
        return obj.signed_by.username if obj.signed_by_id else None

    @staticmethod
    def resolve_can_sign(obj: ResponsibilityLetter, context: Any) -> bool:
        return can_sign(context["request"].auth, obj)


class LetterTemplateOut(Schema):
    id: int
    unit_id: int
    year: int
    title: str
    body: str


class LetterSendOut(Schema):
    sent: int
    letter_ids: list[int]


class DutyReportOut(Schema):
    id: int
    schedule_id: int
    unit_id: int
    author_id: int
    author_name: str
    period_label: str
    due_date: datetime.date
    task_id: int | None
    status: ReportStatusCode
    content: str
    submitted_at: datetime.datetime | None
    version: int
    can_submit: bool
    can_review: bool

    @staticmethod
    def resolve_author_name(obj: DutyReport) -> str:
        return obj.author.name

    @staticmethod
    def resolve_can_submit(obj: DutyReport, context: Any) -> bool:
        return can_submit(context["request"].auth, obj)

    @staticmethod
    def resolve_can_review(obj: DutyReport, context: Any) -> bool:
        return can_review(context["request"].auth, obj)


class DutyScheduleOut(Schema):
    id: int
    unit_id: int
    year: int
    title: str
    cadence: CadenceCode
    reports: int

    @staticmethod
    def resolve_reports(obj: DutyReportSchedule) -> int:
        return obj.reports.count()


class DutyCommentOut(Schema):
    id: int
    text: str
    marks_reviewed: bool
    created_at: datetime.datetime


class ContactPointOut(Schema):
    id: int
    leader_id: int
    leader_name: str
    unit_id: int
    unit_name: str
    start_date: datetime.date
    end_date: datetime.date | None
    note: str
    version: int

    @staticmethod
    def resolve_leader_name(obj: ContactPoint) -> str:
        return obj.leader.name

    @staticmethod
    def resolve_unit_name(obj: ContactPoint) -> str:
        return obj.unit.name


class RespListPage(Schema):
    items: list[RespListSummaryOut]
    count: int
    limit: int
    offset: int


class RespLetterPage(Schema):
    items: list[RespLetterOut]
    count: int
    limit: int
    offset: int


class DutyReportPage(Schema):
    items: list[DutyReportOut]
    count: int
    limit: int
    offset: int


class ContactPointPage(Schema):
    items: list[ContactPointOut]
    count: int
    limit: int
    offset: int


# --- input ------------------------------------------------------------------------------------------


class RespListQuery(PageQuery):
    year: int | None = Field(None, ge=2000, le=2100)
    post: PostCode | None = None
    unit_id: Id | None = None


class RespListIn(BodySchema):
    unit_id: Id
    post: PostCode
    year: int = Field(..., ge=2000, le=2100)


class RespEntryIn(BodySchema):
    text: _text(2000) = Field(..., min_length=1)  # type: ignore[valid-type]
    quote: _text(5000) = ""  # type: ignore[valid-type]


class RespDraftIn(BodySchema):
    entries: list[RespEntryIn] = Field(..., min_length=1, max_length=300)
    note: _text(200) | None = None  # type: ignore[valid-type]
    version: int = Field(..., ge=1, le=2**31 - 1, description="读取时的 version；已被他人修改时返回 409")


class RespVersionIn(BodySchema):
    version: int = Field(..., ge=1, le=2**31 - 1, description="读取时的 version；已被他人修改时返回 409")


class LetterTemplateIn(BodySchema):
    unit_id: Id
    year: int = Field(..., ge=2000, le=2100)
    title: _text(200) = Field(..., min_length=1)  # type: ignore[valid-type]
    body: _text(20000) = Field(..., min_length=1)  # type: ignore[valid-type]


class RespLetterQuery(PageQuery):
    box: Literal["mine", "all"] = "all"
    status: LetterStatusCode | None = None
    template_id: Id | None = None


class RespLetterPatch(BodySchema):
    body: _text(20000) = Field(..., min_length=1)  # type: ignore[valid-type]
    version: int = Field(..., ge=1, le=2**31 - 1, description="读取时的 version；已被他人修改时返回 409")


class LetterSignIn(BodySchema):
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class DutyScheduleIn(BodySchema):
    unit_id: Id
    year: int = Field(..., ge=2000, le=2100)
    title: _text(200) = ""  # type: ignore[valid-type]
    cadence: CadenceCode = Cadence.HALF_YEAR.value
    due_dates: list[datetime.date] = Field(default_factory=list, max_length=4,
                                           description="按期的提交时限；不填则为每期最后一个工作日")


class DutyReportQuery(PageQuery):
    box: Literal["mine", "all"] = "all"
    status: ReportStatusCode | None = None


class DutyReportSubmitIn(BodySchema):
    content: _text(50000) = Field(..., min_length=10)  # type: ignore[valid-type]
    version: int = Field(..., ge=1, le=2**31 - 1, description="读取时的 version；已被他人修改时返回 409")


class DutyCommentIn(BodySchema):
    text: _text(5000) = Field(..., min_length=1)  # type: ignore[valid-type]
    mark_reviewed: StrictBool = False
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class ContactPointIn(BodySchema):
    leader_id: Id
    unit_id: Id
    start_date: datetime.date
    end_date: datetime.date | None = None
    note: _text(300) = ""  # type: ignore[valid-type]


class ContactPointPatch(BodySchema):
    start_date: datetime.date = None  # type: ignore[assignment]
    end_date: datetime.date | None = None
    note: _text(300) = None  # type: ignore[valid-type]
    version: int = Field(..., ge=1, le=2**31 - 1, description="读取时的 version；已被他人修改时返回 409")


# --- lists ------------------------------------------------------------------------------------------


def _lists(request: HttpRequest) -> Any:
    return ResponsibilityList.objects.visible_to(request.auth, "view").select_related("unit")  # type: ignore[arg-type]


@router.get("/lists", response={200: RespListPage, **READ}, summary="责任清单列表")
def list_lists(request: HttpRequest, query: Query[RespListQuery]) -> Any:
    qs = _lists(request).order_by("-year", "unit__path", "id")
    if query.year:
        qs = qs.filter(year=query.year)
    if query.post:
        qs = qs.filter(post=query.post)
    if query.unit_id:
        qs = qs.filter(unit_id=query.unit_id)
    return _page(qs, query)


@router.get("/lists/{id}", response={200: RespListOut, **READ}, summary="责任清单（含各版本）")
def get_list(request: HttpRequest, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    return _lists(request).get_visible_or_404(request.auth, "view", pk=id)


@router.post("/lists", response={201: RespListOut, **W}, summary="起草责任清单（按工作要点预填）")
def create_list(request: HttpRequest, payload: RespListIn) -> Any:
    unit = _unit_in_scope(request, payload.unit_id, "unit_id", "change")
    if isinstance(unit, Status):
        return unit
    try:
        lst = do_create_list(unit=unit, post=payload.post, year=payload.year, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _lists(request).get(pk=lst.pk))


@router.put("/lists/{id}/draft", response={200: RespListOut, **W}, summary="保存草稿条目（已公示版本冻结）")
def save_draft(request: HttpRequest, payload: RespDraftIn, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    lst = _lists(request).get_visible_or_404(request.auth, "view", pk=id)
    entries = [{"text": e.text, "quote": e.quote, "obligation_id": None} for e in payload.entries]
    try:
        do_save_list_draft(lst, entries=entries, note=payload.note, acting_user=request.auth,
                           expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, _version_of(ResponsibilityList, lst.pk))
    return _lists(request).get(pk=lst.pk)


def _list_step(request: HttpRequest, pk: int, payload: RespVersionIn, action: Any) -> Any:
    lst = _lists(request).get_visible_or_404(request.auth, "view", pk=pk)
    try:
        action(lst, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, _version_of(ResponsibilityList, lst.pk))
    return _lists(request).get(pk=lst.pk)


@router.post("/lists/{id}/publish", response={200: RespListOut, **W}, summary="公示草稿版本")
def publish_list(request: HttpRequest, payload: RespVersionIn, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    return _list_step(request, id, payload, do_publish_list)


@router.post("/lists/{id}/revise", response={200: RespListOut, **W}, summary="修订：以公示版本为底稿生成新草稿")
def revise_list(request: HttpRequest, payload: RespVersionIn, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    return _list_step(request, id, payload, do_revise_list)


# --- letters ----------------------------------------------------------------------------------------


def _letters(request: HttpRequest) -> Any:
    return (ResponsibilityLetter.objects.visible_to(request.auth, "view")  # type: ignore[arg-type]
            .select_related("addressee", "signed_by"))


@router.post("/letter-templates", response={201: LetterTemplateOut, **W}, summary="拟定责任书模板")
def create_template(request: HttpRequest, payload: LetterTemplateIn) -> Any:
    unit = _unit_in_scope(request, payload.unit_id, "unit_id", "change")
    if isinstance(unit, Status):
        return unit
    try:
        template = do_create_letter_template(unit=unit, year=payload.year, title=payload.title, body=payload.body,
                                             acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, template)


@router.post("/letter-templates/{id}/send", response={200: LetterSendOut, **W}, summary="向各单位负责人发送责任书")
def send_template(request: HttpRequest, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    template = LetterTemplate.objects.get_visible_or_404(request.auth, "view", pk=id)  # type: ignore[arg-type]
    try:
        created = do_send_letters(template, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return {"sent": len(created), "letter_ids": [letter.pk for letter in created]}


@router.get("/letters", response={200: RespLetterPage, **READ}, summary="责任书列表（status=sent 为未签署）")
def list_letters(request: HttpRequest, query: Query[RespLetterQuery]) -> Any:
    qs = _letters(request).order_by("status", "-year", "unit__path", "id")
    if query.box == "mine":
        qs = qs.filter(addressee__user=request.auth)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.template_id:
        qs = qs.filter(template_id=query.template_id)
    return _page(qs, query)


@router.get("/letters/{id}", response={200: RespLetterOut, **READ}, summary="责任书")
def get_letter(request: HttpRequest, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    return _letters(request).get_visible_or_404(request.auth, "view", pk=id)


@router.patch("/letters/{id}", response={200: RespLetterOut, **W}, summary="修改未签署的责任书正文")
def update_letter(request: HttpRequest, payload: RespLetterPatch, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    letter = _letters(request).get_visible_or_404(request.auth, "view", pk=id)
    try:
        do_update_letter(letter, body=payload.body, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, _version_of(ResponsibilityLetter, letter.pk))
    return _letters(request).get(pk=letter.pk)


@router.post("/letters/{id}/sign", response={200: RespLetterOut, **W}, summary="签署责任书（仅签署人本人）")
def sign_letter(request: HttpRequest, payload: LetterSignIn, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    letter = _letters(request).get_visible_or_404(request.auth, "view", pk=id)
    try:
        do_sign_letter(letter, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, _version_of(ResponsibilityLetter, letter.pk))
    return _letters(request).get(pk=letter.pk)


# --- duty reports -----------------------------------------------------------------------------------


def _reports(request: HttpRequest) -> Any:
    return DutyReport.objects.visible_to(request.auth, "view").select_related("author")  # type: ignore[arg-type]


@router.post("/duty-schedules", response={201: DutyScheduleOut, **W}, summary="安排履职报告（为各单位负责人生成报告与台账任务）")
def create_schedule(request: HttpRequest, payload: DutyScheduleIn) -> Any:
    unit = _unit_in_scope(request, payload.unit_id, "unit_id", "change")
    if isinstance(unit, Status):
        return unit
    try:
        schedule = do_create_duty_schedule(unit=unit, year=payload.year, title=payload.title, cadence=payload.cadence,
                                           due_dates=payload.due_dates or None, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, schedule)


@router.get("/duty-reports", response={200: DutyReportPage, **READ}, summary="履职报告列表")
def list_reports(request: HttpRequest, query: Query[DutyReportQuery]) -> Any:
    qs = _reports(request).order_by("due_date", "unit__path", "id")
    if query.box == "mine":
        qs = qs.filter(author__user=request.auth)
    if query.status:
        qs = qs.filter(status=query.status)
    return _page(qs, query)


@router.get("/duty-reports/{id}", response={200: DutyReportOut, **READ}, summary="履职报告")
def get_report(request: HttpRequest, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    return _reports(request).get_visible_or_404(request.auth, "view", pk=id)


@router.post("/duty-reports/{id}/submit", response={200: DutyReportOut, **W}, summary="提交履职报告（仅报告人本人；台账任务随之办结）")
def submit_report(request: HttpRequest, payload: DutyReportSubmitIn, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    report = _reports(request).get_visible_or_404(request.auth, "view", pk=id)
    try:
        do_submit_duty_report(report, content=payload.content, acting_user=request.auth,
                              expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, _version_of(DutyReport, report.pk))
    return _reports(request).get(pk=report.pk)


@router.post("/duty-reports/{id}/comments", response={201: DutyCommentOut, **W}, summary="审阅意见（分管领导等）")
def comment_report(request: HttpRequest, payload: DutyCommentIn, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    report = _reports(request).get_visible_or_404(request.auth, "view", pk=id)
    try:
        comment = do_comment_duty_report(report, text=payload.text, mark_reviewed=payload.mark_reviewed,
                                         acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, _version_of(DutyReport, report.pk))
    return Status(201, comment)


# --- contact points ---------------------------------------------------------------------------------


def _contacts(request: HttpRequest) -> Any:
    return ContactPoint.objects.visible_to(request.auth, "view").select_related("leader", "unit")  # type: ignore[arg-type]


class ContactPointQuery(PageQuery):
    leader_id: Id | None = None
    unit_id: Id | None = None
    current: bool = Field(False, description="true 仅当前有效")


@router.get("/contact-points", response={200: ContactPointPage, **READ}, summary="联系点登记")
def list_contacts(request: HttpRequest, query: Query[ContactPointQuery]) -> Any:
    qs = _contacts(request)
    if query.leader_id:
        qs = qs.filter(leader_id=query.leader_id)
    if query.unit_id:
        qs = qs.filter(unit_id=query.unit_id)
    if query.current:
        from django.utils import timezone

        qs = qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=timezone.localdate()))
    return _page(qs, query)


@router.post("/contact-points", response={201: ContactPointOut, **W}, summary="登记联系点")
def create_contact(request: HttpRequest, payload: ContactPointIn) -> Any:
    unit = _unit_in_scope(request, payload.unit_id, "unit_id", "change")
    if isinstance(unit, Status):
        return unit
    leader = Person.objects.visible_to(request.auth, "view").filter(pk=payload.leader_id).first()  # type: ignore[arg-type]
    if leader is None:
        return Status(404, {"detail": {"leader_id": ["人员不存在或不在您的权限范围内"]}})
    try:
        point = do_create_contact_point(leader=leader, unit=unit, start_date=payload.start_date,
                                        end_date=payload.end_date, note=payload.note, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _contacts(request).get(pk=point.pk))


@router.patch("/contact-points/{id}", response={200: ContactPointOut, **W}, summary="修改联系点（期间、内容）")
def update_contact(request: HttpRequest, payload: ContactPointPatch, id: int = Path(..., ge=1, le=2**63 - 1)) -> Any:  # noqa: A002
    point = _contacts(request).get_visible_or_404(request.auth, "view", pk=id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    try:
        do_update_contact_point(point, acting_user=request.auth, expected_version=version, **changes)
    except ValidationError as exc:
        return _refused(exc, _version_of(ContactPoint, point.pk))
    return _contacts(request).get(pk=point.pk)


__all__ = ["ErrorOut", "router"]
