"""Endpoints of /api/meetings: meeting series and meetings (agenda, record, decisions), contingency
plans and drills (timings, findings), pre-release checks.

Same rules as the UI and ledger/api.py: rows through `visible_to` (404 when out of scope, also for
a unit or person named in the body), writes through risks.meetings.actions; 403 visible but not
allowed (logged as DENIED by the action); 409 input the data refuses (a deadline before today, a
non-working day, a check with unanswered items …) or a stale `version` (`code: conflict` with
`current_version`); 422 input that does not match the schema (an unknown level, kind or answer).
"""


import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, StrictBool

from ledger.api import MULTILINE, MULTILINE_NAME, ConflictOut, DateIn, ErrorOut, Version, _name, _text
from org.actions import log_forged_units
from org.api import MAX_ID, BodySchema, Id, PageQuery, _not_bool
from org.models import Person, Unit
from risks.meetings import actions, selectors
from risks.meetings.choices import (
    Answer,
    Attendance,
    Cadence,
    MeetingKind,
    MeetingStatus,
    PlanLevel,
    SubjectKind,
)
from risks.meetings.models import (
    AnalysisMeeting,
    ChecklistTemplate,
    ContingencyPlan,
    Drill,
    MeetingSeries,
    ReleaseCheck,
)

router = Router()

READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ErrorOut}

KindCode = Literal[tuple(MeetingKind.values)]  # type: ignore[valid-type]
CadenceCode = Literal[tuple(Cadence.values)]  # type: ignore[valid-type]
LevelCode = Literal[tuple(PlanLevel.values)]  # type: ignore[valid-type]
AttendanceCode = Literal[tuple(Attendance.values)]  # type: ignore[valid-type]
SubjectCode = Literal[tuple(SubjectKind.values)]  # type: ignore[valid-type]
AnswerCode = Literal[("", *Answer.values)]  # type: ignore[valid-type]
Minutes = Annotated[int, Field(ge=1, le=10_080), BeforeValidator(_not_bool)]
Actual = Annotated[int, Field(ge=0, le=100_000), BeforeValidator(_not_bool)]
Year = Annotated[int, Field(ge=2000, le=2100), BeforeValidator(_not_bool)]


# --- output -----------------------------------------------------------------------------------------


class SeriesOut(Schema):
    id: int
    title: str
    kind: str
    cadence: int
    unit_id: int
    obligation_id: int | None
    is_active: bool
    default_attendee_ids: list[int]
    version: int

    @staticmethod
    def resolve_default_attendee_ids(obj: MeetingSeries) -> list[int]:
        return sorted(p.pk for p in obj.default_attendees.all())


class AgendaOut(Schema):
    id: int
    order: int
    source: str
    source_label: str
    ref: str
    title: str
    detail: str


class AttendeeOut(Schema):
    person_id: int
    name: str
    status: str
    note: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.person.name


class DecisionOut(Schema):
    id: int
    text: str
    unit_id: int
    due_date: datetime.date
    task_id: int | None


class MeetingOut(Schema):
    id: int
    title: str
    kind: str
    unit_id: int
    series_id: int | None
    scheduled_on: datetime.date
    status: str
    held_on: datetime.date | None
    location: str
    version: int


class MeetingDetailOut(MeetingOut):
    chair: str
    minutes: str
    agenda_filled_at: datetime.datetime | None
    agenda: list[AgendaOut]
    attendees: list[AttendeeOut]
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_agenda(obj: AnalysisMeeting) -> list[Any]:
        return list(obj.agenda.all())

    @staticmethod
    def resolve_attendees(obj: AnalysisMeeting) -> list[Any]:
        return list(obj.attendees.all())

    @staticmethod
    def resolve_decisions(obj: AnalysisMeeting) -> list[Any]:
        return list(obj.decisions.all())


class StepOut(Schema):
    order: int
    title: str
    role: str
    unit_id: int | None
    target_minutes: int


