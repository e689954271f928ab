"""Working-hours arithmetic on the working-day calendar (core.workdays).

Deadlines such as "红色舆情 1 个工作小时内受理" count only the hours inside the working-hours
windows (by default 09:00–12:00 and 13:30–17:30, local time) of working days: nights, the lunch
break, weekends and statutory holidays (with their make-up working days) do not count.

`settings` is anything with a `windows()` method returning sorted (start, end) `datetime.time`
pairs — `opinion.models.OpinionSettings` is one — or such a sequence itself; None means the default.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from core import workdays

DEFAULT_WINDOWS: tuple[tuple[datetime.time, datetime.time], ...] = (
    (datetime.time(9, 0), datetime.time(12, 0)),
    (datetime.time(13, 30), datetime.time(17, 30)),
)
# A guard: a deadline further out than this many days is a configuration error, not a date.
_MAX_DAYS = 3660

Windows = Sequence[tuple[datetime.time, datetime.time]]


def windows_of(settings: Any = None) -> Windows:
    """The working-hours windows to use: from `settings`, else the default."""
    if settings is None:
        return DEFAULT_WINDOWS
    found = settings.windows() if hasattr(settings, "windows") else settings
    pairs = sorted((_as_time(a), _as_time(b)) for a, b in found)
    pairs = [(a, b) for a, b in pairs if a < b]
    return pairs or DEFAULT_WINDOWS


def _as_time(value: Any) -> datetime.time:
    return value if isinstance(value, datetime.time) else datetime.time.fromisoformat(str(value))


def _at(day: datetime.date, t: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, t))


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else timezone.make_aware(value)


def add_working_hours(start: datetime.datetime, hours: float, settings: Any = None) -> datetime.datetime:
    """The moment `hours` working hours after `start` (aware, local time).

    Time before the first window of a working day, after the last, in a break or on a day off is
    skipped; a result falling exactly on the end of a window stays there (17:30, not next 09:00).
    """
    if hours < 0:
        raise ValueError("工作小时数不能为负")
    windows = windows_of(settings)
    current = _local(start)
    remaining = datetime.timedelta(hours=hours)
    if not remaining:
        return current
    day = current.date()
    for _ in range(_MAX_DAYS):
        if workdays.is_workday(day):
            for begin, end in windows:
                segment_start = max(current, _at(day, begin))
                segment_end = _at(day, end)
                if segment_start >= segment_end:
                    continue
                available = segment_end - segment_start
                if remaining <= available:
                    return segment_start + remaining
                remaining -= available
        day = workdays.next_workday(day)
        current = _at(day, datetime.time.min)
    raise ValueError(f"{_MAX_DAYS} 天内无法累计 {hours} 个工作小时，请检查工作时段设置")


def working_hours_between(a: datetime.datetime, b: datetime.datetime, settings: Any = None) -> float:
    """Working hours from `a` to `b` (negative when `b` is before `a`)."""
    if b < a:
        return -working_hours_between(b, a, settings)
    windows = windows_of(settings)
    start, end = _local(a), _local(b)
    total = datetime.timedelta()
    day = start.date()
    if not workdays.is_workday(day):
        day = workdays.next_workday(day)
    for _ in range(_MAX_DAYS):
        if day > end.date():
            break
        for begin, finish in windows:
            lo = max(start, _at(day, begin))
            hi = min(end, _at(day, finish))
            if hi > lo:
                total += hi - lo
        day = workdays.next_workday(day)
    return total.total_seconds() / 3600
