"""List pages and API lists cost the same number of queries for 3 rows or 30."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.tokens import do_create_token
from org.models import Person
from risks.meetings import actions
from risks.meetings.choices import MeetingKind, SubjectKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_reuse")]

PAGES = ["/risks/meetings/", "/risks/meetings/series/", "/risks/meetings/plans/", "/risks/meetings/drills/",
         "/risks/meetings/checks/"]
API = ["/api/meetings/meetings", "/api/meetings/series", "/api/meetings/plans", "/api/meetings/drills",
       "/api/meetings/checks"]


def seed(world, n, template, workday):
    people = list(Person.objects.filter(unit=world.unit_a))
    for i in range(n):
        unit = (world.unit_a, world.unit_a_child)[i % 2]
        actions.do_create_meeting(unit=unit, title=f"会{i}", kind=MeetingKind.ANALYSIS, scheduled_on=workday,
                                  attendees=people, acting_user=world.admin)
        series = actions.do_create_series(unit=unit, title=f"系列{i}", kind=MeetingKind.JOINT, cadence=3,
                                          default_attendees=people, acting_user=world.admin)
        plan = actions.do_create_plan(unit=unit, title=f"预案{i}", level="2", trigger="t", acting_user=world.admin,
                                      steps=[actions.StepData("a", 5), actions.StepData("b", 9)])
        drill = actions.do_create_drill(plan, scenario="s", held_at=datetime.datetime(2026, 3, 2, 1, tzinfo=datetime.UTC),
                                        participants=people, acting_user=world.admin)
        actions.do_add_finding(drill, text="问题", unit=unit, due_date=workday, acting_user=world.admin)
        actions.do_start_check(unit=unit, template=template, subject_title=f"事项{i}",
                               subject_kind=SubjectKind.EVENT, subject_date=workday, acting_user=world.admin)
        del series


def counts(client, urls, **headers):
    result = {}
    for url in urls:
        client.get(url, **headers)  # warm the per-process caches (navigation, calendar) first
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **headers).status_code == 200
        result[url] = len(ctx)
    return result


def test_lists_do_not_grow_with_rows(world, login, client, template, workday):
    c = login(world.head_a)
    _, key = do_create_token(world.head_a, "t", acting_user=world.head_a)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    seed(world, 3, template, workday)
    few = counts(c, PAGES), counts(c, API, **headers)
    seed(world, 27, template, workday)
    many = counts(c, PAGES), counts(c, API, **headers)
    assert few == many
