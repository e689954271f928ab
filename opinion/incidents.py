"""Incident rules that are not writes: who may do what, stage order and deadlines, list queries,
the 研判会 agenda source, and the escalation of late stages (run by jobs_incidents).

    受理 accepted ─▶ 研判 analysing (研判意见 + 级别) ─▶ 处置 handling (处置措施, 台账任务, 回应口径)
        ─▶ 反馈 feedback (反馈结果) ─▶ 已办结 closed

Each stage gets a deadline in WORKING hours from its start (OpinionSettings, per level and stage,
core.workhours). A stage still open at its deadline is escalated: the owner and the handling
unit's leaders are told, once per step (step n = n stage-allowances late), and it is logged.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core import audit
from core.models import AuditAction
from core.notify import notify
from core.roles import Perm
from core.scoping import has_perm, is_admin, unit_in_scope
from core.workhours import add_working_hours, working_hours_between
from opinion.models import Incident, IncidentLog, OpinionSettings
from opinion.models.alerts import LEVEL_RANK, AlertLevel
from opinion.models.incidents import OPEN_STAGES, STAGE_ORDER, IncidentStage, LogKind

# What must be filled in before leaving a stage, and its label for the error message.
REQUIRED_TO_LEAVE: dict[str, tuple[tuple[str, str], ...]] = {
    IncidentStage.ANALYSING: (("analysis", "研判意见"), ("level", "级别")),
    IncidentStage.HANDLING: (("measures", "处置措施"),),
    IncidentStage.FEEDBACK: (("outcome", "反馈结果"),),
}
ACTION_LABELS: dict[str, str] = {
    IncidentStage.ANALYSING: "转入研判",
    IncidentStage.HANDLING: "完成研判，转入处置",
    IncidentStage.FEEDBACK: "完成处置，转入反馈",
    IncidentStage.CLOSED: "反馈完毕，办结",
}


# --- permissions ------------------------------------------------------------------------------------


def can_view(user: Any) -> bool:
    return has_perm(user, Perm.OPINION_VIEW) or has_perm(user, Perm.OPINION_MANAGE)


def can_manage(user: Any) -> bool:
    """Alert rules, opening and advancing incidents: 舆情分析员 and administrators."""
    return has_perm(user, Perm.OPINION_MANAGE)


def can_handle(user: Any, unit_id: int | None) -> bool:
    """Open or change an incident of a unit: opinion.manage and the unit in the user's work scope."""
    return is_admin(user) or (can_manage(user) and unit_in_scope(user, unit_id, "work"))


# --- stages and deadlines ---------------------------------------------------------------------------


def next_stage(stage: str) -> str | None:
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None


def stage_due(level: str, stage: str, start: datetime.datetime,
              settings: OpinionSettings | None = None) -> datetime.datetime | None:
    """The deadline of `stage` begun at `start`: the level's allowance in working hours."""
    if stage == IncidentStage.CLOSED:
        return None
    settings = settings or OpinionSettings.current()
    return add_working_hours(start, settings.stage_hours(level, stage), settings)


def is_late(incident: Incident, now: datetime.datetime | None = None) -> bool:
    return bool(incident.is_open and incident.stage_due_at and incident.stage_due_at <= (now or timezone.now()))


@dataclass(frozen=True)
class StepView:
    code: str
    label: str
    state: str  # done / current / todo


def stepper(incident: Incident) -> list[StepView]:
    current = STAGE_ORDER.index(incident.stage)
    return [StepView(code, IncidentStage(code).label,
                     "done" if i < current or incident.stage == IncidentStage.CLOSED else
                     "current" if i == current else "todo")
            for i, code in enumerate(STAGE_ORDER)]


# --- queries ----------------------------------------------------------------------------------------


@dataclass
class IncidentFilters:
    q: str = ""
    stage: str = ""  # a stage code, "open" or ""
    level: str = ""
    late: bool = False
    unit_id: int | None = None


def parse_filters(params: Any) -> IncidentFilters:
    stage = params.get("stage", "") or ""
    level = params.get("level", "") or ""
    unit = params.get("unit", "") or ""
    return IncidentFilters(
        q=" ".join(str(params.get("q", "") or "").split())[:100],
        stage=stage if stage in (*STAGE_ORDER, "open") else "",
        level=level if level in AlertLevel.values else "",
        late=params.get("late") in ("1", "true", "on"),
        unit_id=int(unit) if str(unit).isdigit() else None,
    )


