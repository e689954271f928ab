"""The demo plan (plans/fixtures/demo_plan.txt) imported through the normal import path, with some
history: most tasks due before today are done (on time or late), a few are overdue or in progress,
so the ledger, the lights and the leader overview have something to show."""

from __future__ import annotations

import datetime
import hashlib
import random
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit import audit_context
from ledger.choices import TaskStatus
from ledger.models import ProgressReport, Task
from org.models import Unit
from plans import actions
from plans.models import Plan

DEMO_PLAN = Path(__file__).resolve().parent / "fixtures" / "demo_plan.txt"


def load_demo_plan(admin: Any, root: Unit) -> Plan | None:
    """Import the demo plan once (matched by the file's hash); returns None if already there."""
    data = DEMO_PLAN.read_bytes()
    if Plan.objects.filter(source_sha256=hashlib.sha256(data).hexdigest()).exists():
        return None
    draft = actions.start_import(acting_user=admin, unit=root, data=data, filename="2026年市政府机关意识形态工作要点.txt")
    result = actions.confirm_import(draft, acting_user=admin, from_date=datetime.date(draft.data["year"], 1, 1))
    _add_history(result.plan, admin)
    return result.plan


def _add_history(plan: Plan, admin: Any) -> None:
    rng = random.Random(2026)  # the same demo on every machine
    today = timezone.localdate()
    past = list(Task.objects.filter(plan=plan, due_date__lt=today).select_related("unit"))
    reports = []
    with transaction.atomic(), audit_context(actor=admin, via="command"):
        for task in past:
            roll = rng.random()
            if roll < 0.78:
                late = rng.random() < 0.12
                done_on = task.due_date + datetime.timedelta(days=rng.randint(1, 6) if late else -rng.randint(0, 5))
                task.status, task.done_count = TaskStatus.DONE, task.target_count
                task.completed_at = timezone.make_aware(datetime.datetime.combine(done_on, datetime.time(16, 30)))
                task.confirmed_by, task.latest_progress = admin, "已按要求完成，佐证材料已归档"
            elif roll < 0.88:
                task.status, task.done_count = TaskStatus.IN_PROGRESS, max(task.target_count // 2, 0)
                task.latest_progress = "正在推进，部分材料待补充"
            else:
                continue  # left not started: overdue, red
            reports.append(ProgressReport(task=task, author=admin, text=task.latest_progress, increment=task.done_count))
        Task.objects.bulk_update(past, ["status", "done_count", "completed_at", "confirmed_by", "latest_progress"],
                                 batch_size=500)
        ProgressReport.objects.bulk_create(reports, batch_size=500)
