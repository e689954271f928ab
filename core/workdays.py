"""The working-day calendar: China's statutory holidays and make-up working days (调休), plus overrides.

Every deadline in Yishi ("每月最后一个工作日", "收到后 5 个工作日内") is computed here, so there is
one answer to "is this a working day?":

1. An administrator's `CalendarOverride` for the date, if any, wins (it is how a new year's
   国务院办公厅 notice, or a local arrangement, gets in before the package is updated).
2. Otherwise the `chinese_calendar` package, for the years it covers (2004–2026 in 1.11.0).
3. Otherwise Monday–Friday are working days and weekends are not. `covered(year)` tells the UI to
   warn that such a year's holidays still have to be entered as overrides.

Overrides are cached per process (the table is tiny and read on every deadline computation). The
cache is dropped when an override is saved or deleted in this process (signal receivers below,
connected when this module is imported — `CoreConfig.ready` imports it), again when that write's
transaction commits, and after `CACHE_SECONDS` at most, which bounds how long *another* process
(a worker, a second web machine) can keep using an old table.
"""

from __future__ import annotations

import calendar
import datetime
import threading
import time
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils import timezone

DateLike = datetime.date | datetime.datetime

# How long another process may keep a stale copy of the overrides (this process drops it at once).
CACHE_SECONDS = 60.0

# The package's English holiday names, as the UI shows them.
HOLIDAY_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

# A guard against looping forever should the overrides ever mark an absurd span as holidays.
_MAX_SCAN_DAYS = 3660


# --- coverage -------------------------------------------------------------------------------------


def _package_years() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.holidays] + [d.year for d in chinese_calendar.workdays]
    return min(years), max(years)


PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR = _package_years()


def covered(year: int) -> bool:
    """Whether the holiday package has the official arrangement for `year`.

    For years it does not cover, only weekends and administrator overrides count; the calendar page
    warns about it, and deadlines in such years should be flagged as provisional.
    """
    return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR


def coverage() -> tuple[int, int]:
    """(first, last) year the holiday package covers."""
    return PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR


# --- the override cache ---------------------------------------------------------------------------


class _OverrideCache:
    """{date: is_workday} of every CalendarOverride, shared by the threads of one process."""

    def __init__(self) -> None:
        self._data: dict[datetime.date, bool] | None = None
        self._names: dict[datetime.date, str] = {}
        self._loaded_at = 0.0
        # Bumped by every clear(): a load that raced with a write must not store what it read.
        self._generation = 0
        self._lock = threading.Lock()
        # Per thread: this thread wrote overrides in a transaction that has not ended yet. Until it
        # does, the thread reads the table directly (it must see its own uncommitted rows, and must
        # not publish them to other threads in case the transaction rolls back).
        self._local = threading.local()

    def clear(self) -> None:
        with self._lock:
            self._data = None
            self._names = {}
            self._generation += 1

    def reset(self) -> None:
        """clear(), and forget that this thread wrote the table in a transaction still open."""
        self.clear()
        self._local.pending = False

    def mark_written(self) -> None:
        self.clear()
        if connection.in_atomic_block:
            self._local.pending = True
            transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self._local.pending = False
        self.clear()

    def _query(self) -> tuple[dict[datetime.date, bool], dict[datetime.date, str]]:
        from core.models import CalendarOverride

        rows = list(CalendarOverride.objects.values_list("date", "is_workday", "name"))
        return {d: w for d, w, _ in rows}, {d: n for d, _, n in rows}

    def get(self) -> tuple[dict[datetime.date, bool], dict[datetime.date, str]]:
        if getattr(self._local, "pending", False):
            if connection.in_atomic_block:
                return self._query()
            # Outside any transaction the write has either committed (and `_committed` ran) or
            # rolled back: either way the table as stored now is the truth.
            self._local.pending = False
        data, names, loaded_at = self._data, self._names, self._loaded_at
        if data is not None and time.monotonic() - loaded_at < CACHE_SECONDS:
            return data, names
        generation = self._generation
        data, names = self._query()
        with self._lock:
            if generation == self._generation:
                self._data, self._names, self._loaded_at = data, names, time.monotonic()
        return data, names


_cache = _OverrideCache()


