from __future__ import annotations

import itertools
import math

import pytest

from yishi_text.opinion.heat import growth_rate, heat_index


@pytest.mark.parametrize(("args", "expected"), [
    ((0, 0, 0.0, 0.0), 0.0),
    ((1, 0, 1.0, 0.0), 12.5),  # 10·ln2 + 8·ln2
    ((10, 20, 12.0, 0.0), 62.8),
    ((10, 20, 12.0, 1.0), 75.3),  # doubling within the hour: ×1.2
    ((10, 20, 12.0, 5.0), 100.0),
    ((100, 300, 150.0, 0.0), 100.0),  # saturates
])
def test_reference_points(args, expected):
    assert heat_index(*args) == expected


def test_bounds_and_bad_input():
    assert heat_index(10**9, 10**9, 1e12, 1e9) == 100.0
    assert heat_index(-5, -1, -3.0, -2.0) == 0.0
    assert heat_index(3, 0, math.nan, math.nan) == heat_index(3, 0, 0.0, 0.0)
    assert heat_index(3, 0, 1.0, math.inf) == heat_index(3, 0, 1.0, 5.0)


def test_monotonic_in_every_argument():
    items = [0, 1, 2, 5, 20, 80]
    reposts = [0, 1, 10, 100]
    weights = [0.0, 1.0, 3.0, 10.0]
    growths = [-1.0, 0.0, 0.5, 2.0, 5.0, 9.0]
    grid = list(itertools.product(items, reposts, weights, growths))
    for point in grid:
        value = heat_index(*point)
        assert 0.0 <= value <= 100.0
        for axis, values in enumerate((items, reposts, weights, growths)):
            position = values.index(point[axis])
            if position + 1 < len(values):
                bigger = list(point)
                bigger[axis] = values[position + 1]
                assert heat_index(*bigger) >= value, (point, axis)


def test_fading_event_keeps_its_base():
    assert heat_index(10, 5, 3.0, -0.8) == heat_index(10, 5, 3.0, 0.0)


@pytest.mark.parametrize(("last", "previous", "expected"), [
    (10, 5, 1.0), (5, 5, 0.0), (0, 5, -1.0), (4, 0, 4.0), (0, 0, 0.0), (3, 4, -0.25),
])
def test_growth_rate(last, previous, expected):
    assert growth_rate(last, previous) == expected
