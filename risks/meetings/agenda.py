"""Where a meeting's agenda is pre-filled from: pluggable sources declared on AppConfigs.

An app adds a source the way it adds a 工作台 panel (core/navigation.py): an attribute on its
AppConfig,

    meeting_agenda_sources = [
        {"key": "incidents", "label": "新发舆情事件", "func": "opinion.meetings.new_incidents", "order": 20},
    ]

where `func(meeting, user, today)` returns `AgendaEntry` rows. The user is the one pre-filling: a
source lists only what that user may see (`visible_to`), and only what belongs to the meeting's unit
and the units below it. This app declares the open risks (until the risks register exists, that
source yields nothing) and the overdue ledger tasks. The `opinion` app will add new incidents.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.apps import apps

MAX_PER_SOURCE = 50


@dataclass(frozen=True)
class AgendaEntry:
    ref: str  # "risk:12": the same record is never added twice to one meeting
    title: str
    detail: str = ""


@dataclass(frozen=True)
class AgendaSource:
    key: str
    label: str
    func: Any
    order: int


def _resolve(func: Any) -> Any:
    if isinstance(func, str):
        module, _, name = func.rpartition(".")
        return getattr(__import__(module, fromlist=[name]), name)
    return func


def agenda_sources() -> list[AgendaSource]:
    found = []
    for config in apps.get_app_configs():
        for entry in getattr(config, "meeting_agenda_sources", ()):
            found.append(AgendaSource(entry["key"], entry["label"], entry["func"], entry.get("order", 100)))
    return sorted(found, key=lambda s: (s.order, s.key))


def collect(meeting: Any, user: Any, today: datetime.date) -> list[tuple[AgendaSource, AgendaEntry]]:
    """Every source's entries for this meeting, in source order."""
    rows: list[tuple[AgendaSource, AgendaEntry]] = []
    for source in agenda_sources():
        for entry in list(_resolve(source.func)(meeting, user, today))[:MAX_PER_SOURCE]:
            rows.append((source, entry))
    return rows


# --- this app's sources -----------------------------------------------------------------------------


def open_risks(meeting: Any, user: Any, today: datetime.date) -> list[AgendaEntry]:
    """Open risks of the meeting's unit subtree, from the risks register (risks.selectors)."""
    try:
        from risks.selectors import open_risks as select_open_risks
    except ImportError:  # the register is being built; until it exists this source is empty
        return []
    qs = select_open_risks(user).filter(unit__path__startswith=meeting.unit.path).select_related("unit")
    entries = []
    for risk in qs[:MAX_PER_SOURCE]:
        level = risk.get_level_display() if hasattr(risk, "get_level_display") else ""
        flagged = "，挂牌督办" if getattr(risk, "is_flagged", False) else ""
        deadline = getattr(risk, "deadline", None)
        due = f"，整改时限 {deadline:%Y-%m-%d}" if deadline else ""
        entries.append(AgendaEntry(f"risk:{risk.pk}", f"风险隐患：{risk.title}",
                                   f"{risk.unit.name}，{level}{flagged}{due}".strip("，")))
    return entries


def overdue_tasks(meeting: Any, user: Any, today: datetime.date) -> list[AgendaEntry]:
    """Ledger tasks of the meeting's unit subtree that are past their due date and not done."""
    from core import workdays
    from ledger.filters import overdue_q
    from ledger.models import Task

    qs = (Task.objects.visible_to(user, "view").filter(overdue_q(today), unit__path__startswith=meeting.unit.path)
          .select_related("unit").only("id", "title", "due_date", "unit__name").order_by("due_date", "id"))
    entries = []
    for task in qs[:MAX_PER_SOURCE]:
        late = workdays.workdays_between(task.due_date, today)
        entries.append(AgendaEntry(f"task:{task.pk}", f"逾期事项：{task.title}",
                                   f"{task.unit.name}，完成时限 {task.due_date:%Y-%m-%d}，已逾期 {late} 个工作日"))
    return entries
