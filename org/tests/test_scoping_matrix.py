"""Every role × (inside | outside its scope) × (read | change) × (UI | API), CISO-Assistant style.

Reading inside the scope works; outside it the record does not exist (404). Changing needs the
permission as well: without it the answer is 403 (the record is visible), and nothing changes.
Units can be changed by administrators only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from core.roles import Role
from core.testing import TEST_PASSWORD, make_user
from core.tokens import do_create_token
from org.models import Person, Unit

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, HIDDEN = "ok", "forbidden", "hidden"


@dataclass(frozen=True)
class Case:
    actor: str  # a user of the world (or one of the extra role holders below)
    role: str  # for the test id
    target: str  # the user whose Person record is read or changed
    read: str
    change: str
    unit_change: str

    @property
    def id(self) -> str:
        return f"{self.role}:{self.actor}->{self.target}"


CASES = [
    # inside the scope
    Case("admin", Role.SYSADMIN, "staff_b", OK, OK, OK),
    Case("first", Role.FIRST_RESPONSIBLE, "staff_b", OK, OK, FORBIDDEN),
    Case("leader_a", Role.DIRECT_RESPONSIBLE, "staff_a", OK, OK, FORBIDDEN),
    Case("member_a", Role.LEADER_MEMBER, "staff_a", OK, FORBIDDEN, FORBIDDEN),
    Case("head_a", Role.UNIT_HEAD, "staff_a_child", OK, OK, FORBIDDEN),
    Case("liaison_b", Role.LIAISON, "head_b", OK, FORBIDDEN, FORBIDDEN),
    Case("commentator_a", Role.COMMENTATOR, "head_a", OK, FORBIDDEN, FORBIDDEN),
    Case("staff_a", "staff", "head_a", OK, FORBIDDEN, FORBIDDEN),
    Case("staff_a_child", "staff", "staff_a_child", OK, FORBIDDEN, FORBIDDEN),
    # outside the scope: another unit, or a unit below a plain staff member's own
    Case("leader_a", Role.DIRECT_RESPONSIBLE, "staff_b", HIDDEN, HIDDEN, HIDDEN),
    Case("member_a", Role.LEADER_MEMBER, "staff_b", HIDDEN, HIDDEN, HIDDEN),
    Case("head_a", Role.UNIT_HEAD, "staff_b", HIDDEN, HIDDEN, HIDDEN),
    Case("head_b", Role.UNIT_HEAD, "staff_a", HIDDEN, HIDDEN, HIDDEN),
    Case("liaison_b", Role.LIAISON, "staff_a", HIDDEN, HIDDEN, HIDDEN),
    Case("commentator_a", Role.COMMENTATOR, "staff_b", HIDDEN, HIDDEN, HIDDEN),
    Case("staff_a", "staff", "staff_b", HIDDEN, HIDDEN, HIDDEN),
    Case("staff_a", "staff", "staff_a_child", HIDDEN, HIDDEN, HIDDEN),
    Case("staff_b", "staff", "staff_a", HIDDEN, HIDDEN, HIDDEN),
]

UI_STATUS = {OK: (200, 302), FORBIDDEN: (403,), HIDDEN: (404,)}
API_STATUS = {OK: (200,), FORBIDDEN: (403,), HIDDEN: (404,)}


@pytest.fixture
def actors(world):
    """The world's users plus holders of the roles the world lacks."""
    users = dict(world.users)
    users["member_a"] = make_user("member_a", world.party, roles=[(Role.LEADER_MEMBER, world.unit_a)], name="班子成员甲")
    users["liaison_b"] = make_user("liaison_b", world.unit_b, roles=[(Role.LIAISON, world.unit_b)], name="信息科信息员")
    users["commentator_a"] = make_user("commentator_a", world.unit_a, roles=[(Role.COMMENTATOR, world.unit_a)],
                                       name="宣传科网评员")
    return users


def _client(channel: str, user) -> Client:
    if channel == "api":
        _, key = do_create_token(user, "matrix", acting_user=user)
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("channel", ["ui", "api"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_read_person(actors, case, channel):
    target = Person.objects.get(user=actors[case.target])
    client = _client(channel, actors[case.actor])
    url = f"/org/people/{target.pk}/" if channel == "ui" else f"/api/org/people/{target.pk}"
    response = client.get(url)
    assert response.status_code in (UI_STATUS if channel == "ui" else API_STATUS)[case.read]
    if case.read == OK:
        assert target.name in (response.content.decode() if channel == "ui" else response.json()["name"])


@pytest.mark.parametrize("channel", ["ui", "api"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_change_person(actors, case, channel):
    target = Person.objects.get(user=actors[case.target])
    client = _client(channel, actors[case.actor])
    if channel == "ui":
        response = client.post(f"/org/people/{target.pk}/edit/", {
            "name": target.name, "unit": target.unit_id, "title": "矩阵测试", "sort_order": 0, "is_active": "on",
        })
    else:
        response = client.patch(f"/api/org/people/{target.pk}", {"title": "矩阵测试"}, content_type="application/json")
    assert response.status_code in (UI_STATUS if channel == "ui" else API_STATUS)[case.change]
    changed = Person.objects.get(pk=target.pk).title == "矩阵测试"
    assert changed is (case.change == OK)


@pytest.mark.parametrize("channel", ["ui", "api"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_read_and_change_unit(actors, case, channel):
    unit = Person.objects.get(user=actors[case.target]).unit
    client = _client(channel, actors[case.actor])
    if channel == "ui":
        read = client.get(f"/org/units/{unit.pk}/")
        change = client.post(f"/org/units/{unit.pk}/edit/", {
            "name": unit.name, "short_name": "矩阵", "kind": unit.kind, "parent": unit.parent_id or "",
            "code": unit.code or "", "sort_order": unit.sort_order,
        })
    else:
        read = client.get(f"/api/org/units/{unit.pk}")
        change = client.patch(f"/api/org/units/{unit.pk}", {"short_name": "矩阵"}, content_type="application/json")
    statuses = UI_STATUS if channel == "ui" else API_STATUS
    assert read.status_code in statuses[case.read]
    assert change.status_code in statuses[case.unit_change]
    assert (Unit.objects.get(pk=unit.pk).short_name == "矩阵") is (case.unit_change == OK)