class ContingencyPlanOut(Schema):
    id: int
    title: str
    level: str
    level_label: str
    unit_id: int
    trigger: str
    description: str
    is_active: bool
    revision: int
    version: int
    steps: list[StepOut]

    @staticmethod
    def resolve_level_label(obj: ContingencyPlan) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_steps(obj: ContingencyPlan) -> list[Any]:
        return list(obj.steps.all())


class DrillStepOut(Schema):
    id: int
    order: int
    title: str
    responsible: str
    target_minutes: int
    actual_minutes: int | None
    is_late: bool
    note: str


class FindingOut(Schema):
    id: int
    text: str
    unit_id: int
    due_date: datetime.date
    task_id: int | None


class DrillOut(Schema):
    id: int
    plan_id: int
    plan_revision: int
    unit_id: int
    scenario: str
    held_at: datetime.datetime
    summary: str
    version: int
    participant_ids: list[int]
    steps: list[DrillStepOut]
    findings: list[FindingOut]

    @staticmethod
    def resolve_participant_ids(obj: Drill) -> list[int]:
        return sorted(p.pk for p in obj.participants.all())

    @staticmethod
    def resolve_steps(obj: Drill) -> list[Any]:
        return list(obj.steps.all())

    @staticmethod
    def resolve_findings(obj: Drill) -> list[Any]:
        return list(obj.findings.all())


class TemplateOut(Schema):
    id: int
    title: str
    description: str
    is_active: bool
    items: list[dict[str, Any]]

    @staticmethod
    def resolve_items(obj: ChecklistTemplate) -> list[dict[str, Any]]:
        return [{"group": i.group, "order": i.order, "text": i.text} for i in obj.items.all()]


class AnswerOut(Schema):
    id: int
    group: str
    order: int
    text: str
    answer: str
    note: str
    raise_risk: bool
    risk_id: int | None


class CheckOut(Schema):
    id: int
    unit_id: int
    template_id: int
    subject_title: str
    subject_kind: str
    subject_date: datetime.date
    status: str
    conclusion: str
    completed_at: datetime.datetime | None
    version: int


class CheckDetailOut(CheckOut):
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(obj: ReleaseCheck) -> list[Any]:
        return list(obj.answers.all())


def _page(schema: type[Schema]) -> type[Schema]:
    return type(f"{schema.__name__}Page", (Schema,), {"__annotations__": {
        "items": list[schema], "count": int, "limit": int, "offset": int}})


SeriesPage, MeetingPage, PlanPage, DrillPage, CheckPage, TemplatePage = (
    _page(SeriesOut), _page(MeetingOut), _page(ContingencyPlanOut), _page(DrillOut), _page(CheckOut), _page(TemplateOut))


# --- input ------------------------------------------------------------------------------------------


class SeriesIn(BodySchema):
    unit_id: Id
    title: _name(200)  # type: ignore[valid-type]
    kind: KindCode = "analysis"  # type: ignore[assignment]
    cadence: CadenceCode = 2  # type: ignore[assignment]
    default_attendee_ids: list[Id] = Field(default_factory=list, max_length=200)
    obligation_id: Id | None = Field(None, description="据以设置的工作要点事项")


class GenerateIn(BodySchema):
    year: Year


class MeetingIn(BodySchema):
    unit_id: Id
    title: _name(200)  # type: ignore[valid-type]
    kind: KindCode = "analysis"  # type: ignore[assignment]
    scheduled_on: DateIn = Field(..., description="不早于今天的工作日")
    allow_non_workday: StrictBool = False
    location: _text(100) = ""  # type: ignore[valid-type]
    attendee_ids: list[Id] = Field(default_factory=list, max_length=200)


class MeetingPatch(BodySchema):
    version: Version
    title: _name(200) = None  # type: ignore[valid-type]
    location: _text(100) = None  # type: ignore[valid-type]
    scheduled_on: DateIn = None  # type: ignore[assignment]
    allow_non_workday: StrictBool = False
    cancel: StrictBool = Field(False, description="取消本次会议")


