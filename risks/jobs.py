"""Periodic jobs of the risks module: the next progress report of each 挂牌督办 risk, and the
monthly 日常排查."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from core.tasking import task


@task()
def progress_reports(day: str | None = None) -> dict[str, Any]:
    """Every morning: a flagged open risk whose report period has ended gets its next report task.

    `day` (YYYY-MM-DD) replays a given day. Acts as the system user (audited as such).
    """
    from risks.actions import roll_progress_reports

    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return {"created": roll_progress_reports(today)}


@task()
def monthly_screening(day: str | None = None) -> dict[str, Any]:
    """Every morning: on the month's first working day, launch that month's 日常排查 (once)."""
    from risks.actions import launch_monthly_screening

    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    campaign = launch_monthly_screening(today)
    return {"campaign": campaign.pk if campaign else None}
