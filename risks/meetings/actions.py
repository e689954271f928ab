"""Every write of the meetings app: one transaction each, audited, version-checked.

Who may do what (the row must also be in the user's scope, see core.scoping):

- view:   anyone whose view scope holds the record's unit;
- manage: series, meetings, decisions, plans, drills, findings — the change scope (unit heads,
          leaders over the unit, administrators);
- fill:   a pre-release check — the work scope (the unit's own people and those above them);
- checklist templates — administrators.

Refusals: PermissionDenied (written to the audit log as DENIED), ValidationError with a Chinese
message for bad input, `MeetingConflict` (a ledger ConflictError) for a stale `version`. Work is
raised in the ledger only through `ledger.actions.create_task(source=…, source_kind=…)`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from core import audit, workdays
from core.scoping import is_admin, unit_in_scope
from ledger.actions import ConflictError, create_task
from ledger.choices import SourceKind
from risks.meetings import agenda
from risks.meetings.choices import (
    Answer,
    Attendance,
    Cadence,
    CheckStatus,
    MeetingKind,
    MeetingStatus,
    PlanLevel,
    SubjectKind,
)
from risks.meetings.models import (
    AgendaItem,
    AnalysisMeeting,
    Attendee,
    CheckAnswer,
    ChecklistItem,
    ChecklistTemplate,
    ContingencyPlan,
    Decision,
    Drill,
    DrillFinding,
    DrillStep,
    MeetingSeries,
    ReleaseCheck,
    ResponseStep,
)

PAST_DEADLINE = "完成时限不能早于今天"
LEVEL_LABELS = "、".join(label.split("（")[0] for label in PlanLevel.labels)


class MeetingConflict(ConflictError):
    """Someone else saved the record since the page (or API client) loaded it."""

    def __init__(self) -> None:
        ValidationError.__init__(self, "该记录已被他人修改，请刷新页面查看最新内容后再提交", code="conflict")


# --- permissions ------------------------------------------------------------------------------------


def can_view(user: Any, unit_id: int | None) -> bool:
    return unit_in_scope(user, unit_id, "view")


def can_manage(user: Any, unit_id: int | None) -> bool:
    return unit_in_scope(user, unit_id, "change")


def can_fill(user: Any, unit_id: int | None) -> bool:
    return unit_in_scope(user, unit_id, "work")


def can_manage_templates(user: Any) -> bool:
    return is_admin(user)


def require(ok: bool, user: Any, message: str, obj: models.Model | None = None, object_type: str = "") -> None:
    """Refuse and log it (outside any transaction, so the DENIED entry survives)."""
    if not ok:
        audit.deny(user, message, obj=obj, object_type="" if obj is not None else object_type)


def _locked(obj: models.Model, expected_version: int | None) -> Any:
    current = type(obj).objects.select_for_update().get(pk=obj.pk)
    if expected_version is not None and current.version != expected_version:
        raise MeetingConflict()
    return current


def _save(obj: Any, **fields: Any) -> Any:
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.version += 1
    obj.save()
    return obj


def _text(value: str | None, field: str, message: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > max_length:
        raise ValidationError({field: f"不能超过 {max_length} 个字"})
    return value


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


# --- dates ------------------------------------------------------------------------------------------


def workday_problem(day: datetime.date | None) -> str:
    from ledger.forms import workday_problem as problem

    return problem(day)


def check_deadline(day: datetime.date | None, field: str, *, today: datetime.date,
                   allow_non_workday: bool = False) -> None:
    """A deadline is today or later, and a working day unless the user insists."""
    if day is None:
        raise ValidationError({field: "请填写完成时限"})
    if day < today:
        raise ValidationError({field: f"{PAST_DEADLINE}（今天是 {today:%Y-%m-%d}）"})
    problem = workday_problem(day)
    if problem and not allow_non_workday:
        raise ValidationError({field: problem + "；如确需使用该日期，请勾选“仍使用该日期”。"})


def period_dates(cadence: int, year: int) -> list[tuple[datetime.date, datetime.date]]:
    """(period start, meeting day) for each period of the year: the meeting is set on the last
    working day of the period, the latest day that still meets "每两月召开1次"."""
    if cadence not in Cadence.values:
        raise ValidationError({"cadence": "召开频次无效"})
    rows = []
    for start_month in range(1, 13, cadence):
        end_month = start_month + cadence - 1
        rows.append((datetime.date(year, start_month, 1), workdays.last_workday_of_month(year, end_month)))
    return rows


# --- series -----------------------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": "会议类型无效，应为研判会或联席会议"})


def do_create_series(*, unit: Any, title: str, kind: str, cadence: int, acting_user: Any,
                     default_attendees: Sequence[Any] = (), obligation: Any = None) -> MeetingSeries:
    require(can_manage(acting_user, unit.pk), acting_user, "无权为该单位设置会议", object_type="meetings.meetingseries")
    title = _text(title, "title", "请填写会议名称", 200)
    _check_kind(kind)
    if cadence not in Cadence.values:
        raise ValidationError({"cadence": "召开频次无效，应为每月、每两月、每季度、每半年或每年"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        series = MeetingSeries.objects.create(unit=unit, title=title, kind=kind, cadence=cadence,
                                              obligation=obligation, created_by=_user_or_none(acting_user))
        series.default_attendees.set(default_attendees)
    return series


def do_update_series(series: MeetingSeries, *, acting_user: Any, expected_version: int | None,
                     default_attendees: Sequence[Any] | None = None, **fields: Any) -> MeetingSeries:
    require(can_manage(acting_user, series.unit_id), acting_user, "无权修改该会议系列", series)
    unknown = set(fields) - {"title", "kind", "cadence", "is_active"}
    if unknown:
        raise ValidationError(f"不能修改：{'、'.join(sorted(unknown))}")
    if "title" in fields:
        fields["title"] = _text(fields["title"], "title", "请填写会议名称", 200)
    if "kind" in fields:
        _check_kind(fields["kind"])
    if "cadence" in fields and fields["cadence"] not in Cadence.values:
        raise ValidationError({"cadence": "召开频次无效，应为每月、每两月、每季度、每半年或每年"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _save(_locked(series, expected_version), **fields)
        if default_attendees is not None:
            current.default_attendees.set(default_attendees)
    return current


def do_generate_meetings(series: MeetingSeries, *, year: int, acting_user: Any,
                         today: datetime.date | None = None) -> list[AnalysisMeeting]:
    """The series' meetings of `year` on working days; periods already past or already generated are
    skipped, so running it twice creates nothing new."""
    require(can_manage(acting_user, series.unit_id), acting_user, "无权为该会议系列安排会议", series)
    today = today or timezone.localdate()
    if not series.is_active:
        raise ValidationError("会议系列已停用，不能安排会议")
    if year < today.year or year > today.year + 1:
        raise ValidationError({"year": f"只能安排 {today.year} 年或 {today.year + 1} 年的会议"})
    created = []
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
        existing = set(series.meetings.values_list("period_start", flat=True))
        people = list(series.default_attendees.filter(is_active=True))
        for start, day in period_dates(series.cadence, year):
            if start in existing or day < today:
                continue
            meeting = AnalysisMeeting.objects.create(
                unit_id=series.unit_id, series=series, period_start=start, kind=series.kind, scheduled_on=day,
                title=f"{series.title}（{_period_label(series.cadence, start)}）",
                created_by=_user_or_none(acting_user),
            )
            for person in people:
                Attendee.objects.create(meeting=meeting, person=person)
            created.append(meeting)
    return created


def _period_label(cadence: int, start: datetime.date) -> str:
    if cadence == Cadence.YEARLY:
        return f"{start.year}年"
    if cadence == Cadence.SEMIANNUAL:
        return f"{start.year}年{'上' if start.month == 1 else '下'}半年"
    if cadence == Cadence.QUARTERLY:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    if cadence == Cadence.MONTHLY:
        return f"{start.year}年{start.month}月"
    return f"{start.year}年{start.month}—{start.month + cadence - 1}月"


# --- meetings ---------------------------------------------------------------------------------------


def do_create_meeting(*, unit: Any, title: str, kind: str, scheduled_on: datetime.date, acting_user: Any,
                      location: str = "", attendees: Sequence[Any] = (), allow_non_workday: bool = False,
                      today: datetime.date | None = None) -> AnalysisMeeting:
    require(can_manage(acting_user, unit.pk), acting_user, "无权为该单位安排会议",
             object_type="meetings.analysismeeting")
    today = today or timezone.localdate()
    title = _text(title, "title", "请填写会议名称", 200)
    _check_kind(kind)
    _check_schedule(scheduled_on, today, allow_non_workday)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        meeting = AnalysisMeeting.objects.create(unit=unit, title=title, kind=kind, scheduled_on=scheduled_on,
                                                 location=(location or "").strip()[:100],
                                                 created_by=_user_or_none(acting_user))
        for person in attendees:
            Attendee.objects.create(meeting=meeting, person=person)
    return meeting


def _check_schedule(day: datetime.date | None, today: datetime.date, allow_non_workday: bool) -> None:
    if day is None:
        raise ValidationError({"scheduled_on": "请填写计划召开日期"})
    if day < today:
        raise ValidationError({"scheduled_on": f"计划召开日期不能早于今天（今天是 {today:%Y-%m-%d}）"})
    problem = workday_problem(day)
    if problem and not allow_non_workday:
        raise ValidationError({"scheduled_on": problem + "；如确需使用该日期，请勾选“仍使用该日期”。"})


def do_update_meeting(meeting: AnalysisMeeting, *, acting_user: Any, expected_version: int | None,
                      allow_non_workday: bool = False, today: datetime.date | None = None,
                      **fields: Any) -> AnalysisMeeting:
    """Title, place, planned day (while not yet held), or cancel (status=cancelled)."""
    require(can_manage(acting_user, meeting.unit_id), acting_user, "无权修改该会议", meeting)
    unknown = set(fields) - {"title", "location", "scheduled_on", "status"}
    if unknown:
        raise ValidationError(f"不能修改：{'、'.join(sorted(unknown))}")
    today = today or timezone.localdate()
    if "title" in fields:
        fields["title"] = _text(fields["title"], "title", "请填写会议名称", 200)
    if "status" in fields and fields["status"] not in (MeetingStatus.PLANNED, MeetingStatus.CANCELLED):
        raise ValidationError({"status": "只能改为待召开或已取消；召开情况请用“记录会议”"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(meeting, expected_version)
        if current.status == MeetingStatus.HELD:
            raise ValidationError("会议已召开，基本信息不能再修改")
        if "scheduled_on" in fields and fields["scheduled_on"] != current.scheduled_on:
            _check_schedule(fields["scheduled_on"], today, allow_non_workday)
        return _save(current, **fields)


def do_prefill_agenda(meeting: AnalysisMeeting, *, acting_user: Any, expected_version: int | None = None,
                      today: datetime.date | None = None) -> int:
    """Copy open risks, new incidents and overdue items into the agenda (a snapshot). Records already
    on the agenda are not added twice. Returns how many items were added."""
    require(can_manage(acting_user, meeting.unit_id), acting_user, "无权编辑该会议的议程", meeting)
    today = today or timezone.localdate()
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(meeting, expected_version)
        if current.status != MeetingStatus.PLANNED:
            raise ValidationError("只有待召开的会议可以预填议程")
        present = set(current.agenda.exclude(ref="").values_list("ref", flat=True))
        order = (current.agenda.aggregate(m=models.Max("order"))["m"] or 0)
        added = 0
        for source, entry in agenda.collect(current, acting_user, today):
            if entry.ref in present:
                continue
            order += 1
            AgendaItem.objects.create(meeting=current, order=order, source=source.key, source_label=source.label,
                                      ref=entry.ref[:64], title=entry.title[:300], detail=entry.detail)
            present.add(entry.ref)
            added += 1
        _save(current, agenda_filled_at=timezone.now())
    return added


def do_add_agenda_item(meeting: AnalysisMeeting, *, title: str, acting_user: Any, detail: str = "",
                       expected_version: int | None = None) -> AgendaItem:
    require(can_manage(acting_user, meeting.unit_id), acting_user, "无权编辑该会议的议程", meeting)
    title = _text(title, "title", "请填写议题", 300)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(meeting, expected_version)
        order = (current.agenda.aggregate(m=models.Max("order"))["m"] or 0) + 1
        item = AgendaItem.objects.create(meeting=current, order=order, title=title, detail=(detail or "").strip())
        _save(current)
    return item


def do_update_agenda_item(item: AgendaItem, *, acting_user: Any, expected_version: int | None,
                          title: str, detail: str = "", delete: bool = False) -> AgendaItem | None:
    """Edit or remove one agenda point; the meeting's version guards the whole agenda."""
    meeting = item.meeting
    require(can_manage(acting_user, meeting.unit_id), acting_user, "无权编辑该会议的议程", meeting)
    if not delete:
        title = _text(title, "title", "请填写议题", 300)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(meeting, expected_version)
        row = AgendaItem.objects.filter(pk=item.pk, meeting=current).first()
        if row is None:
            raise MeetingConflict()
        _save(current)
        if delete:
            row.delete()
            return None
        row.title, row.detail = title, (detail or "").strip()
        row.save()
    return row