class VersionIn(BodySchema):
    version: Version | None = None


class AgendaIn(BodySchema):
    title: _name(300)  # type: ignore[valid-type]
    detail: _text(5000, MULTILINE) = ""  # type: ignore[valid-type]
    version: Version | None = None


class AttendanceIn(BodySchema):
    person_id: Id
    status: AttendanceCode  # type: ignore[valid-type]
    note: _text(200) = ""  # type: ignore[valid-type]


class RecordIn(BodySchema):
    version: Version
    held_on: DateIn = Field(..., description="不晚于今天")
    chair: _text(64) = ""  # type: ignore[valid-type]
    minutes: _name(50_000, MULTILINE_NAME)  # type: ignore[valid-type]
    attendance: list[AttendanceIn] = Field(..., min_length=1, max_length=200)


class TaskRaisingIn(BodySchema):
    text: _name(2000, MULTILINE_NAME)  # type: ignore[valid-type]
    unit_id: Id
    due_date: DateIn = Field(..., description="不早于今天的工作日")
    allow_non_workday: StrictBool = False


class StepIn(BodySchema):
    title: _name(200)  # type: ignore[valid-type]
    role: _text(64) = ""  # type: ignore[valid-type]
    unit_id: Id | None = None
    target_minutes: Minutes


class PlanIn(BodySchema):
    unit_id: Id
    title: _name(200)  # type: ignore[valid-type]
    level: LevelCode = Field(..., description="1 Ⅰ级（特别重大）… 4 Ⅳ级（一般）")  # type: ignore[valid-type]
    trigger: _name(5000, MULTILINE_NAME)  # type: ignore[valid-type]
    description: _text(5000, MULTILINE) = ""  # type: ignore[valid-type]
    steps: list[StepIn] = Field(..., min_length=1, max_length=30)


class PlanPut(BodySchema):
    version: Version
    title: _name(200)  # type: ignore[valid-type]
    level: LevelCode  # type: ignore[valid-type]
    trigger: _name(5000, MULTILINE_NAME)  # type: ignore[valid-type]
    description: _text(5000, MULTILINE) = ""  # type: ignore[valid-type]
    is_active: StrictBool = True
    steps: list[StepIn] = Field(..., min_length=1, max_length=30)


class DrillIn(BodySchema):
    scenario: _name(5000, MULTILINE_NAME)  # type: ignore[valid-type]
    held_at: datetime.datetime
    participant_ids: list[Id] = Field(default_factory=list, max_length=200)


class TimingIn(BodySchema):
    step_id: Id
    actual_minutes: Actual | None = None
    note: _text(300) = ""  # type: ignore[valid-type]


class TimingsIn(BodySchema):
    version: Version
    timings: list[TimingIn] = Field(default_factory=list, max_length=100)
    summary: _text(10_000, MULTILINE) | None = None  # type: ignore[valid-type]


class CheckIn(BodySchema):
    unit_id: Id
    template_id: Id
    subject_title: _name(200)  # type: ignore[valid-type]
    subject_kind: SubjectCode  # type: ignore[valid-type]
    subject_date: DateIn = Field(..., description="不早于今天")


class AnswerIn(BodySchema):
    id: Id
    answer: AnswerCode = Field(..., description="yes 是（无风险）；no 否（发现风险，须说明）；na 不适用")  # type: ignore[valid-type]
    note: _text(500) = ""  # type: ignore[valid-type]
    raise_risk: StrictBool = False


class AnswersIn(BodySchema):
    version: Version
    answers: list[AnswerIn] = Field(default_factory=list, max_length=500)
    conclusion: _text(5000, MULTILINE) | None = None  # type: ignore[valid-type]


# --- helpers ----------------------------------------------------------------------------------------


