"""Fixtures for the plan reader tests: the shared sample plans and our own variant fixtures."""

from __future__ import annotations

import pytest

from yishi_text.plans import Plan, parse_plan_file

from .paths import FIXTURES, SAMPLES


@pytest.fixture
def sample():
    """sample("市委组织部") → the parsed shared sample plan; skips when ../shared is absent."""

    def load(name: str) -> Plan:
        matches = sorted(SAMPLES.glob(f"*{name}*.txt")) if SAMPLES.is_dir() else []
        if not matches:
            pytest.skip(f"shared sample plans not found at {SAMPLES}")
        return parse_plan_file(matches[0])

    return load


@pytest.fixture
def fixture_plan():
    """fixture_plan("市教育局") → our own variant fixture, parsed."""

    def load(name: str) -> Plan:
        (path,) = FIXTURES.glob(f"*{name}*")
        return parse_plan_file(path)

    return load
