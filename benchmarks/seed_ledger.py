"""Seed a benchmark database with the demo organ, the demo plan and tasks up to a total (100,000).

Usage: DATABASE_URL=... python benchmarks/seed_ledger.py 100000
"""

from __future__ import annotations

import datetime
import random
import sys

import _django

_django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.audit import system_context  # noqa: E402
from ledger.choices import SourceKind, TaskStatus  # noqa: E402
from ledger.models import Task  # noqa: E402
from org.models import Unit  # noqa: E402
from plans.models import Obligation, Plan  # noqa: E402


def main(total: int) -> None:
    call_command("load_demo", quiet=True)
    plan = Plan.objects.first()
    obligations = list(Obligation.objects.filter(plan=plan).select_related("item"))
    units = list(Unit.objects.filter(kind__in=["section", "office", "affiliate", "leadership"]))
    rng = random.Random(7)
    today = timezone.localdate()
    have = Task.objects.count()
    statuses = [TaskStatus.DONE] * 6 + [TaskStatus.IN_PROGRESS] * 2 + [TaskStatus.NOT_STARTED] * 2
    batch: list[Task] = []
    with system_context(via="command"):
        for i in range(have, total):
            ob = obligations[i % len(obligations)]
            due = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randint(0, 364))
            status = rng.choice(statuses)
            batch.append(Task(
                unit=units[i % len(units)], title=f"{ob.activity}（批量{i}）", source_kind=SourceKind.PLAN, plan=plan,
                section_id=ob.item.section_id, item=ob.item, obligation=ob, quote=ob.quote, due_date=due,
                period_label=f"{due.year}年{due.month}月", status=status,
                completed_at=(timezone.make_aware(datetime.datetime.combine(due, datetime.time(12)))
                              if status == TaskStatus.DONE else None),
            ))
            if len(batch) == 5000:
                with transaction.atomic():
                    Task.objects.bulk_create(batch)
                batch = []
        if batch:
            with transaction.atomic():
                Task.objects.bulk_create(batch)
    print(f"tasks: {Task.objects.count()} (today {today})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
