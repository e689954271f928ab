"""The number of queries of every ledger page does not depend on how many tasks there are (or on the
page size): 20 tasks and 200 tasks cost the same."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.tokens import do_create_token
from ledger.actions import bulk_create_tasks
from ledger.choices import SourceKind, TaskStatus
from ledger.models import ProgressReport, Task
from org.models import Person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_reuse")]


@pytest.fixture(autouse=True)
def calendar_read_every_time(db):
    """The worst case for the working-day calendar: in a transaction that wrote an override, every
    calendar read goes to the database (core.workdays), so a per-task calendar lookup anywhere would
    show up here as queries growing with the tasks."""
    from core import workdays
    from core.models import CalendarOverride

    CalendarOverride.objects.create(date=datetime.date(2030, 1, 2), is_workday=False, name="测试调整")
    yield
    workdays.clear_cache()  # the test's transaction never commits


def seed(world, n: int) -> None:
    """n tasks spread over units, owners, plans, sections, statuses and months."""
    from plans.models import Item, Plan, Section

    plan = Plan.objects.create(unit=world.root, title=f"要点{n}", year=2026)
    sections = [Section.objects.create(plan=plan, number=i, title=f"板块{i}") for i in (1, 2, 3)]
    items = [Item.objects.create(plan=plan, section=s, number=s.number, title=f"条目{s.number}") for s in sections]
    units = [world.unit_a, world.unit_a_child, world.unit_b, world.office]
    owners = {u.pk: list(Person.objects.filter(unit=u)) for u in units}
    statuses = [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.PENDING_REVIEW, TaskStatus.DONE]
    # Every light, every status and several months even among the first 20 tasks (an empty page
    # skips the page query, which would look like a difference).
    offsets = [-40, -5, 0, 1, 3, 15, 45, 100]
    today = timezone.localdate()
    tasks = []
    for i in range(n):
        unit = units[i % len(units)]
        people = owners[unit.pk]
        status = statuses[i % 4]
        due = today + datetime.timedelta(days=offsets[i % len(offsets)] + i // len(offsets))
        tasks.append(Task(
            unit=unit, owner=people[i % len(people)] if people and i % 3 else None, title=f"任务{i}",
            due_date=due, status=status, source_kind=SourceKind.PLAN, plan=plan, section=sections[i % 3],
            item=items[i % 3], origin=f"工作要点第{i % 3 + 1}项", quote="原文", target_count=1 + i % 4,
            completed_at=timezone.now() if status == TaskStatus.DONE else None,
        ))
    bulk_create_tasks(tasks, {i: [world.office.pk] for i in range(0, n, 5)}, summary=f"seed {n}")


def count(client, url: str, *, allowed: tuple[int, ...] = (200,), **extra) -> int:
    client.get(url, **extra)  # warm-up: caches of the calendar, content types …
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code in allowed, (url, response.status_code)
    return len(ctx.captured_queries)


URLS = [
    "/ledger/",
    "/ledger/?per_page=100",
    "/ledger/mine/",
    "/ledger/unit/?status=overdue",
    "/ledger/?light=yellow&sort=unit",
    "/ledger/?q=任务",
    "/ledger/overview/",
    "/ledger/overview/?year=",
    "/ledger/calendar/",
    "/",
]


def measure(world, login, n: int, users: list) -> dict:
    seed(world, n)
    result = {}
    for user in users:
        c = login(user)
        for url in URLS:
            # The overview is for leaders; the others get a 403, which must be cheap too.
            result[(user.username, url)] = count(c, url, allowed=(200, 403) if "overview" in url else (200,))
        result[(user.username, "htmx")] = count(c, "/ledger/?status=done", HTTP_HX_REQUEST="true")
        c.logout()
    return result


@pytest.mark.parametrize("user", ["admin", "first", "head_a", "staff_a"])
def test_pages_cost_the_same_for_20_and_200_tasks(world, login, user, django_db_blocker):
    users = [getattr(world, user)]
    small = measure(world, login, 20, users)
    Task.objects.all().delete()
    large = measure(world, login, 200, users)
    assert small == large


def test_page_size_does_not_change_the_query_count(world, login):
    seed(world, 150)
    c = login(world.admin)
    assert count(c, "/ledger/?per_page=20") == count(c, "/ledger/?per_page=100")


def test_task_detail_cost_does_not_grow_with_reports(world, login):
    seed(world, 5)
    task = Task.objects.filter(unit=world.unit_a).first()
    ProgressReport.objects.create(task=task, author=world.staff_a, text="第一次进展")
    c = login(world.head_a)
    before = count(c, f"/ledger/{task.pk}/")
    ProgressReport.objects.bulk_create(
        ProgressReport(task=task, author=world.staff_a, text=f"进展{i}") for i in range(30)
    )
    assert count(c, f"/ledger/{task.pk}/") == before


def test_api_list_and_overview_cost_the_same(world, client):
    _, key = do_create_token(world.admin, "t", acting_user=world.admin)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def api_counts() -> list[int]:
        return [count(client, "/api/ledger/tasks?limit=200", **headers),
                count(client, "/api/ledger/overview", **headers)]

    seed(world, 20)
    small = api_counts()
    seed(world, 180)
    assert api_counts() == small
    body = json.loads(client.get("/api/ledger/tasks?limit=200", **headers).content)
    assert body["count"] == 200


def test_overview_figures_are_reused_and_refreshed_by_a_write(world, login, settings):
    """The overview is cached per scope; a task write makes the next view recompute it."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    settings.YISHI_OVERVIEW_CACHE_SECONDS = 60
    seed(world, 30)
    client = login(world.first)
    client.get("/ledger/overview/")
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/ledger/overview/").status_code == 200
    assert not any("GROUP BY" in q["sql"] for q in warm.captured_queries)  # served from the cache
    task = Task.objects.filter(unit=world.unit_a).first()
    task.title = "改过的任务"
    task.save()
    with CaptureQueriesContext(connection) as after_write:
        client.get("/ledger/overview/")
    assert any("GROUP BY" in q["sql"] for q in after_write.captured_queries)