def _refused(exc: ValidationError, obj: models.Model | None = None) -> Status:
    if isinstance(exc, actions.ConflictError):
        current = type(obj).objects.filter(pk=obj.pk).values_list("version", flat=True).first() if obj else None
        return Status(409, {"detail": exc.messages[0], "code": "conflict", "current_version": current})
    return Status(409, {"detail": exc.message_dict if hasattr(exc, "error_dict") else exc.messages})


def _unit(request: HttpRequest, unit_id: int, action: str = "change", field: str = "unit_id") -> Unit | Status:
    unit = Unit.objects.visible_to(request.auth, action).filter(pk=unit_id, is_active=True).first()
    if unit is None:
        if Unit.objects.filter(pk=unit_id).exists():
            log_forged_units(request.auth, {field: unit_id}, path=request.path, object_type="meetings")
        return Status(404, {"detail": {field: ["单位不存在、已停用或不在您的权限范围内"]}})
    return unit


def _people(request: HttpRequest, ids: list[int], field: str) -> list[Person] | Status:
    wanted = sorted(set(ids))
    people = list(Person.objects.visible_to(request.auth, "view").filter(pk__in=wanted, is_active=True))
    if len(people) != len(wanted):
        return Status(404, {"detail": {field: ["人员不存在、已离岗或不在您的权限范围内"]}})
    return people


def _list(qs: Any, query: PageQuery) -> dict[str, Any]:
    return {"items": list(qs[query.offset: query.offset + query.limit]), "count": qs.count(),
            "limit": query.limit, "offset": query.offset}


PK = Path(..., ge=1, le=MAX_ID)


# --- series and meetings ----------------------------------------------------------------------------


@router.get("/series", response={200: SeriesPage, **READ}, summary="会议计划列表")
def list_series(request: HttpRequest, query: Query[PageQuery]) -> Any:
    return _list(selectors.series_for(request.auth).prefetch_related("default_attendees"), query)


@router.post("/series", response={201: SeriesOut, **WRITE}, summary="新建会议计划")
def create_series(request: HttpRequest, payload: SeriesIn) -> Any:
    unit = _unit(request, payload.unit_id)
    if isinstance(unit, Status):
        return unit
    people = _people(request, payload.default_attendee_ids, "default_attendee_ids")
    if isinstance(people, Status):
        return people
    obligation = None
    if payload.obligation_id is not None:
        obligation = next((o for o in selectors.obligation_suggestions(request.auth, limit=500)
                           if o.pk == payload.obligation_id), None)
        if obligation is None:
            return Status(404, {"detail": {"obligation_id": ["工作要点事项不存在、不涉及研判会或已设置会议计划"]}})
    try:
        series = actions.do_create_series(unit=unit, title=payload.title, kind=payload.kind, cadence=payload.cadence,
                                          default_attendees=people, obligation=obligation, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, series)


@router.post("/series/{id}/generate", response={201: MeetingPage, **WRITE}, summary="按频次安排年度会议")
def generate(request: HttpRequest, payload: GenerateIn, id: int = PK) -> Any:  # noqa: A002
    series = MeetingSeries.objects.get_visible_or_404(request.auth, "view", pk=id)
    try:
        made = actions.do_generate_meetings(series, year=payload.year, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, {"items": made, "count": len(made), "limit": len(made), "offset": 0})


@router.get("/meetings", response={200: MeetingPage, **READ}, summary="会议列表")
def list_meetings(request: HttpRequest, query: Query[PageQuery]) -> Any:
    return _list(selectors.meetings_for(request.auth), query)


def _meeting(request: HttpRequest, pk: int) -> AnalysisMeeting:
    return selectors.meeting_detail(request.auth, pk)


@router.get("/meetings/{id}", response={200: MeetingDetailOut, **READ}, summary="会议详情（议程、参会、决定）")
def get_meeting(request: HttpRequest, id: int = PK) -> Any:  # noqa: A002
    return _meeting(request, id)