def clear_cache() -> None:
    """Forget the cached overrides and this thread's pending-write state (tests, raw SQL writes)."""
    _cache.reset()


def _on_override_changed(sender: Any, **kwargs: Any) -> None:
    _cache.mark_written()


def _on_tables_reset(sender: Any, **kwargs: Any) -> None:
    # `flush` (and test teardown that uses it) empties the table without model signals.
    _cache.clear()


# Connected at import (CoreConfig.ready imports this module) so every process — web, worker,
# scheduler — drops its copy when it writes the table itself. The lazy sender label avoids importing
# the models while the app registry is still loading.
post_save.connect(_on_override_changed, sender="core.CalendarOverride", dispatch_uid="yishi_workdays_save")
post_delete.connect(
    _on_override_changed, sender="core.CalendarOverride", dispatch_uid="yishi_workdays_delete"
)
post_migrate.connect(_on_tables_reset, dispatch_uid="yishi_workdays_reset")


# --- single days ----------------------------------------------------------------------------------


def _as_date(d: DateLike) -> datetime.date:
    if isinstance(d, datetime.datetime):
        # An aware moment belongs to the day it is in Beijing, not in UTC.
        return timezone.localtime(d).date() if timezone.is_aware(d) else d.date()
    return d


def _package_says(d: datetime.date) -> bool | None:
    """The package's answer, or None for a year it does not cover."""
    if not covered(d.year):
        return None
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:  # a future package release may narrow its range; treat as uncovered
        return None


def _is_workday(d: datetime.date, overrides: dict[datetime.date, bool]) -> bool:
    if d in overrides:
        return overrides[d]
    package = _package_says(d)
    if package is not None:
        return package
    return d.weekday() < 5


def is_workday(d: DateLike) -> bool:
    """Whether `d` is a working day: override, else the statutory calendar, else Monday–Friday."""
    overrides, _ = _cache.get()
    return _is_workday(_as_date(d), overrides)


@dataclass(frozen=True)
class DayInfo:
    """What the calendar says about one day, and why (for the month grid and explanations)."""

    date: datetime.date
    is_workday: bool
    kind: str  # workday / weekend / holiday / makeup (调休上班)
    source: str  # override / package / weekday (fallback rule)
    name: str  # 春节, 国庆节调休, or the override's name

    @property
    def label(self) -> str:
        labels = {"workday": "工作日", "weekend": "休息日", "holiday": "放假", "makeup": "调休上班"}
        return labels[self.kind]


def _day_info(
    d: datetime.date, overrides: dict[datetime.date, bool], names: dict[datetime.date, str]
) -> DayInfo:
    weekend = d.weekday() >= 5
    if d in overrides:
        work, name = overrides[d], names.get(d, "")
        if work:
            kind = "makeup" if weekend else "workday"
        else:
            kind = "weekend" if weekend and not name else "holiday"
        return DayInfo(d, work, kind, "override", name)
    package = _package_says(d)
    if package is None:
        return DayInfo(d, not weekend, "weekend" if weekend else "workday", "weekday", "")
    _, raw_name = chinese_calendar.get_holiday_detail(d)
    name = HOLIDAY_NAMES_ZH.get(raw_name, raw_name) if raw_name else ""
    if package:
        kind = "makeup" if weekend else "workday"
        if kind == "makeup" and name:
            name = f"{name}调休"
    else:
        kind = "holiday" if (name or not weekend) else "weekend"
    return DayInfo(d, package, kind, "package", name)


def day_info(d: DateLike) -> DayInfo:
    """Working day or not, the kind of day and where the answer comes from."""
    overrides, names = _cache.get()
    return _day_info(_as_date(d), overrides, names)


def statutory_day_info(d: DateLike) -> DayInfo:
    """What the day would be without any override (the package, or the weekday rule)."""
    return _day_info(_as_date(d), {}, {})


def days_info(start: DateLike, end: DateLike) -> list[DayInfo]:
    """DayInfo for every day from `start` to `end` inclusive (one query at most)."""
    overrides, names = _cache.get()
    first, last = _as_date(start), _as_date(end)
    return [
        _day_info(first + datetime.timedelta(days=i), overrides, names)
        for i in range((last - first).days + 1)
    ]


