from __future__ import annotations

import hashlib
import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from core.audit import audit_context, system_user
from core.models import NotificationPreference, User
from org import demo
from org.models import Person, RoleAssignment, Unit, UnitAlias


def demo_password() -> str:
    """YISHI_DEMO_PASSWORD, else one generated once and kept in var/demo_password."""
    value = os.environ.get("YISHI_DEMO_PASSWORD", "").strip()
    if value:
        return value
    path = settings.VAR_DIR / "demo_password"
    if not path.exists():
        path.write_text("Demo-" + secrets.token_urlsafe(8))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = "载入演示数据（市政府机关、科室、人员与角色）；可重复运行"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="不打印演示账户")

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_password()
        with transaction.atomic(), audit_context(actor=system_user(), via="command"):
            counts = self._load(password)
        with transaction.atomic():
            from plans.demo import load_demo_plan

            admin = User.objects.get(username="admin")
            plan = load_demo_plan(admin, Unit.objects.get(code=demo.ORGAN["code"]))
        # Each module's demo records, in dependency order (meetings put open risks on their agenda).
        from org.demo_responsibility import load_demo_responsibility
        from risks.demo import load_demo_risks
        from risks.meetings.demo import load_demo_meetings

        for load in (load_demo_responsibility, load_demo_risks, load_demo_meetings):
            with transaction.atomic():
                load(admin)
        self._load_opinion()
        lines = [
            f"演示数据已就绪：{counts['units']} 个单位，{counts['people']} 名人员"
            + (f"；已导入《{plan.title}》。" if plan else "。"),
            f"演示账户统一密码：{password}",
        ]
        lines += [f"  {username:10} {label}" for username, label in demo.SHOWCASE]
        (settings.VAR_DIR / "demo_accounts.txt").write_text("\n".join(lines) + "\n")
        if not options["quiet"]:
            self.stdout.write("\n".join(lines))

    def _load_opinion(self) -> None:
        """Public-media monitoring: the sentiment baseline first (the demo items are scored with it),
        then sources, rules and items through the real pipeline, then alerts and incidents."""
        from opinion.demo import load_demo_opinion
        from opinion.demo_incidents import load_demo_incidents
        from opinion.sentiment_service import ensure_baseline_model

        ensure_baseline_model()
        for load in (load_demo_opinion, load_demo_incidents):
            with transaction.atomic(), audit_context(actor=system_user(), via="command"):
                load()

    def _load(self, password: str) -> dict[str, int]:
        units: dict[str, Unit] = {}
        root = Unit.objects.filter(code=demo.ORGAN["code"]).first() or Unit.objects.create(
            code=demo.ORGAN["code"], name=demo.ORGAN["name"], kind=demo.ORGAN["kind"]
        )
        units[root.code] = root
        for order, spec in enumerate(demo.UNITS):
            unit = Unit.objects.filter(code=spec["code"]).first()
            if unit is None:
                unit = Unit.objects.create(
                    code=spec["code"],
                    name=spec["name"],
                    short_name=spec.get("short", ""),
                    kind=spec["kind"],
                    parent=root,
                    sort_order=order,
                    is_coordinator=spec.get("coordinator", False),
                )
            units[spec["code"]] = unit
        for alias, target in demo.ALIASES.items():
            if UnitAlias.objects.filter(name=alias).exists():
                continue
            if target.startswith("kind:"):
                UnitAlias.objects.create(name=alias, unit_kind=target.removeprefix("kind:"))
            else:
                UnitAlias.objects.create(name=alias, unit=units[target])
        # One hash for the shared demo password (a fixed salt makes it comparable on re-runs):
        # hashing it per account took ~0.4 s each, most of `make run`'s start-up.
        hashed = make_password(password, salt="yishidemo" + hashlib.sha256(password.encode()).hexdigest()[:12])
        for order, (username, name, unit_code, title, roles) in enumerate(demo.PEOPLE):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, display_name=name, must_change_password=False, password=hashed)
                user.save()
                NotificationPreference.objects.create(user=user)
            elif user.password != hashed:
                user.password = hashed
                user.save()
            person = Person.objects.filter(user=user).first() or Person.objects.create(
                user=user, name=name, unit=units[unit_code], title=title, sort_order=order,
                email=f"{username}@demo.yishi.local",
            )
            for role, role_unit in roles:
                RoleAssignment.objects.get_or_create(person=person, role=role, unit=units[role_unit])
        return {"units": Unit.objects.count(), "people": Person.objects.count()}
