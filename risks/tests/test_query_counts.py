"""Register, heat map and 工作台 cost the same number of queries for 20 risks or 200."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from org.models import Person
from risks.models import Risk
from risks.tests.conftest import workday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_reuse")]

URLS = ["/risks/", "/risks/?per_page=100", "/risks/?level=major&status=open&sort=deadline", "/risks/heatmap/",
        "/risks/?q=风险", "/"]


def seed(world, domains, n: int) -> None:
    units = [world.unit_a, world.unit_a_child, world.unit_b, world.office]
    owners = {u.pk: list(Person.objects.filter(unit=u)) for u in units}
    levels = ["major", "significant", "general", "low"]
    rows = []
    for i in range(n):
        unit = units[i % 4]
        people = owners[unit.pk]
        rows.append(Risk(unit=unit, owner=people[i % len(people)] if people and i % 3 else None, title=f"风险{i}",
                         description="描述", domain=domains[i % 2], likelihood=1 + i % 5, impact=1 + i % 5,
                         level=levels[i % 4], level_rank=i % 4, deadline=workday(1 + i % 30),
                         status=["open", "rectifying", "pending_review", "closed"][i % 4], is_flagged=i % 7 == 0))
    Risk.objects.bulk_create(rows)


def count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("username", ["admin", "leader_a", "staff_a"])
def test_counts_do_not_grow_with_rows(world, domains, login, settings, username):
    settings.YISHI_OVERVIEW_CACHE_SECONDS = 0  # measure the real queries, not the cache
    client = login(getattr(world, username))
    seed(world, domains, 20)
    small = {url: count(client, url) for url in URLS}
    seed(world, domains, 180)
    large = {url: count(client, url) for url in URLS}
    assert small == large
    assert max(n for url, n in small.items() if url.startswith("/risks/")) <= 12, small
