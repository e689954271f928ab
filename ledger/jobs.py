"""The ledger's periodic job: reminders before the due date, overdue notices, escalation to the
leader, and missed supervision deadlines — all on the working-day calendar, all through notify().

`daily_reminders` runs every morning (see `periodic_jobs` in ledger/apps.py). On a day off it does
nothing; what fell due over a holiday is picked up on the first working day after it. For each kind
of notice it asks the database only for the tasks whose due date falls in that notice's window
(a range on the indexed `due_date`), so a ledger of 100,000 tasks costs a few index range scans.

Exactly once: each notice is claimed by inserting a TaskNotice row (unique per task and kind) before
it is sent, in the same transaction, so a second run — or two runs at once — sends nothing twice.
Reminder and overdue kinds carry the due date they were sent for (`remind:3@20261015`,
`overdue@20261015`, `escalate@20261015`): when a task's deadline is moved, it is reminded afresh.
Supervision kinds are `sup<id>:ack`, `sup<id>:measures`, `sup<id>:close`, `sup<id>:reply`.

A recipient with several tasks in one kind of notice gets one message listing them, not one each.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core import workdays
from core.audit import system_context
from core.models import User
from core.notify import notify
from core.tasking import task
from ledger.choices import OPEN_STATUSES, SupervisionStatus, TaskStatus
from ledger.models import LedgerSettings, Supervision, Task, TaskNotice
from ledger.supervision import Directory, cn_date, supervision_url, task_url

# How many working days back a missed run (server down, scheduler stopped) is caught up.
CATCH_UP_WORKDAYS = 5
BATCH = 500
LIST_MAX = 10  # tasks listed in one message; the rest are counted
# Reminders and overdue notices go to whoever is doing the work; tasks waiting for the unit head's
# confirmation are done as far as the owner is concerned (they still escalate when left overdue).
WORKING_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)


# --- the date windows -------------------------------------------------------------------------------


def ahead_window(today: datetime.date, low: int, high: int) -> tuple[datetime.date, datetime.date]:
    """[lo, hi) of due dates D with low <= workdays_between(today, D) <= high (today a working day)."""
    lo = today if low <= 0 else workdays.add_workdays(today, low)
    return lo, workdays.add_workdays(today, high + 1)


def late_window(today: datetime.date, low: int, high: int) -> tuple[datetime.date, datetime.date]:
    """[lo, hi) of due dates D with low <= workdays_between(D, today) <= high (low >= 1)."""
    return workdays.add_workdays(today, -high), workdays.add_workdays(today, -(low - 1))


# --- sending ----------------------------------------------------------------------------------------


@dataclass
class Digest:
    """What one recipient is told in one kind of notice."""

    lines: list[str] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


def _claim(task_id: int, kind: str) -> bool:
    """Insert the notice row; False when it is already there (sent before, or by a parallel run)."""
    try:
        with transaction.atomic():
            TaskNotice.objects.create(task_id=task_id, kind=kind)
    except IntegrityError:
        return False
    return True


def _existing(task_ids: list[int], kinds: Iterable[str]) -> set[tuple[int, str]]:
    kinds = sorted(set(kinds))
    return set(TaskNotice.objects.filter(task_id__in=task_ids, kind__in=kinds).values_list("task_id", "kind"))


def _batches(qs: models.QuerySet) -> Iterable[list[Task]]:
    """The queryset in primary-key batches (keyset pagination: no growing OFFSET)."""
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _send_digests(
    digests: dict[int, Digest],
    users: dict[int, User],
    *,
    single: Callable[[Task], str],
    many: Callable[[int], str],
    footer: str,
    level: str,
) -> int:
    sent = 0
    for user_id, digest in digests.items():
        user = users.get(user_id)
        if user is None:
            continue
        count = len(digest.tasks)
        lines = digest.lines[:LIST_MAX]
        if count > LIST_MAX:
            lines.append(f"……等共 {count} 项")
        body = "\n".join([*lines, "", footer]).strip()
        if count == 1:
            title, url = single(digest.tasks[0]), task_url(digest.tasks[0])
        else:
            title, url = many(count), _list_url()
        notify([user], title, body, url=url, level=level, category="task")
        sent += 1
    return sent


def _list_url() -> str:
    try:
        return reverse("ledger:task_list")
    except NoReverseMatch:  # the ledger UI may not be mounted
        return ""


def _task_line(task: Task, extra: str) -> str:
    return f"· {task.title}（{task.unit.name}，完成时限 {cn_date(task.due_date)}，{extra}）"


def _process(
    qs: models.QuerySet,
    *,
    kind_of: Callable[[Task], str],
    recipients: Callable[[Task], list[User]],
    line: Callable[[Task], str],
    single: Callable[[Task], str],
    many: Callable[[int], str],
    footer: str,
    level: str,
) -> int:
    """Claim and send one kind of notice for every task of `qs` that has not had it. Returns tasks notified."""
    notified = 0
    for batch in _batches(qs):
        kinds = {t.pk: kind_of(t) for t in batch}
        done = _existing([t.pk for t in batch], kinds.values())
        todo = [t for t in batch if (t.pk, kinds[t.pk]) not in done]
        if not todo:
            continue
        with transaction.atomic():
            digests: dict[int, Digest] = defaultdict(Digest)
            users: dict[int, User] = {}
            for t in todo:
                targets = recipients(t)
                if not targets:
                    continue  # nobody to tell yet; tried again on the next run
                if not _claim(t.pk, kinds[t.pk]):
                    continue
                notified += 1
                for user in targets:
                    users[user.pk] = user
                    digests[user.pk].tasks.append(t)
                    digests[user.pk].lines.append(line(t))
            _send_digests(digests, users, single=single, many=many, footer=footer, level=level)
    return notified


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the kinds of notice ----------------------------------------------------------------------------


def _tasks(statuses: Iterable[str], lo: datetime.date, hi: datetime.date) -> models.QuerySet:
    return Task.objects.filter(status__in=list(statuses), due_date__gte=lo, due_date__lt=hi).select_related(
        "unit", "owner__user", "supervising_leader"
    )


def send_reminders(today: datetime.date, offsets: list[int], directory: Directory) -> int:
    """Remind owners N working days before the due date, for each N of the settings."""
    total = 0
    previous = -1
    for offset in sorted(set(offsets)):
        lo, hi = ahead_window(today, previous + 1, offset)
        previous = offset
        left: dict[datetime.date, int] = {}

        def remaining(t: Task, left: dict = left) -> int:
            if t.due_date not in left:
                left[t.due_date] = max(workdays.workdays_between(today, t.due_date), 0)
            return left[t.due_date]

        def when(t: Task, remaining: Callable = remaining) -> str:
            n = remaining(t)
            return "今日到期" if n == 0 else f"还有 {n} 个工作日到期"

        total += _process(
            _tasks(WORKING_STATUSES, lo, hi),
            kind_of=lambda t, offset=offset: f"remind:{offset}@{t.due_date:%Y%m%d}",
            recipients=directory.owner_or_heads,
            line=lambda t, when=when: _task_line(t, when(t)),
            single=lambda t, when=when: f"任务提醒：「{_short(t.title)}」{when(t)}",
            many=lambda n: f"任务提醒：{n} 项任务即将到期",
            footer="请按时完成并在台账中报送进展、上传佐证材料。",
            level="reminder",
        )
    return total


def send_overdue(today: datetime.date, directory: Directory, escalate_after: int) -> int:
    """On the first working day after the due date: tell the owner the task is overdue."""
    lo, hi = late_window(today, 1, 1 + CATCH_UP_WORKDAYS)
    then = (
        f"逾期超过 {escalate_after} 个工作日仍未完成的，将报分管领导。"
        if escalate_after
        else "逾期事项已同时报分管领导。"
    )
    return _process(
        _tasks(WORKING_STATUSES, lo, hi),
        kind_of=lambda t: f"overdue@{t.due_date:%Y%m%d}",
        recipients=directory.owner_or_heads,
        line=lambda t: _task_line(t, f"已逾期 {workdays.workdays_between(t.due_date, today)} 个工作日"),
        single=lambda t: f"任务逾期：「{_short(t.title)}」已超过完成时限",
        many=lambda n: f"任务逾期：{n} 项任务已超过完成时限",
        footer=f"请尽快办理并报送进展。{then}",
        level="warning",
    )


def send_escalations(today: datetime.date, directory: Directory, escalate_after: int) -> int:
    """After `escalate_after` working days overdue: tell the supervising leader."""
    first = escalate_after + 1
    lo, hi = late_window(today, first, first + CATCH_UP_WORKDAYS)

    def line(t: Task) -> str:
        owner = t.owner.name if t.owner_id else "未指定责任人"
        late = workdays.workdays_between(t.due_date, today)
        return _task_line(t, f"{owner}，{t.get_status_display()}，已逾期 {late} 个工作日")

    return _process(
        _tasks(OPEN_STATUSES, lo, hi),
        kind_of=lambda t: f"escalate@{t.due_date:%Y%m%d}",
        recipients=directory.escalation_targets,
        line=line,
        single=lambda t: f"逾期上报：{t.unit.name}「{_short(t.title)}」逾期未完成",
        many=lambda n: f"逾期上报：{n} 项任务逾期未完成",
        footer="以上任务已超过完成时限仍未完成，请督促办理，必要时下达督办。",
        level="urgent",
    )


SUPERVISION_STAGES = (
    # kind, label, deadline field, statuses in which the stage is still owed
    ("ack", "签收", "ack_due", (SupervisionStatus.ISSUED,)),
    ("measures", "报送措施", "measures_due", (SupervisionStatus.ISSUED, SupervisionStatus.ACKNOWLEDGED)),
    ("close", "申请办结", "close_due", (SupervisionStatus.ISSUED, SupervisionStatus.ACKNOWLEDGED,
                                     SupervisionStatus.MEASURES, SupervisionStatus.RETURNED)),
    ("reply", "回复", "reply_deadline", (SupervisionStatus.ISSUED, SupervisionStatus.ACKNOWLEDGED,
                                       SupervisionStatus.MEASURES, SupervisionStatus.RETURNED)),
)


def send_supervision_misses(today: datetime.date, directory: Directory) -> int:
    """A supervision stage (签收 / 报送措施 / 申请办结 / 回复) past its deadline: tell the leader."""
    missed = models.Q()
    for _, _, deadline, statuses in SUPERVISION_STAGES:
        missed |= models.Q(**{f"{deadline}__lt": today, "status__in": list(statuses)})
    sent = 0
    qs = Supervision.objects.filter(missed).select_related(
        "task__unit", "task__owner__user", "task__supervising_leader", "leader"
    )
    for batch in _batches(qs):
        kinds = {(s.pk, key): f"sup{s.pk}:{key}" for s in batch for key, *_ in SUPERVISION_STAGES}
        done = {kind for _, kind in _existing([s.task_id for s in batch], kinds.values())}
        for sup in batch:
            for key, label, deadline, statuses in SUPERVISION_STAGES:
                due = getattr(sup, deadline)
                if key == "reply" and sup.reply_deadline == sup.close_due:
                    continue  # the same deadline as 申请办结: one notice is enough
                kind = kinds[(sup.pk, key)]
                if due >= today or sup.status not in statuses or kind in done:
                    continue
                with transaction.atomic():
                    if not _claim(sup.task_id, kind):
                        continue
                    late = workdays.workdays_between(due, today)
                    targets = [sup.leader, *directory.handlers(sup.task)]
                    notify(
                        [u for u in targets if u.is_active],
                        f"督办超期：「{_short(sup.task.title)}」未按期{label}",
                        f"{sup.task.unit.name}承办的督办事项「{sup.task.title}」{label}时限为 {cn_date(due)}，"
                        f"已超期 {late} 个工作日，当前状态：{sup.get_status_display()}。",
                        url=supervision_url(sup), level="urgent", category="supervision",
                    )
                    sent += 1
    return sent


# --- the job ----------------------------------------------------------------------------------------


def run_daily_reminders(today: datetime.date, settings: LedgerSettings | None = None) -> dict[str, Any]:
    """Everything the morning job sends for `today`; nothing on a day off."""
    if not workdays.is_workday(today):
        return {"date": today.isoformat(), "workday": False}
    settings = settings or LedgerSettings.current()
    directory = Directory()
    escalate_after = settings.escalate_after_days
    return {
        "date": today.isoformat(),
        "workday": True,
        "remind": send_reminders(today, settings.remind_offsets(), directory),
        "overdue": send_overdue(today, directory, escalate_after),
        "escalate": send_escalations(today, directory, escalate_after),
        "supervision": send_supervision_misses(today, directory),
    }


@task()
def daily_reminders(day: str | None = None) -> dict[str, Any]:
    """Every morning: reminders, overdue notices, escalations, missed supervision deadlines.

    `day` (YYYY-MM-DD) replays a given day; by default today in Beijing time.
    """
    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    with system_context():
        return run_daily_reminders(today)