@router.post("/meetings", response={201: MeetingDetailOut, **WRITE}, summary="安排会议")
def create_meeting(request: HttpRequest, payload: MeetingIn) -> Any:
    unit = _unit(request, payload.unit_id)
    if isinstance(unit, Status):
        return unit
    people = _people(request, payload.attendee_ids, "attendee_ids")
    if isinstance(people, Status):
        return people
    try:
        meeting = actions.do_create_meeting(unit=unit, title=payload.title, kind=payload.kind,
                                            scheduled_on=payload.scheduled_on, location=payload.location,
                                            attendees=people, allow_non_workday=payload.allow_non_workday,
                                            acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _meeting(request, meeting.pk))


@router.patch("/meetings/{id}", response={200: MeetingDetailOut, **WRITE}, summary="修改或取消会议（须带 version）")
def update_meeting(request: HttpRequest, payload: MeetingPatch, id: int = PK) -> Any:  # noqa: A002
    meeting = _meeting(request, id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version", "allow_non_workday", "cancel"})
    for name in ("title", "scheduled_on", "location"):
        if name in changes and changes[name] is None:
            return Status(409, {"detail": {name: ["不能为空"]}})
    if payload.cancel:
        changes["status"] = MeetingStatus.CANCELLED
    try:
        actions.do_update_meeting(meeting, acting_user=request.auth, expected_version=payload.version,
                                  allow_non_workday=payload.allow_non_workday, **changes)
    except ValidationError as exc:
        return _refused(exc, meeting)
    return _meeting(request, id)


@router.post("/meetings/{id}/agenda/prefill", response={200: MeetingDetailOut, **WRITE},
             summary="预填议程（未销号风险、新发事件、逾期事项）")
def prefill(request: HttpRequest, payload: VersionIn, id: int = PK) -> Any:  # noqa: A002
    meeting = _meeting(request, id)
    try:
        actions.do_prefill_agenda(meeting, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, meeting)
    return _meeting(request, id)


@router.post("/meetings/{id}/agenda", response={201: MeetingDetailOut, **WRITE}, summary="添加议题")
def add_agenda(request: HttpRequest, payload: AgendaIn, id: int = PK) -> Any:  # noqa: A002
    meeting = _meeting(request, id)
    try:
        actions.do_add_agenda_item(meeting, title=payload.title, detail=payload.detail, acting_user=request.auth,
                                   expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, meeting)
    return Status(201, _meeting(request, id))


@router.post("/meetings/{id}/record", response={200: MeetingDetailOut, **WRITE},
             summary="记录会议召开情况（纪要、参会）")
def record(request: HttpRequest, payload: RecordIn, id: int = PK) -> Any:  # noqa: A002
    meeting = _meeting(request, id)
    known = {a.person_id: a.person for a in meeting.attendees.all()}
    new_ids = [r.person_id for r in payload.attendance if r.person_id not in known]
    people = _people(request, new_ids, "attendance")
    if isinstance(people, Status):
        return people
    known.update({p.pk: p for p in people})
    rows = [actions.AttendanceRow(known[r.person_id], r.status, r.note) for r in payload.attendance]
    try:
        actions.do_record_meeting(meeting, held_on=payload.held_on, minutes=payload.minutes, chair=payload.chair,
                                  attendance=rows, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, meeting)
    return _meeting(request, id)


@router.post("/meetings/{id}/decisions", response={201: DecisionOut, **WRITE}, summary="登记会议决定（生成任务）")
def add_decision(request: HttpRequest, payload: TaskRaisingIn, id: int = PK) -> Any:  # noqa: A002
    return _raise_task(request, _meeting(request, id), payload, actions.do_add_decision, "无权登记该会议的决定")


def _raise_task(request: HttpRequest, parent: Any, payload: TaskRaisingIn, add: Any, refusal: str) -> Any:
    """A meeting decision or a drill finding: each raises a ledger task for a unit in scope."""
    if not actions.can_manage(request.auth, parent.unit_id):
        actions.require(False, request.auth, refusal, parent)
    unit = _unit(request, payload.unit_id)
    if isinstance(unit, Status):
        return unit
    try:
        row = add(parent, text=payload.text, unit=unit, due_date=payload.due_date,
                  allow_non_workday=payload.allow_non_workday, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, row)


# --- plans and drills -------------------------------------------------------------------------------


def _steps(request: HttpRequest, steps: list[StepIn]) -> list[actions.StepData] | Status:
    ids = sorted({s.unit_id for s in steps if s.unit_id is not None})
    units = {u.pk: u for u in Unit.objects.visible_to(request.auth, "view").filter(pk__in=ids, is_active=True)}
    if len(units) != len(ids):
        return Status(404, {"detail": {"steps": ["步骤的责任单位不存在或不在您的权限范围内"]}})
    return [actions.StepData(s.title, s.target_minutes, s.role, units.get(s.unit_id)) for s in steps]


def _plan(request: HttpRequest, pk: int) -> ContingencyPlan:
    return (ContingencyPlan.objects.select_related("unit").prefetch_related("steps")
            .get_visible_or_404(request.auth, "view", pk=pk))


@router.get("/plans", response={200: PlanPage, **READ}, summary="应急预案列表")
def list_plans(request: HttpRequest, query: Query[PageQuery]) -> Any:
    return _list(selectors.plans_for(request.auth).prefetch_related("steps"), query)


@router.get("/plans/{id}", response={200: ContingencyPlanOut, **READ}, summary="应急预案详情")
def get_plan(request: HttpRequest, id: int = PK) -> Any:  # noqa: A002
    return _plan(request, id)


@router.post("/plans", response={201: ContingencyPlanOut, **WRITE}, summary="制定应急预案")
def create_plan(request: HttpRequest, payload: PlanIn) -> Any:
    unit = _unit(request, payload.unit_id)
    if isinstance(unit, Status):
        return unit
    steps = _steps(request, payload.steps)
    if isinstance(steps, Status):
        return steps
    try:
        plan = actions.do_create_plan(unit=unit, title=payload.title, level=payload.level, trigger=payload.trigger,
                                      description=payload.description, steps=steps, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _plan(request, plan.pk))


@router.put("/plans/{id}", response={200: ContingencyPlanOut, **WRITE}, summary="修订应急预案（整体替换步骤，须带 version）")
def update_plan(request: HttpRequest, payload: PlanPut, id: int = PK) -> Any:  # noqa: A002
    plan = _plan(request, id)
    steps = _steps(request, payload.steps)
    if isinstance(steps, Status):
        return steps
    try:
        actions.do_update_plan(plan, title=payload.title, level=payload.level, trigger=payload.trigger,
                               description=payload.description, is_active=payload.is_active, steps=steps,
                               acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, plan)
    return _plan(request, id)


def _drill(request: HttpRequest, pk: int) -> Drill:
    return selectors.drill_detail(request.auth, pk)


@router.get("/drills", response={200: DrillPage, **READ}, summary="应急演练列表")
def list_drills(request: HttpRequest, query: Query[PageQuery]) -> Any:
    return _list(selectors.drills_for(request.auth).prefetch_related("steps", "findings", "participants"), query)


@router.get("/drills/{id}", response={200: DrillOut, **READ}, summary="演练详情（各步骤用时、发现问题）")
def get_drill(request: HttpRequest, id: int = PK) -> Any:  # noqa: A002
    return _drill(request, id)


@router.post("/plans/{id}/drills", response={201: DrillOut, **WRITE}, summary="登记演练")
def create_drill(request: HttpRequest, payload: DrillIn, id: int = PK) -> Any:  # noqa: A002
    plan = _plan(request, id)
    people = _people(request, payload.participant_ids, "participant_ids")
    if isinstance(people, Status):
        return people
    try:
        drill = actions.do_create_drill(plan, scenario=payload.scenario, held_at=payload.held_at,
                                        participants=people, acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _drill(request, drill.pk))


@router.post("/drills/{id}/timings", response={200: DrillOut, **WRITE}, summary="记录各步骤实际用时（须带 version）")
def timings(request: HttpRequest, payload: TimingsIn, id: int = PK) -> Any:  # noqa: A002
    drill = _drill(request, id)
    rows = [actions.StepTiming(t.step_id, t.actual_minutes, t.note) for t in payload.timings]
    try:
        actions.do_record_drill(drill, timings=rows, summary=payload.summary, acting_user=request.auth,
                                expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, drill)
    return _drill(request, id)


@router.post("/drills/{id}/findings", response={201: FindingOut, **WRITE}, summary="登记演练发现的问题（生成整改任务）")
def add_finding(request: HttpRequest, payload: TaskRaisingIn, id: int = PK) -> Any:  # noqa: A002
    return _raise_task(request, _drill(request, id), payload, actions.do_add_finding, "无权登记该演练的问题")


# --- pre-release checks -----------------------------------------------------------------------------


@router.get("/check-templates", response={200: TemplatePage, **READ}, summary="风险评估清单（启用的）")
def list_templates(request: HttpRequest, query: Query[PageQuery]) -> Any:
    return _list(ChecklistTemplate.objects.filter(is_active=True).prefetch_related("items").order_by("title", "id"),
                 query)


def _check(request: HttpRequest, pk: int) -> ReleaseCheck:
    return ReleaseCheck.objects.prefetch_related("answers").get_visible_or_404(request.auth, "view", pk=pk)


@router.get("/checks", response={200: CheckPage, **READ}, summary="风险评估前置检查列表")
def list_checks(request: HttpRequest, query: Query[PageQuery]) -> Any:
    return _list(selectors.checks_for(request.auth), query)


@router.get("/checks/{id}", response={200: CheckDetailOut, **READ}, summary="风险评估详情")
def get_check(request: HttpRequest, id: int = PK) -> Any:  # noqa: A002
    return _check(request, id)


@router.post("/checks", response={201: CheckDetailOut, **WRITE}, summary="新建风险评估（复制清单的检查项）")
def create_check(request: HttpRequest, payload: CheckIn) -> Any:
    unit = _unit(request, payload.unit_id, "work")
    if isinstance(unit, Status):
        return unit
    template = ChecklistTemplate.objects.filter(pk=payload.template_id, is_active=True).first()
    if template is None:
        return Status(404, {"detail": {"template_id": ["清单不存在或已停用"]}})
    try:
        check = actions.do_start_check(unit=unit, template=template, subject_title=payload.subject_title,
                                       subject_kind=payload.subject_kind, subject_date=payload.subject_date,
                                       acting_user=request.auth)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, _check(request, check.pk))


@router.put("/checks/{id}/answers", response={200: CheckDetailOut, **WRITE}, summary="保存作答（须带 version）")
def save_answers(request: HttpRequest, payload: AnswersIn, id: int = PK) -> Any:  # noqa: A002
    check = _check(request, id)
    rows = [actions.AnswerData(a.id, a.answer, a.note, a.raise_risk) for a in payload.answers]
    try:
        actions.do_save_answers(check, answers=rows, conclusion=payload.conclusion, acting_user=request.auth,
                                expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, check)
    return _check(request, id)


@router.post("/checks/{id}/complete", response={200: CheckDetailOut, **WRITE}, summary="完成评估并存档（冻结）")
def complete(request: HttpRequest, payload: VersionIn, id: int = PK) -> Any:  # noqa: A002
    check = _check(request, id)
    try:
        actions.do_complete_check(check, acting_user=request.auth, expected_version=payload.version)
    except ValidationError as exc:
        return _refused(exc, check)
    return _check(request, id)
