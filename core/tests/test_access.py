"""Login, lock-out, forced password change, session expiry and unit scoping."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings

from core.models import AuditAction, AuditEntry, User
from core.scoping import scope_unit_ids
from core.testing import make_user
from org.models import Person, Unit

pytestmark = pytest.mark.django_db


def test_login_and_logout_are_audited(world, client, password):
    response = client.post("/accounts/login/", {"username": "staff_a", "password": password})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN, actor=world.staff_a).exists()
    entry = AuditEntry.objects.filter(action=AuditAction.LOGIN).first()
    assert entry.ip == "127.0.0.1"
    client.post("/accounts/logout/")
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, actor=world.staff_a).exists()


def test_wrong_password_message_in_chinese_and_counted(world, client):
    response = client.post("/accounts/login/", {"username": "staff_a", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert User.objects.get(username="staff_a").failed_login_count == 1
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 1


def test_unknown_account_gets_same_message(world, client):
    response = client.post("/accounts/login/", {"username": "ghost", "password": "nope"})
    assert "用户名或密码错误" in response.content.decode()


@override_settings(YISHI_LOCKOUT_ATTEMPTS=3, YISHI_LOCKOUT_MINUTES=10)
def test_lockout_after_repeated_failures_even_with_right_password(world, client, password):
    for _ in range(3):
        client.post("/accounts/login/", {"username": "staff_a", "password": "bad"})
    assert User.objects.get(username="staff_a").is_locked
    response = client.post("/accounts/login/", {"username": "staff_a", "password": password})
    assert response.status_code == 200
    assert "已锁定" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.LOCKED).count() == 1


def test_admin_unlocks(world, login, password):
    User.objects.filter(username="staff_b").update(locked_until="2099-01-01T00:00:00Z")
    admin = login(world.admin)
    response = admin.post(f"/accounts/users/{world.staff_b.pk}/unlock/")
    assert response.status_code == 302
    assert not User.objects.get(username="staff_b").is_locked
    assert Client().post("/accounts/login/", {"username": "staff_b", "password": password}).status_code == 302


def test_non_admin_cannot_manage_accounts(world, login):
    c = login(world.head_a)
    assert c.get("/accounts/users/").status_code == 403
    assert c.post(f"/accounts/users/{world.staff_b.pk}/reset-password/").status_code == 403


def test_first_login_forces_password_change(world, client, password):
    make_user("newbie", world.unit_a, must_change_password=True)
    client.post("/accounts/login/", {"username": "newbie", "password": password})
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    weak = client.post(
        "/accounts/password/", {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 200
    assert "密码" in weak.content.decode()
    ok = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "Str0ng-Passw0rd!", "new_password2": "Str0ng-Passw0rd!"},
    )
    assert ok.status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.PASSWORD_CHANGE).exists()


@override_settings(SESSION_COOKIE_AGE=1, YISHI_SESSION_RENEW_SECONDS=0)
def test_idle_session_expires(world, login):
    c = login(world.staff_a)
    assert c.get("/").status_code == 200
    time.sleep(1.2)
    response = c.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_scope_staff_sees_own_unit_only(world):
    assert scope_unit_ids(world.staff_a, "view") == {world.unit_a.pk}
    assert scope_unit_ids(world.staff_a, "change") == set()


def test_scope_unit_head_reaches_subtree(world):
    assert scope_unit_ids(world.head_a, "view") == {world.unit_a.pk, world.unit_a_child.pk}


def test_scope_leader_reaches_assigned_subtree_and_admin_everything(world):
    assert world.unit_a.pk in scope_unit_ids(world.leader_a, "view")
    assert world.unit_b.pk not in scope_unit_ids(world.leader_a, "view")
    assert scope_unit_ids(world.first, "view") == set(Unit.objects.values_list("pk", flat=True))
    assert scope_unit_ids(world.admin, "view") is None


def test_scoped_queryset_hides_other_units(world):
    visible = set(Person.objects.visible_to(world.staff_b).values_list("name", flat=True))
    assert "宣传科员" not in visible and "信息科员" in visible


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert Person.objects.visible_to(AnonymousUser()).count() == 0


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_security_headers(client, db):
    response = client.get("/accounts/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
