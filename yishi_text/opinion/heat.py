"""Heat index (热度指数) of an event, 0–100.

    base  = 10·ln(1 + items) + 6·ln(1 + reposts) + 8·ln(1 + source_weight)
    boost = 1 + min(max(growth, 0), 5) / 5                     (1 to 2)
    heat  = min(100, base · boost), rounded to one decimal

- items: distinct stories in the event (originals, not reposts).
- reposts: items linked to an original as reposts (near-duplicates): how far the story spread.
- source_weight: the sum of Source.weight over the event's distinct sources (1.0 by default,
  e.g. 2.0 for central media), so coverage by many and by weighty outlets counts.
- growth: growth_rate(items in the last hour, items in the hour before) = (last − previous) /
  max(previous, 1); 0 when steady, 1 when doubling, negative when fading. Only acceleration
  raises heat (up to ×2 at a six-fold hour-on-hour rise); a fading event keeps its base.

Logarithms because volume is heavy-tailed: the 1,000th repost says less than the 10th. Reference
points: one item from one ordinary source ≈ 12.5; 10 stories, 20 reposts, 6 sources of weight 2
(Σ 12) ≈ 63; the same doubling within the hour ≈ 75; ~100 stories with hundreds of reposts saturate
at 100. The index is non-decreasing in every argument (tested).
"""

from __future__ import annotations

import math

ITEMS_FACTOR = 10.0
REPOSTS_FACTOR = 6.0
SOURCES_FACTOR = 8.0
MAX_GROWTH = 5.0
MAX_HEAT = 100.0


def heat_index(items: int, reposts: int, sources_weight: float, growth: float) -> float:
    """The heat of an event (see the module docstring for the formula); 0 for an empty event."""
    items, reposts = max(items, 0), max(reposts, 0)
    sources_weight = max(sources_weight, 0.0) if math.isfinite(sources_weight) else 0.0
    if items + reposts == 0:
        return 0.0
    base = (ITEMS_FACTOR * math.log1p(items) + REPOSTS_FACTOR * math.log1p(reposts)
            + SOURCES_FACTOR * math.log1p(sources_weight))
    growth = growth if math.isfinite(growth) else MAX_GROWTH if growth > 0 else 0.0
    boost = 1 + min(max(growth, 0.0), MAX_GROWTH) / MAX_GROWTH
    return round(min(MAX_HEAT, base * boost), 1)


def growth_rate(last_hour: int, previous_hour: int) -> float:
    """Hour-on-hour growth: (last − previous) / max(previous, 1). 1.0 means doubling, −1.0 silence."""
    return (last_hour - previous_hour) / max(previous_hour, 1)
