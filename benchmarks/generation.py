"""Time the import-and-generate of a 24-item plan (median of 5 runs, each in a rolled-back transaction)."""

from __future__ import annotations

import datetime
import json
import statistics
import time
from pathlib import Path

import _django

_django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from core.models import User  # noqa: E402
from ledger.models import Task  # noqa: E402
from org.models import Unit  # noqa: E402
from plans import actions  # noqa: E402

DEMO = Path(_django.ROOT) / "plans" / "fixtures" / "demo_plan.txt"


def plan_text_24() -> str:
    """The demo plan (12 items) with its items repeated as items 13–24: a 24-item plan."""
    lines = DEMO.read_text(encoding="utf-8").splitlines()
    head, body = lines[:2], lines[2:]
    extra = []
    for line in body:
        if line[:1].isdigit():
            number, rest = line.split(".", 1)
            extra.append(f"{int(number) + 12}.{rest}")
        else:
            extra.append({"一": "五", "二": "六", "三": "七", "四": "八"}.get(line[0], line[0]) + line[1:])
    return "\n".join(head + body + extra)


class Rollback(Exception):
    pass


def main() -> None:
    call_command("load_demo", quiet=True)
    admin = User.objects.get(username="admin")
    root = Unit.objects.get(code="SZF")
    text = plan_text_24()
    timings, tasks = [], 0
    for _ in range(5):
        try:
            with transaction.atomic():
                draft = actions.start_import(acting_user=admin, unit=root, text=text, filename="24项.txt")
                assert len([i for s in draft.data["sections"] for i in s["items"]]) == 24
                t0 = time.perf_counter()
                result = actions.confirm_import(draft, acting_user=admin, from_date=datetime.date(2026, 1, 1))
                timings.append((time.perf_counter() - t0) * 1000)
                tasks = Task.objects.filter(plan=result.plan).count()
                raise Rollback
        except Rollback:
            pass
    print(json.dumps({"median_ms": statistics.median(timings), "tasks": tasks}))


if __name__ == "__main__":
    main()
