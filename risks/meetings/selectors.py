"""Read side: what the lists, the detail pages, the API and the 工作台 show. Every query starts
from `visible_to(user, …)`; lists join what they show, so their cost does not grow with the rows."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from risks.meetings.choices import FREQUENCY_MONTHS, MeetingStatus
from risks.meetings.models import (
    AnalysisMeeting,
    Attendee,
    ContingencyPlan,
    Decision,
    Drill,
    DrillFinding,
    MeetingSeries,
    ReleaseCheck,
)

MEETING_WORDS = ("研判", "联席会议")


def meetings_for(user: Any, *, q: str = "", status: str = "", kind: str = "", series_id: int | None = None,
                 ) -> QuerySet[AnalysisMeeting]:
    qs = (AnalysisMeeting.objects.visible_to(user, "view").select_related("unit", "series")
          .defer("minutes").annotate(decision_count=Count("decisions", distinct=True)))
    if q:
        qs = qs.filter(title__icontains=q)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if series_id:
        qs = qs.filter(series_id=series_id)
    return qs.order_by("-scheduled_on", "-id")


def meeting_detail(user: Any, pk: int) -> AnalysisMeeting:
    return (AnalysisMeeting.objects.select_related("unit", "series", "created_by")
            .prefetch_related("agenda",
                              Prefetch("attendees", queryset=Attendee.objects.select_related("person__unit")),
                              Prefetch("decisions", queryset=Decision.objects.select_related("unit", "task")))
            .get_visible_or_404(user, "view", pk=pk))


def series_for(user: Any) -> QuerySet[MeetingSeries]:
    return (MeetingSeries.objects.visible_to(user, "view").select_related("unit")
            .annotate(meeting_count=Count("meetings", distinct=True),
                      held_count=Count("meetings", filter=Q(meetings__status=MeetingStatus.HELD), distinct=True))
            .order_by("unit__path", "title", "id"))


def plans_for(user: Any) -> QuerySet[ContingencyPlan]:
    return (ContingencyPlan.objects.visible_to(user, "view").select_related("unit")
            .annotate(step_count=Count("steps", distinct=True), drill_count=Count("drills", distinct=True))
            .order_by("unit__path", "level", "title", "id"))


def drills_for(user: Any) -> QuerySet[Drill]:
    return (Drill.objects.visible_to(user, "view").select_related("unit", "plan")
            .annotate(finding_count=Count("findings", distinct=True)).order_by("-held_at", "-id"))


def drill_detail(user: Any, pk: int) -> Drill:
    return (Drill.objects.select_related("unit", "plan__unit")
            .prefetch_related("steps", "participants__unit",
                              Prefetch("findings", queryset=DrillFinding.objects.select_related("unit", "task")))
            .get_visible_or_404(user, "view", pk=pk))


def checks_for(user: Any, *, status: str = "", kind: str = "", q: str = "") -> QuerySet[ReleaseCheck]:
    qs = (ReleaseCheck.objects.visible_to(user, "view").select_related("unit", "template", "completed_by")
          .annotate(risk_count=Count("answers", filter=Q(answers__answer="no"), distinct=True)))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(subject_kind=kind)
    if q:
        qs = qs.filter(subject_title__icontains=q)
    return qs.order_by("-subject_date", "-id")


def upcoming_meetings(user: Any, today: datetime.date, limit: int = 6) -> list[AnalysisMeeting]:
    return list(AnalysisMeeting.objects.visible_to(user, "view").filter(status=MeetingStatus.PLANNED,
                                                                         scheduled_on__gte=today)
                .select_related("unit").only("id", "title", "scheduled_on", "unit__name")
                .order_by("scheduled_on", "id")[:limit])


def obligation_suggestions(user: Any, limit: int = 20) -> list[Any]:
    """Plan obligations that ask for 研判会 / 联席会议 on a cadence and have no series yet: "scheduled per
    the plan" starts here. Each carries `suggested_months` and `lead_unit` (or None)."""
    from plans.models import Assignment, Obligation, Plan

    words = Q()
    for word in MEETING_WORDS:
        words |= Q(activity__contains=word) | Q(quote__contains=word)
    used = MeetingSeries.objects.filter(obligation__isnull=False).values("obligation_id")
    rows = list(
        Obligation.objects.filter(plan__in=Plan.objects.visible_to(user, "view").values("pk"),
                                  frequency__in=list(FREQUENCY_MONTHS))
        .filter(words).exclude(pk__in=used).select_related("plan", "item")
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("unit")))
        .order_by("-plan__year", "plan_id", "item__number", "number")[:limit]
    )
    for ob in rows:
        ob.suggested_months = FREQUENCY_MONTHS[ob.frequency]
        leads = [a.unit for a in ob.assignments.all() if a.role == "lead"]
        ob.lead_unit = leads[0] if leads else None
        ob.suggested_kind = "joint" if "联席会议" in (ob.activity + ob.quote) else "analysis"
    return rows