@dataclass(frozen=True)
class AttendanceRow:
    person: Any
    status: str
    note: str = ""


def do_record_meeting(meeting: AnalysisMeeting, *, held_on: datetime.date, minutes: str, acting_user: Any,
                      attendance: Iterable[AttendanceRow], expected_version: int | None, chair: str = "",
                      today: datetime.date | None = None) -> AnalysisMeeting:
    """The meeting took place: its day, chair, minutes and who attended (replaces the list)."""
    require(can_manage(acting_user, meeting.unit_id), acting_user, "无权记录该会议", meeting)
    today = today or timezone.localdate()
    minutes = _text(minutes, "minutes", "请填写会议纪要", 50_000)
    if held_on is None:
        raise ValidationError({"held_on": "请填写召开日期"})
    if held_on > today:
        raise ValidationError({"held_on": "召开日期不能晚于今天：会议召开后再记录"})
    rows = list(attendance)
    seen: set[int] = set()
    for row in rows:
        if row.status not in Attendance.values:
            raise ValidationError({"attendance": f"{row.person.name}：出席情况无效"})
        if row.person.pk in seen:
            raise ValidationError({"attendance": f"{row.person.name} 重复出现"})
        seen.add(row.person.pk)
    if not any(r.status == Attendance.PRESENT for r in rows):
        raise ValidationError({"attendance": "请至少登记一名出席人员"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(meeting, expected_version)
        if current.status == MeetingStatus.CANCELLED:
            raise ValidationError("会议已取消，不能记录召开情况")
        current.attendees.exclude(person_id__in=seen).delete()
        existing = {a.person_id: a for a in current.attendees.all()}
        for row in rows:
            attendee = existing.get(row.person.pk) or Attendee(meeting=current, person=row.person)
            attendee.status, attendee.note = row.status, (row.note or "").strip()[:200]
            attendee.save()
        return _save(current, status=MeetingStatus.HELD, held_on=held_on, minutes=minutes,
                     chair=(chair or "").strip()[:64])


def do_add_decision(meeting: AnalysisMeeting, *, text: str, unit: Any, due_date: datetime.date, acting_user: Any,
                    owner: Any = None, allow_non_workday: bool = False,
                    today: datetime.date | None = None) -> Decision:
    """A decision of a held meeting, raised in the ledger as a task (会议决定)."""
    require(can_manage(acting_user, meeting.unit_id), acting_user, "无权登记该会议的决定", meeting)
    today = today or timezone.localdate()
    text = _text(text, "text", "请填写决定事项", 2000)
    check_deadline(due_date, "due_date", today=today, allow_non_workday=allow_non_workday)
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError("请先记录会议召开情况，再登记会议决定")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        decision = Decision.objects.create(meeting=meeting, text=text, unit=unit, due_date=due_date,
                                           created_by=_user_or_none(acting_user))
        decision.task = create_task(
            unit=unit, title=f"落实会议决定：{_first_line(text)}", due_date=due_date, acting_user=acting_user,
            owner=owner, description=text, source=decision, source_kind=SourceKind.MEETING,
            origin=f"{meeting.title}（{meeting.held_on:%Y-%m-%d}）", quote=text,
        )
        decision.save()
    return decision


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- contingency plans ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepData:
    title: str
    target_minutes: int
    role: str = ""
    unit: Any = None


def _clean_plan(level: str, title: str, trigger: str, steps: Sequence[StepData]) -> tuple[str, str]:
    if level not in PlanLevel.values:
        raise ValidationError({"level": f"响应级别无效：“{level}”，应为{LEVEL_LABELS}"})
    title = _text(title, "title", "请填写预案名称", 200)
    trigger = _text(trigger, "trigger", "请填写启动条件", 5000)
    if not steps:
        raise ValidationError({"steps": "请至少填写一个处置步骤"})
    for i, step in enumerate(steps, start=1):
        if not (step.title or "").strip():
            raise ValidationError({"steps": f"第 {i} 步：请填写处置步骤"})
        if not isinstance(step.target_minutes, int) or not 1 <= step.target_minutes <= 10_080:
            raise ValidationError({"steps": f"第 {i} 步：响应时限应为 1 至 10080 分钟"})
    return title, trigger


def _write_steps(plan: ContingencyPlan, steps: Sequence[StepData]) -> None:
    for step in plan.steps.all():
        step.delete()
    for order, step in enumerate(steps, start=1):
        ResponseStep.objects.create(plan=plan, order=order, title=step.title.strip()[:200],
                                    role=(step.role or "").strip()[:64], unit=step.unit,
                                    target_minutes=step.target_minutes)


def do_create_plan(*, unit: Any, title: str, level: str, trigger: str, steps: Sequence[StepData],
                   acting_user: Any, description: str = "") -> ContingencyPlan:
    require(can_manage(acting_user, unit.pk), acting_user, "无权为该单位制定预案",
             object_type="meetings.contingencyplan")
    title, trigger = _clean_plan(level, title, trigger, steps)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        plan = ContingencyPlan.objects.create(unit=unit, title=title, level=level, trigger=trigger,
                                              description=(description or "").strip(),
                                              created_by=_user_or_none(acting_user))
        _write_steps(plan, steps)
    return plan


def do_update_plan(plan: ContingencyPlan, *, title: str, level: str, trigger: str, steps: Sequence[StepData],
                   acting_user: Any, expected_version: int | None, description: str = "",
                   is_active: bool = True) -> ContingencyPlan:
    """Save a new revision (plan and its steps together). Drills keep the steps they ran."""
    require(can_manage(acting_user, plan.unit_id), acting_user, "无权修改该预案", plan)
    title, trigger = _clean_plan(level, title, trigger, steps)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(plan, expected_version)
        _write_steps(current, steps)
        return _save(current, title=title, level=level, trigger=trigger, description=(description or "").strip(),
                     is_active=is_active, revision=current.revision + 1)


# --- drills -----------------------------------------------------------------------------------------


def do_create_drill(plan: ContingencyPlan, *, scenario: str, held_at: datetime.datetime, acting_user: Any,
                    participants: Sequence[Any] = (), unit: Any = None) -> Drill:
    """Record a drill of the plan; the plan's steps and targets are copied into it."""
    unit = unit or plan.unit
    require(can_manage(acting_user, unit.pk), acting_user, "无权为该单位记录演练", plan)
    scenario = _text(scenario, "scenario", "请填写演练场景", 5000)
    if held_at is None:
        raise ValidationError({"held_at": "请填写演练时间"})
    if not plan.is_active:
        raise ValidationError("预案已停用，不能再据此演练")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        drill = Drill.objects.create(plan=plan, unit=unit, plan_revision=plan.revision, scenario=scenario,
                                     held_at=held_at, created_by=_user_or_none(acting_user))
        drill.participants.set(participants)
        for step in plan.steps.select_related("unit"):
            who = "／".join(x for x in (step.role, step.unit.name if step.unit_id else "") if x)
            DrillStep.objects.create(drill=drill, order=step.order, title=step.title, responsible=who[:200],
                                     target_minutes=step.target_minutes)
    return drill


@dataclass(frozen=True)
class StepTiming:
    step_id: int
    actual_minutes: int | None
    note: str = ""


def do_record_drill(drill: Drill, *, timings: Iterable[StepTiming], acting_user: Any,
                    expected_version: int | None, summary: str | None = None,
                    participants: Sequence[Any] | None = None) -> Drill:
    """The actual time each step took (late steps are those over their target), and the summary."""
    require(can_manage(acting_user, drill.unit_id), acting_user, "无权修改该演练记录", drill)
    rows = list(timings)
    for row in rows:
        if row.actual_minutes is not None and not 0 <= row.actual_minutes <= 100_000:
            raise ValidationError({"timings": "实际用时应为 0 至 100000 分钟"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(drill, expected_version)
        steps = {s.pk: s for s in current.steps.all()}
        for row in rows:
            step = steps.get(row.step_id)
            if step is None:
                raise ValidationError({"timings": f"步骤 {row.step_id} 不属于该演练"})
            step.actual_minutes, step.note = row.actual_minutes, (row.note or "").strip()[:300]
            step.save()
        if participants is not None:
            current.participants.set(participants)
        fields = {} if summary is None else {"summary": summary.strip()}
        return _save(current, **fields)


def do_add_finding(drill: Drill, *, text: str, unit: Any, due_date: datetime.date, acting_user: Any,
                   owner: Any = None, allow_non_workday: bool = False,
                   today: datetime.date | None = None) -> DrillFinding:
    """A problem the drill exposed, raised in the ledger as a task (演练整改)."""
    require(can_manage(acting_user, drill.unit_id), acting_user, "无权登记该演练的问题", drill)
    today = today or timezone.localdate()
    text = _text(text, "text", "请填写发现的问题及整改要求", 2000)
    check_deadline(due_date, "due_date", today=today, allow_non_workday=allow_non_workday)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        finding = DrillFinding.objects.create(drill=drill, text=text, unit=unit, due_date=due_date,
                                              created_by=_user_or_none(acting_user))
        finding.task = create_task(
            unit=unit, title=f"演练整改：{_first_line(text)}", due_date=due_date, acting_user=acting_user,
            owner=owner, description=text, source=finding, source_kind=SourceKind.DRILL,
            origin=f"{drill.plan.title} 演练（{_local_day(drill.held_at):%Y-%m-%d}）", quote=text,
        )
        finding.save()
    return finding


# --- checklist templates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemData:
    group: str
    text: str


def _clean_items(items: Sequence[ItemData]) -> list[ItemData]:
    cleaned = []
    for i, item in enumerate(items, start=1):
        group, text = (item.group or "").strip(), (item.text or "").strip()
        if not group or not text:
            raise ValidationError({"items": f"第 {i} 项：风险点和检查内容都要填写"})
        if len(group) > 64 or len(text) > 300:
            raise ValidationError({"items": f"第 {i} 项：风险点不超过 64 字，检查内容不超过 300 字"})
        cleaned.append(ItemData(group, text))
    if not cleaned:
        raise ValidationError({"items": "请至少填写一个检查项"})
    return cleaned


def do_save_template(template: ChecklistTemplate | None, *, title: str, items: Sequence[ItemData],
                     acting_user: Any, description: str = "", is_active: bool = True,
                     expected_version: int | None = None) -> ChecklistTemplate:
    """Create or revise a checklist. Checks already started keep the questions they copied."""
    require(can_manage_templates(acting_user), acting_user, "仅系统管理员可维护风险评估清单", template,
             "meetings.checklisttemplate")
    title = _text(title, "title", "请填写清单名称", 200)
    rows = _clean_items(items)
    clash = ChecklistTemplate.objects.filter(title=title).exclude(pk=getattr(template, "pk", None)).exists()
    if clash:
        raise ValidationError({"title": "已有同名的清单"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        if template is None:
            template = ChecklistTemplate.objects.create(title=title, description=(description or "").strip(),
                                                        is_active=is_active)
        else:
            template = _save(_locked(template, expected_version), title=title, is_active=is_active,
                             description=(description or "").strip())
            for old in template.items.all():
                old.delete()
        for order, row in enumerate(rows, start=1):
            ChecklistItem.objects.create(template=template, group=row.group, order=order, text=row.text)
    return template


# --- pre-release checks -----------------------------------------------------------------------------


def do_start_check(*, unit: Any, template: ChecklistTemplate, subject_title: str, subject_kind: str,
                   subject_date: datetime.date, acting_user: Any, today: datetime.date | None = None) -> ReleaseCheck:
    """Open a check for a named decision, event or publication; the template's questions are copied."""
    require(can_fill(acting_user, unit.pk), acting_user, "无权为该单位填报风险评估", object_type="meetings.releasecheck")
    today = today or timezone.localdate()
    subject_title = _text(subject_title, "subject_title", "请填写事项名称", 200)
    if subject_kind not in SubjectKind.values:
        raise ValidationError({"subject_kind": "事项类型无效，应为重大决策、重要活动或对外发布"})
    if subject_date is None or subject_date < today:
        raise ValidationError({"subject_date": f"风险评估须在事项之前进行：拟定日期不能早于今天（今天是 {today:%Y-%m-%d}）"})
    if not template.is_active:
        raise ValidationError({"template": "该清单已停用"})
    questions = list(template.items.all())
    if not questions:
        raise ValidationError({"template": "该清单没有检查项"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        check = ReleaseCheck.objects.create(unit=unit, template=template, subject_title=subject_title,
                                            subject_kind=subject_kind, subject_date=subject_date,
                                            created_by=_user_or_none(acting_user))
        for q in questions:
            CheckAnswer.objects.create(check_record=check, group=q.group, order=q.order, text=q.text)
    return check


@dataclass(frozen=True)
class AnswerData:
    answer_id: int
    answer: str
    note: str = ""
    raise_risk: bool = False


def do_save_answers(check: ReleaseCheck, *, answers: Iterable[AnswerData], acting_user: Any,
                    expected_version: int | None, conclusion: str | None = None) -> ReleaseCheck:
    """Save answers of a check that is still being filled (a draft may be incomplete)."""
    require(can_fill(acting_user, check.unit_id), acting_user, "无权填报该风险评估", check)
    rows = list(answers)
    for row in rows:
        if row.answer not in ("", *Answer.values):
            raise ValidationError({"answers": "结论无效，应为是、否或不适用"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(check, expected_version)
        _require_draft(current)
        stored = {a.pk: a for a in current.answers.all()}
        for row in rows:
            answer = stored.get(row.answer_id)
            if answer is None:
                raise ValidationError({"answers": f"检查项 {row.answer_id} 不属于该风险评估"})
            answer.answer, answer.note = row.answer, (row.note or "").strip()[:500]
            answer.raise_risk = bool(row.raise_risk) and row.answer == Answer.NO
            answer.save()
        fields = {} if conclusion is None else {"conclusion": conclusion.strip()}
        return _save(current, **fields)


def _require_draft(check: ReleaseCheck) -> None:
    if check.status != CheckStatus.DRAFT:
        raise ValidationError("该风险评估已完成并存档，不能再修改")


def check_problems(check: ReleaseCheck, answers: Sequence[CheckAnswer]) -> list[str]:
    """What still keeps the check from being completed, in Chinese."""
    problems = []
    for a in answers:
        if not a.answer:
            problems.append(f"第 {a.order} 项“{a.text}”尚未作答")
        elif a.answer == Answer.NO and not a.note.strip():
            problems.append(f"第 {a.order} 项“{a.text}”发现风险，须说明具体情况")
    if not check.conclusion.strip():
        problems.append("请填写评估结论")
    return problems


def do_complete_check(check: ReleaseCheck, *, acting_user: Any, expected_version: int | None) -> ReleaseCheck:
    """Freeze the check. Every item answered, every risk explained; risks the unit chose to register
    are raised through the risks register when it exists."""
    require(can_fill(acting_user, check.unit_id), acting_user, "无权填报该风险评估", check)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(check, expected_version)
        _require_draft(current)
        answers = list(current.answers.all())
        problems = check_problems(current, answers)
        if problems:
            raise ValidationError(problems)
        for answer in answers:
            if answer.raise_risk and answer.answer == Answer.NO and answer.risk_id is None:
                risk = raise_risk(current, answer, acting_user)
                if risk is not None:
                    answer.risk_id = risk.pk
                    answer.save()
        return _save(current, status=CheckStatus.COMPLETED, completed_at=timezone.now(),
                     completed_by=_user_or_none(acting_user))


def risks_register_available() -> bool:
    try:
        from risks.actions import create_risk  # noqa: F401
    except ImportError:
        return False
    return True


# A risk found before a release is rated "medium" until the risks office re-rates it in the register.
FOUND_LIKELIHOOD = 3
FOUND_IMPACT = 3


def raise_risk(check: ReleaseCheck, answer: CheckAnswer, acting_user: Any,
               today: datetime.date | None = None) -> Any:
    """Register a risk found by the check in the risks register (risks.actions.create_risk).

    Its domain is the one named like the risk point, else the first active one; its deadline is the
    last working day before the decision, event or publication (or today when that is too close).
    """
    try:
        from risks.actions import create_risk
        from risks.choices import RiskSource
        from risks.models import RiskDomain
    except ImportError:  # the register is not installed: the answer stays on the check only
        return None
    today = today or timezone.localdate()
    domains = RiskDomain.objects.filter(is_active=True)
    domain = domains.filter(name=answer.group).first() or domains.order_by("sort_order", "id").first()
    if domain is None:
        raise ValidationError("风险台账尚未设置风险领域，无法登记风险；请取消“登记为风险隐患”或联系管理员")
    deadline = workdays.previous_workday(check.subject_date)
    if deadline < today:
        deadline = workdays.next_workday(today, include_self=True)
    return create_risk(
        unit=check.unit, title=f"{check.subject_title}：{answer.group}", acting_user=acting_user,
        description=f"风险评估前置（{check.get_subject_kind_display()}）发现：{answer.text}。{answer.note}",
        domain=domain, likelihood=FOUND_LIKELIHOOD, impact=FOUND_IMPACT, deadline=deadline,
        source=RiskSource.OTHER, source_object=check, today=today,
    )


def _local_day(moment: datetime.datetime) -> datetime.date:
    return (timezone.localtime(moment) if timezone.is_aware(moment) else moment).date()
