"""Writes to the working-day calendar. Views, the API and commands all come through here.

CalendarOverride is an AuditedModel, so each save/delete is logged with a field diff; these functions
only make sure the entry names the person who acted.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from core import audit
from core.models import CalendarOverride


def do_set_override(
    date: datetime.date, is_workday: bool, name: str = "", *, acting_user: Any
) -> tuple[CalendarOverride, bool]:
    """Declare `date` a working day (调休上班) or a day off; replaces an existing override of that date.

    Returns (override, created).
    """
    name = (name or "").strip()[:64]
    with audit.audit_context(actor=acting_user), transaction.atomic():
        override = CalendarOverride.objects.select_for_update().filter(date=date).first()
        if override is None:
            return CalendarOverride.objects.create(date=date, is_workday=is_workday, name=name), True
        override.is_workday = is_workday
        override.name = name
        override.save()  # an unchanged save writes no audit entry
        return override, False


def do_delete_override(override: CalendarOverride | int, *, acting_user: Any) -> CalendarOverride:
    """Remove an override; the date falls back to the holiday package (or the weekday rule)."""
    with audit.audit_context(actor=acting_user), transaction.atomic():
        if not isinstance(override, CalendarOverride):
            override = CalendarOverride.objects.get(pk=override)
        override.delete()
    return override