def incident_list(user: Any, filters: IncidentFilters | None = None,
                  now: datetime.datetime | None = None) -> QuerySet[Incident]:
    """Incidents the user may see, filtered; one query with the columns a list shows."""
    filters = filters or IncidentFilters()
    qs = Incident.objects.visible_to(user, "view").select_related("unit", "owner", "event")
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(description__icontains=filters.q))
    if filters.stage == "open":
        qs = qs.filter(stage__in=OPEN_STAGES)
    elif filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.late:
        qs = qs.filter(stage__in=OPEN_STAGES, stage_due_at__lte=now or timezone.now())
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    return qs.order_by("-created_at", "-id")


# --- the meeting agenda -----------------------------------------------------------------------------


def agenda_incidents(meeting: Any, user: Any, today: datetime.date) -> list[Any]:
    """New or open incidents of the meeting's unit subtree for a 研判会 (opinion.apps declares it)."""
    from risks.meetings.agenda import MAX_PER_SOURCE, AgendaEntry

    qs = (Incident.objects.visible_to(user, "view").filter(unit__path__startswith=meeting.unit.path)
          .filter(Q(stage__in=OPEN_STAGES) | Q(created_at__date__gte=today - datetime.timedelta(days=30)))
          .select_related("unit").order_by("-created_at", "-id"))
    entries = []
    for incident in qs[:MAX_PER_SOURCE]:
        entries.append(AgendaEntry(
            f"incident:{incident.pk}", f"舆情事件：{incident.title}",
            f"{incident.unit.name}，{incident.get_level_display()}，当前环节：{incident.get_stage_display()}"))
    return entries


# --- escalation -------------------------------------------------------------------------------------


def escalation_step(incident: Incident, now: datetime.datetime, settings: OpinionSettings) -> int:
    """0 while on time; n once the stage is n allowances late (1 at the deadline itself)."""
    if not is_late(incident, now):
        return 0
    allowance = settings.stage_hours(incident.level, incident.stage) or 1.0
    late_hours = max(0.0, working_hours_between(incident.stage_due_at, now, settings))
    return 1 + int(late_hours // allowance)


def escalate_late(now: datetime.datetime | None = None) -> int:
    """Tell the owner and the unit's leaders about each late stage, once per step; log it."""
    from opinion.alerting import unit_leaders

    now = now or timezone.now()
    settings = OpinionSettings.current()
    late = list(Incident.objects.filter(stage__in=OPEN_STAGES, stage_due_at__lte=now)
                .select_related("owner__user", "unit"))
    leaders = unit_leaders({i.unit_id for i in late})
    done = 0
    with audit.system_context(via="task"):
        for incident in late:
            step = escalation_step(incident, now, settings)
            if step <= incident.escalation_count:
                continue
            if _escalate(incident, step, now, leaders.get(incident.unit_id, [])):
                done += 1
    return done


def _escalate(incident: Incident, step: int, now: datetime.datetime, leaders: list[Any]) -> bool:
    with transaction.atomic():
        current = Incident.objects.select_for_update().get(pk=incident.pk)
        if current.stage != incident.stage or current.escalation_count >= step:
            return False  # advanced or escalated meanwhile
        hours = working_hours_between(current.stage_due_at, now)
        text = (f"{current.get_stage_display()}环节已超过时限（{timezone.localtime(current.stage_due_at):%m-%d %H:%M}），"
                f"超时 {hours:.1f} 个工作小时，第 {step} 次升级提醒")
        Incident.objects.filter(pk=current.pk).update(escalation_count=step, escalated_at=now)
        IncidentLog.objects.create(incident=current, at=now, actor=audit.current().actor, kind=LogKind.ESCALATE,
                                   from_stage=current.stage, to_stage=current.stage, text=text)
        audit.record(AuditAction.UPDATE, obj=current, changes={"escalation_count": [current.escalation_count, step]})
        users = [p for p in [incident.owner.user if incident.owner_id and incident.owner.user_id else None] if p]
        users += leaders
        notify(users, f"【处置超时】{current.title}"[:200], text, url=reverse("opinion:incident_detail",
                                                                          args=[current.pk]),
               level="urgent" if LEVEL_RANK.get(current.level, 0) >= LEVEL_RANK[AlertLevel.ORANGE] else "warning",
               category="opinion_incident")
    return True
