"""The responsibility list pages and API lists cost the same number of queries for few or many rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.roles import Role
from core.testing import make_user
from core.tokens import do_create_token
from org.models import ContactPoint, Person, ResponsibilityList, ResponsibilityListRevision, Unit
from org.responsibility import (
    do_create_duty_schedule,
    do_create_letter_template,
    do_send_letters,
    do_sign_letter,
)
from org.responsibility_choices import Post, RevisionStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_reuse")]

PAGES = [
    "/org/responsibility/",
    "/org/responsibility/letters/?box=all",
    "/org/responsibility/duty-reports/?box=all",
    "/org/responsibility/contacts/",
]
API = ["/api/responsibility/lists", "/api/responsibility/letters", "/api/responsibility/duty-reports",
       "/api/responsibility/contact-points"]


def seed(world, n: int, start: int) -> None:
    leader = Person.objects.get(user=world.leader_a)
    for i in range(start, start + n):
        unit = Unit.objects.create(name=f"科室{i}", parent=world.root, code=f"Q{i}")
        head = make_user(f"head{i}", unit, roles=[(Role.UNIT_HEAD, unit)], name=f"科长{i}")
        lst = ResponsibilityList.objects.create(unit=unit, post=Post.UNIT_HEAD, year=2026,
                                                holder=Person.objects.get(user=head), title=f"清单{i}")
        ResponsibilityListRevision.objects.create(responsibility_list=lst, number=1, status=RevisionStatus.PUBLISHED)
        ContactPoint.objects.create(leader=leader, unit=unit, start_date=datetime.date(2026, 1, 1))
    template = do_create_letter_template(unit=world.root, year=2026, title=f"责任书{start}", body="{单位}",
                                         acting_user=world.admin)
    for letter in do_send_letters(template, acting_user=world.admin)[::2]:
        do_sign_letter(letter, acting_user=letter.addressee.user)
    do_create_duty_schedule(unit=world.root, year=2026, title=f"履职{start}", cadence="year", acting_user=world.admin)


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_pages_and_api_do_not_grow_with_rows(world, login):
    _, key = do_create_token(world.admin, "q", acting_user=world.admin)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    web = login(world.admin)
    seed(world, 3, 0)
    for url in PAGES + API:  # warm the per-process caches (navigation, content types, token use)
        count(web if url in PAGES else api, url)
    few = {url: count(web, url) for url in PAGES} | {url: count(api, url) for url in API}
    seed(world, 15, 100)
    many = {url: count(web, url) for url in PAGES} | {url: count(api, url) for url in API}
    assert few == many
