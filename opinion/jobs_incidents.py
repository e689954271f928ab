"""Periodic jobs of alerts and incidents (declared in opinion.apps.periodic_jobs)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from core.tasking import task


@task()
def escalate_incidents() -> dict[str, Any]:
    """Every 5 minutes: escalate incident stages past their deadline (owner and unit leaders are
    told once per step), and deliver alerts held for quiet hours whose quiet period has ended."""
    from opinion.alerting import release_held_alerts
    from opinion.incidents import escalate_late

    return {"escalated": escalate_late(), "released": release_held_alerts()}


@task()
def release_held_alerts() -> int:
    """Deliver held alerts now (escalate_incidents also does it every 5 minutes)."""
    from opinion.alerting import release_held_alerts as release

    return release()


@task()
def daily_report(day: str | None = None) -> dict[str, Any]:
    """Every morning: yesterday's 舆情日报 (once). `day` (YYYY-MM-DD) replays a given day."""
    from opinion.reports import make_daily_report

    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    report = make_daily_report(today)
    return {"report": report.pk if report else None, "status": report.status if report else "exists"}
