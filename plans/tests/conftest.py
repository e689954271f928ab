"""Fixtures for the plans tests."""

from __future__ import annotations

from typing import Any

import pytest

from org.choices import UnitKind
from org.models import Unit, UnitAlias


@pytest.fixture
def organ(world: Any) -> Any:
    """The test world plus the units and aliases the demo plan (plans/fixtures/demo_plan.txt) names."""
    for name, kind in [("宣传教育科", UnitKind.SECTION), ("督查科", UnitKind.SECTION), ("机关党委", UnitKind.OTHER)]:
        Unit.objects.create(name=name, kind=kind, parent=world.root)
    UnitAlias.objects.create(name="党组理论学习中心组", unit=world.party)
    return world
