"""Figures and list fragments reused until the data changes (core.caching): never stale, never shared."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings

from core.caching import data_generation, reuse
from core.roles import Role
from core.testing import worker_env
from org.actions import do_assign_role, do_create_person, do_update_person
from org.models import Person

pytestmark = pytest.mark.django_db


def test_every_audited_change_moves_the_generation(world):
    before = data_generation()
    do_create_person(name="新来的同志", unit=world.unit_a, acting_user=world.users["admin"])
    assert data_generation() != before


def test_a_rolled_back_change_never_names_a_later_generation(world):
    """What was cached inside a transaction that rolled back must not match the next real change."""
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        do_create_person(name="撤回的", unit=world.unit_a, acting_user=world.users["admin"])
        doomed = data_generation()
        raise RuntimeError("rolled back")
    do_create_person(name="留下的", unit=world.unit_a, acting_user=world.users["admin"])
    assert data_generation() != doomed


def test_reuse_computes_once_per_generation(world):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert reuse("t", compute) == 1
    assert reuse("t", compute) == 1  # nothing changed: kept
    do_create_person(name="甲", unit=world.unit_a, acting_user=world.users["admin"])
    assert reuse("t", compute) == 2  # a change anywhere: computed again


def test_reuse_off_computes_every_time(settings):
    settings.YISHI_OVERVIEW_CACHE_SECONDS = 0
    calls = []
    reuse("t", lambda: calls.append(1))
    reuse("t", lambda: calls.append(1))
    assert len(calls) == 2


def test_people_list_shows_a_new_person_at_once(world, login):
    client = login(world.users["admin"])
    assert "赵新来" not in client.get("/org/people/?q=赵").content.decode()
    do_create_person(name="赵新来", unit=world.unit_b, acting_user=world.users["admin"])
    assert "赵新来" in client.get("/org/people/?q=赵").content.decode()


def test_cached_list_is_never_shared_between_users(world, login):
    from django.test import Client

    a = login(world.users["head_a"], Client())
    b = login(world.users["head_b"], Client())
    page_a = a.get("/org/people/").content.decode()
    page_b = b.get("/org/people/").content.decode()
    assert "宣传科员" in page_a and "信息科员" not in page_a
    assert "信息科员" in page_b and "宣传科员" not in page_b


def test_scope_follows_a_move_at_once(world, login):
    """A cached scope must not outlive the change that moves the user to another unit."""
    staff = world.users["staff_a"]
    client = login(staff)
    assert "信息科员" not in client.get("/org/people/?active=all").content.decode()
    person = Person.objects.get(user=staff)
    do_update_person(person, unit=world.unit_b, acting_user=world.users["admin"])
    page = client.get("/org/people/?active=all").content.decode()
    assert "信息科员" in page and "宣传科长" not in page


def test_scope_follows_a_new_role_at_once(world, login):
    staff = world.users["staff_b"]
    client = login(staff)
    assert "网络组员" not in client.get("/org/people/").content.decode()
    do_assign_role(Person.objects.get(user=staff), Role.UNIT_HEAD, world.unit_a, acting_user=world.users["admin"])
    assert "网络组员" in client.get("/org/people/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_change_made_by_another_process_shows_at_once(login):
    """The generation lives in the database, so a worker's or another web process's change counts."""
    from core.testing import build_org_world

    world = build_org_world()
    client = login(world.users["admin"])
    assert "钱另进程" not in client.get("/org/people/?q=钱").content.decode()
    script = (
        "from org.actions import do_create_person; from org.models import Unit; from core.models import User; "
        "do_create_person(name='钱另进程', unit=Unit.objects.get(code='T4'), "
        "acting_user=User.objects.get(username='admin'))"
    )
    subprocess.run([sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "-c", script], env=worker_env(), check=True,
                   capture_output=True, timeout=120)
    assert "钱另进程" in client.get("/org/people/?q=钱").content.decode()
