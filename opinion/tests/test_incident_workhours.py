"""core.workhours: deadlines in working hours across breaks, nights, weekends and holidays."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.workhours import add_working_hours, working_hours_between
from opinion.models import OpinionSettings


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(y, m, d, hh, mm))


@pytest.mark.parametrize(("start", "hours", "expected"), [
    (at(2026, 11, 24, 10, 0), 1, at(2026, 11, 24, 11, 0)),          # inside the morning window
    (at(2026, 11, 24, 11, 30), 1, at(2026, 11, 24, 14, 0)),         # across the lunch break
    (at(2026, 11, 24, 12, 45), 0.5, at(2026, 11, 24, 14, 0)),       # starting in the break
    (at(2026, 11, 24, 17, 0), 1, at(2026, 11, 25, 9, 30)),          # across the night
    (at(2026, 11, 24, 20, 0), 2, at(2026, 11, 25, 11, 0)),          # starting after hours
    (at(2026, 11, 24, 6, 0), 1, at(2026, 11, 24, 10, 0)),           # starting before hours
    (at(2026, 11, 27, 17, 0), 1, at(2026, 11, 30, 9, 30)),          # Friday → Monday
    (at(2026, 11, 28, 10, 0), 1, at(2026, 11, 30, 10, 0)),          # a Saturday counts nothing
    (at(2026, 11, 24, 9, 0), 7, at(2026, 11, 24, 17, 30)),          # a whole day ends at 17:30
    (at(2026, 11, 24, 9, 0), 16, at(2026, 11, 26, 11, 0)),          # two days and two hours
    (at(2026, 9, 30, 17, 0), 1, at(2026, 10, 8, 9, 30)),            # National Day (10-01..07 off)
    (at(2026, 10, 9, 17, 0), 1, at(2026, 10, 10, 9, 30)),           # Saturday 10-10 is a make-up working day
])
def test_add_working_hours(db, start, hours, expected):
    assert add_working_hours(start, hours) == expected


def test_zero_hours_is_start(db):
    start = at(2026, 11, 28, 3, 0)
    assert add_working_hours(start, 0) == start


def test_negative_hours_refused(db):
    with pytest.raises(ValueError, match="不能为负"):
        add_working_hours(at(2026, 11, 24, 10), -1)


@pytest.mark.parametrize(("a", "b", "expected"), [
    (at(2026, 11, 24, 10, 0), at(2026, 11, 24, 11, 0), 1),
    (at(2026, 11, 24, 11, 0), at(2026, 11, 24, 14, 0), 1.5),
    (at(2026, 11, 27, 17, 0), at(2026, 11, 30, 9, 30), 1),
    (at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 30), 1),
    (at(2026, 11, 24, 9, 0), at(2026, 11, 26, 11, 0), 16),
    (at(2026, 11, 24, 11, 0), at(2026, 11, 24, 10, 0), -1),
    (at(2026, 11, 28, 9, 0), at(2026, 11, 29, 18, 0), 0),
])
def test_working_hours_between(db, a, b, expected):
    assert working_hours_between(a, b) == pytest.approx(expected)


def test_round_trip(db):
    start = at(2026, 11, 20, 16, 10)
    for hours in (0.25, 1, 3.5, 8, 40):
        assert working_hours_between(start, add_working_hours(start, hours)) == pytest.approx(hours)


def test_settings_windows(db):
    settings = OpinionSettings(working_hours=[["08:00", "12:00"], ["14:00", "18:00"], ["bad", "x"]])
    assert add_working_hours(at(2026, 11, 24, 11, 0), 2, settings) == at(2026, 11, 24, 15, 0)
