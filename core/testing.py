"""Shared test helpers: an org tree with users in every role, and a real background worker.

Used by every app's tests (fixtures are registered in the root conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from core.roles import Role

TEST_PASSWORD = "Yishi-Test-2026!"  # noqa: S105 - test accounts only
BASE_DIR = Path(settings.BASE_DIR)


def make_user(username: str, unit: Any, *, roles: list[tuple[str, Any]] | None = None, name: str = "", **extra: Any) -> Any:
    """A user with a Person in `unit` and the given (role, unit) assignments, ready to log in."""
    from core.models import User
    from org.models import Person, RoleAssignment

    user = User.objects.create_user(
        username=username,
        password=TEST_PASSWORD,
        display_name=name or username,
        must_change_password=extra.pop("must_change_password", False),
        **extra,
    )
    person = Person.objects.create(user=user, name=name or username, unit=unit)
    for role, role_unit in roles or []:
        RoleAssignment.objects.create(person=person, role=role, unit=role_unit)
    return user


@dataclass
class OrgWorld:
    """A small organ: root → 党组, 办公室, 宣传科, 信息科 (宣传科 has 网络组 below it)."""

    root: Any
    party: Any
    office: Any
    unit_a: Any
    unit_a_child: Any
    unit_b: Any
    users: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["users"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def build_org_world() -> OrgWorld:
    from org.choices import UnitKind
    from org.models import Unit, UnitAlias

    root = Unit.objects.create(name="测试机关", kind=UnitKind.ORGAN, code="T0")
    party = Unit.objects.create(name="机关党组", kind=UnitKind.LEADERSHIP, parent=root, code="T1")
    office = Unit.objects.create(name="办公室", kind=UnitKind.OFFICE, parent=root, code="T2", is_coordinator=True)
    unit_a = Unit.objects.create(name="宣传科", kind=UnitKind.SECTION, parent=root, code="T3")
    unit_a_child = Unit.objects.create(name="网络组", kind=UnitKind.OTHER, parent=unit_a, code="T31")
    unit_b = Unit.objects.create(name="信息科", kind=UnitKind.SECTION, parent=root, code="T4")
    UnitAlias.objects.create(name="党组", unit=party)
    UnitAlias.objects.create(name="各科室", unit_kind=UnitKind.SECTION)
    world = OrgWorld(root, party, office, unit_a, unit_a_child, unit_b)
    world.users = {
        "admin": make_user("admin", office, roles=[(Role.SYSADMIN, root)], name="管理员"),
        "first": make_user("first", party, roles=[(Role.FIRST_RESPONSIBLE, root)], name="书记"),
        "leader_a": make_user("leader_a", party, roles=[(Role.DIRECT_RESPONSIBLE, unit_a)], name="分管领导甲"),
        "head_a": make_user("head_a", unit_a, roles=[(Role.UNIT_HEAD, unit_a)], name="宣传科长"),
        "staff_a": make_user("staff_a", unit_a, name="宣传科员"),
        "staff_a_child": make_user("staff_a_child", unit_a_child, name="网络组员"),
        "head_b": make_user("head_b", unit_b, roles=[(Role.UNIT_HEAD, unit_b)], name="信息科长"),
        "staff_b": make_user("staff_b", unit_b, name="信息科员"),
    }
    return world


def worker_env(backend: str | None = None) -> dict[str, str]:
    """Environment for a subprocess that must see the test database and the same queue."""
    db = connection.settings_dict
    env = dict(os.environ)
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        user = db.get("USER") or ""
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        env["DATABASE_URL"] = f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    env["YISHI_TASK_BACKEND"] = backend or settings.YISHI_TASK_BACKEND
    env["YISHI_VAR_DIR"] = str(settings.VAR_DIR)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def worker_command(backend: str) -> list[str]:
    manage = str(BASE_DIR / "manage.py")
    if backend == "redis":
        return [sys.executable, manage, "rqworker", "default", "notifications", "--job-class", "django_tasks_rq.Job",
                "--with-scheduler", "--burst"]
    return [sys.executable, manage, "db_worker", "--queue-name", "*", "--interval", "0.1", "--no-startup-delay"]


@contextlib.contextmanager
def running_worker(backend: str = "database", extra_env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """Start a real worker process against the test database; stop it afterwards."""
    env = {**worker_env(backend), **(extra_env or {})}
    cmd = worker_command(backend)
    if backend == "redis":
        cmd = [c for c in cmd if c != "--burst"]
    log = open(settings.VAR_DIR / f"worker-{backend}.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=BASE_DIR)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_until(predicate: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll until predicate() is truthy; fail with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001
        return False