def month_days(year: int, month: int) -> list[DayInfo]:
    """DayInfo for every day of a month."""
    last = calendar.monthrange(year, month)[1]
    return days_info(datetime.date(year, month, 1), datetime.date(year, month, last))


# --- stepping -------------------------------------------------------------------------------------


def _step(d: datetime.date, direction: int, overrides: dict[datetime.date, bool]) -> datetime.date:
    for _ in range(_MAX_SCAN_DAYS):
        d += datetime.timedelta(days=direction)
        if _is_workday(d, overrides):
            return d
    raise ValueError(f"{_MAX_SCAN_DAYS} 天内没有工作日，请检查工作日历调整")


def next_workday(d: DateLike, *, include_self: bool = False) -> datetime.date:
    """The first working day after `d`; with include_self, `d` itself when it is a working day.

    include_self=True is the "a deadline falling on a holiday moves to the next working day" rule.
    """
    overrides, _ = _cache.get()
    d = _as_date(d)
    if include_self and _is_workday(d, overrides):
        return d
    return _step(d, 1, overrides)


def previous_workday(d: DateLike, *, include_self: bool = False) -> datetime.date:
    """The last working day before `d`; with include_self, `d` itself when it is a working day."""
    overrides, _ = _cache.get()
    d = _as_date(d)
    if include_self and _is_workday(d, overrides):
        return d
    return _step(d, -1, overrides)


def add_workdays(d: DateLike, n: int) -> datetime.date:
    """The n-th working day after `d` (n > 0) or before it (n < 0); `d` itself is never counted.

    "收到后 3 个工作日内" from Tuesday 2025-09-30 is add_workdays(..., 3) = 2025-10-11 (the National
    Day week is off, Saturday 10-11 is a make-up working day). n == 0 returns `d` when it is a
    working day and otherwise the next working day, so the result is always a working day.
    """
    overrides, _ = _cache.get()
    d = _as_date(d)
    if n == 0:
        return d if _is_workday(d, overrides) else _step(d, 1, overrides)
    direction = 1 if n > 0 else -1
    for _ in range(abs(n)):
        d = _step(d, direction, overrides)
    return d


def workdays_between(a: DateLike, b: DateLike) -> int:
    """How many working days lie after `a` up to and including `b` (negative when b is before a).

    It is the inverse of add_workdays: workdays_between(d, add_workdays(d, n)) == n for any n.
    """
    overrides, _ = _cache.get()
    start, end = _as_date(a), _as_date(b)
    if end == start:
        return 0
    sign = 1
    if end < start:
        # Count the working days in [b, a) and negate: the mirror image of the (a, b] rule.
        start, end, sign = end - datetime.timedelta(days=1), start - datetime.timedelta(days=1), -1
    count = 0
    d = start
    while d < end:
        d += datetime.timedelta(days=1)
        if _is_workday(d, overrides):
            count += 1
    return sign * count


# --- periods --------------------------------------------------------------------------------------


def _last_workday_on_or_before(d: datetime.date) -> datetime.date:
    return previous_workday(d, include_self=True)


def first_workday_of_month(year: int, month: int) -> datetime.date:
    """The first working day of the month (2025-10 → 2025-10-09, after the National Day week)."""
    return next_workday(datetime.date(year, month, 1), include_self=True)


def last_workday_of_month(year: int, month: int) -> datetime.date:
    """The last working day of the month ("每月最后一个工作日前报送")."""
    return _last_workday_on_or_before(datetime.date(year, month, calendar.monthrange(year, month)[1]))


def last_workday_of_quarter(year: int, quarter: int) -> datetime.date:
    """The last working day of quarter 1–4."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("季度应为 1–4")
    return last_workday_of_month(year, quarter * 3)


def last_workday_of_half(year: int, half: int) -> datetime.date:
    """The last working day of half-year 1 (上半年) or 2 (下半年)."""
    if half not in (1, 2):
        raise ValueError("半年应为 1 或 2")
    return last_workday_of_month(year, half * 6)


def last_workday_of_year(year: int) -> datetime.date:
    """The last working day of the year."""
    return last_workday_of_month(year, 12)
