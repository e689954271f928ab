"""The demo data loads through the actions, and loading it twice changes nothing."""

from __future__ import annotations

import pytest

from ledger.choices import SourceKind
from ledger.models import Task
from risks.meetings.demo import load_demo_meetings
from risks.meetings.models import (
    AnalysisMeeting,
    ChecklistTemplate,
    ContingencyPlan,
    Decision,
    Drill,
    MeetingSeries,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return [m.objects.count() for m in (MeetingSeries, AnalysisMeeting, Decision, ContingencyPlan, Drill,
                                       ChecklistTemplate)] + [Task.objects.count()]


def test_demo_is_complete_and_idempotent(world):
    load_demo_meetings(world.admin)
    held = AnalysisMeeting.objects.get(status="held")
    assert held.minutes and held.decisions.count() == 2 and held.attendees.exists()
    assert Task.objects.filter(source_kind=SourceKind.MEETING).count() == 2
    assert Task.objects.filter(source_kind=SourceKind.DRILL).count() == 1
    plan = ContingencyPlan.objects.get()
    assert plan.steps.count() == 5
    assert any(s.is_late for s in Drill.objects.get().steps.all())
    assert MeetingSeries.objects.get().cadence == 2
    before = snapshot()
    load_demo_meetings(world.admin)
    assert snapshot() == before
