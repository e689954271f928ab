"""Lists must not issue a query per row: the count at 20 people equals the count at 300."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import User
from core.roles import Role
from core.tokens import do_create_token
from org.models import Person, RoleAssignment, Unit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_reuse")]


def add_people(world, count: int, start: int) -> None:
    """People with accounts and two roles each, spread over new units under 信息科 (fast: bulk)."""
    units = Unit.objects.filter(parent=world.unit_b).order_by("pk")
    if not units.exists():
        for i in range(5):
            Unit.objects.create(name=f"分组{i}", parent=world.unit_b, code=f"G{i}")
        units = Unit.objects.filter(parent=world.unit_b).order_by("pk")
    units = list(units)
    users = User.objects.bulk_create(
        [User(username=f"bulk{start + i}", display_name=f"人员{start + i}", must_change_password=False) for i in range(count)]
    )
    people = Person.objects.bulk_create(
        [Person(name=f"人员{start + i}", unit=units[i % len(units)], user=users[i], title="科员") for i in range(count)]
    )
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(person=p, role=Role.LIAISON, unit=p.unit) for p in people]
        + [RoleAssignment(person=p, role=Role.COMMENTATOR, unit=world.unit_b) for p in people]
    )


def count_queries(client: Client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


PAGES = [
    ("/org/people/", {}),
    ("/org/people/", {"role": Role.LIAISON, "q": "人员"}),
    ("/org/", {}),
    ("/org/", {"q": "分组"}),
    (None, {}),  # the unit detail of 信息科, filled in below
    ("/", {}),
]


@pytest.mark.parametrize(("url", "params"), PAGES, ids=["people", "people-filtered", "tree", "tree-filtered",
                                                        "unit-detail", "home"])
def test_page_query_count_does_not_grow_with_people(world, login, url, params):
    client = login(world.admin)
    url = url or f"/org/units/{world.unit_b.pk}/"
    add_people(world, 20, 0)
    client.get(url, params)  # warm-up: session renewal and other first-request writes
    small = count_queries(client, url, **params)
    add_people(world, 280, 20)
    large = count_queries(client, url, **params)
    assert small == large, f"{url}: {small} queries at 20 people, {large} at 300"


@pytest.mark.parametrize("url", ["/api/org/people", "/api/org/units", "/api/org/roles", "/api/org/aliases"])
def test_api_list_query_count_does_not_grow(world, url):
    _, key = do_create_token(world.admin, "qc", acting_user=world.admin)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    add_people(world, 20, 0)
    client.get(url)
    small = count_queries(client, url, limit="50")
    add_people(world, 280, 20)
    large = count_queries(client, url, limit="50")
    assert small == large, f"{url}: {small} queries at 20 people, {large} at 300"


def test_people_list_with_two_thousand_people_is_one_page_of_work(world, login):
    add_people(world, 2000, 0)
    client = login(world.admin)
    client.get("/org/people/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/org/people/", {"page": 50})
    body = response.content.decode()
    assert response.status_code == 200 and "第 50 /" in body
    assert len(captured.captured_queries) < 20
