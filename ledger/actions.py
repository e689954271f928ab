"""Every write to the ledger goes through here: one transaction, audited, version-checked.

`create_task` is THE service function other modules (risks, incidents, inspection findings) call to
raise work; plan import calls `bulk_create_tasks` for its generated tasks.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from core import audit
from core.models import AuditAction, StoredFile
from core.roles import LEADING_ROLES
from core.scoping import has_role, is_admin, unit_in_scope
from ledger.choices import OPEN_STATUSES, Light, ReportKind, SourceKind, TaskStatus
from ledger.models import LedgerSettings, ProgressReport, Task


class ConflictError(ValidationError):
    """Someone else changed the record since it was loaded (optimistic locking)."""

    def __init__(self) -> None:
        super().__init__("该任务已被他人修改，请刷新页面查看最新内容后再提交", code="conflict")


# --- lights ---------------------------------------------------------------------------------------


def yellow_cutoff(today: datetime.date | None = None, settings: LedgerSettings | None = None) -> datetime.date:
    """Tasks due on or before this date (and not yet late) show yellow."""
    from core import workdays

    today = today or timezone.localdate()
    days = (settings or LedgerSettings.current()).yellow_days
    return workdays.add_workdays(today, days) if days else today


def light_of(task: Task, today: datetime.date, cutoff: datetime.date) -> str:
    if task.status == TaskStatus.DONE:
        return Light.GREEN
    if task.due_date < today:
        return Light.RED
    if task.due_date <= cutoff:
        return Light.YELLOW
    return Light.BLUE


def annotate_lights(tasks: Iterable[Task], today: datetime.date | None = None) -> list[Task]:
    """Set `.light` and `.is_overdue` on each task (one calendar computation for the whole page)."""
    today = today or timezone.localdate()
    cutoff = yellow_cutoff(today)
    result = []
    for task in tasks:
        task.light = light_of(task, today, cutoff)
        task.is_overdue = task.light == Light.RED
        result.append(task)
    return result


def light_filter(light: str, today: datetime.date | None = None) -> models.Q:
    """The same rule as light_of, as a query filter."""
    today = today or timezone.localdate()
    open_ = models.Q(status__in=OPEN_STATUSES)
    if light == Light.GREEN:
        return models.Q(status=TaskStatus.DONE)
    if light == Light.RED:
        return open_ & models.Q(due_date__lt=today)
    cutoff = yellow_cutoff(today)
    if light == Light.YELLOW:
        return open_ & models.Q(due_date__gte=today, due_date__lte=cutoff)
    return open_ & models.Q(due_date__gt=cutoff)


# --- permissions ----------------------------------------------------------------------------------


def can_work_on(user: Any, task: Task) -> bool:
    """Report progress: people of the owning unit (or its supervisors)."""
    return unit_in_scope(user, task.unit_id, "work")


def can_manage(user: Any, task: Task) -> bool:
    """Confirm, return, edit: unit heads and leaders over the owning unit, and administrators."""
    return is_admin(user) or (has_role(user, *LEADING_ROLES) and unit_in_scope(user, task.unit_id, "change"))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


# --- locking --------------------------------------------------------------------------------------


def _locked(task: Task, expected_version: int | None) -> Task:
    """Re-read the row under a lock and refuse if it moved on since the caller loaded it."""
    current = Task.objects.select_for_update().get(pk=task.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError()
    return current


def _save(task: Task, **fields: Any) -> Task:
    for name, value in fields.items():
        setattr(task, name, value)
    task.version += 1
    task.save()
    return task


# --- creating -------------------------------------------------------------------------------------


def create_task(
    *,
    unit: Any,
    title: str,
    due_date: datetime.date,
    acting_user: Any,
    owner: Any = None,
    description: str = "",
    source: models.Model | None = None,
    source_kind: str = SourceKind.MANUAL,
    origin: str = "",
    quote: str = "",
    target_count: int = 1,
    assist_units: Sequence[Any] = (),
    supervising_leader: Any = None,
    check_scope: bool = True,
) -> Task:
    """Raise one task in the ledger. Modules pass `source` (their risk, incident, finding …)."""
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "请填写任务名称"})
    if target_count < 1:
        raise ValidationError({"target_count": "目标次数至少为 1"})
    if check_scope:
        _require(unit_in_scope(acting_user, unit.pk, "change"), "无权向该单位交办任务")
    if owner is not None and owner.unit_id != unit.pk:
        raise ValidationError({"owner": "责任人须为责任单位的人员"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        task = Task.objects.create(
            unit=unit,
            owner=owner,
            title=title[:300],
            description=description,
            source_kind=source_kind,
            source_type=ContentType.objects.get_for_model(source) if source is not None else None,
            source_id=source.pk if source is not None else None,
            origin=origin[:300],
            quote=quote,
            due_date=due_date,
            target_count=target_count,
            supervising_leader=supervising_leader,
            created_by=acting_user if getattr(acting_user, "pk", None) else None,
        )
        if assist_units:
            task.assist_units.set(assist_units)
    return task


def bulk_create_tasks(tasks: list[Task], assists: dict[int, list[int]] | None = None, *, summary: str) -> int:
    """Write many generated tasks at once (plan import) and record one audit entry for the batch.

    `assists` maps an index into `tasks` to the ids of its assisting units.
    """
    with transaction.atomic():
        created = Task.objects.bulk_create(tasks, batch_size=1000)
        if assists:
            through = Task.assist_units.through
            rows = [
                through(task_id=created[i].pk, unit_id=unit_id)
                for i, unit_ids in assists.items()
                for unit_id in unit_ids
            ]
            through.objects.bulk_create(rows, batch_size=2000)
        audit.record(AuditAction.CREATE, object_type="ledger.task", object_repr=summary[:255],
                     changes={"count": len(created)})
    return len(created)


# --- progress and review --------------------------------------------------------------------------


def report_progress(
    task: Task,
    *,
    text: str,
    acting_user: Any,
    increment: int = 0,
    files: Sequence[StoredFile] = (),
    request_completion: bool = False,
    expected_version: int | None = None,
) -> ProgressReport:
    """A progress report with evidence; optionally asks the unit head to confirm completion."""
    _require(can_work_on(acting_user, task), "无权报送该任务的进展")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请填写进展情况"})
    if increment < 0:
        raise ValidationError({"increment": "完成次数不能为负"})
    if task.status == TaskStatus.DONE:
        raise ValidationError("任务已完成，不能再报送进展")
    if request_completion and not files and not task.reports.filter(files__isnull=False).exists():
        raise ValidationError({"files": "申请办结须上传佐证材料（会议纪要、照片、文件等）"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(task, expected_version)
        report = ProgressReport.objects.create(
            task=current,
            author=acting_user,
            text=text,
            increment=increment,
            kind=ReportKind.COMPLETION if request_completion else ReportKind.PROGRESS,
        )
        if files:
            report.files.set(files)
        status = TaskStatus.PENDING_REVIEW if request_completion else TaskStatus.IN_PROGRESS
        _save(
            current,
            done_count=min(current.done_count + increment, 10_000),
            status=status,
            latest_progress=text[:300],
        )
    task.refresh_from_db()
    return report


def confirm_completion(task: Task, *, acting_user: Any, comment: str = "", expected_version: int | None = None) -> Task:
    """The unit head (or a leader over the unit) confirms the task is done."""
    _require(can_manage(acting_user, task), "仅责任单位负责人或分管领导可确认完成")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(task, expected_version)
        if current.status == TaskStatus.DONE:
            raise ValidationError("任务已确认完成")
        if current.status != TaskStatus.PENDING_REVIEW:
            raise ValidationError("任务尚未申请办结，不能确认完成")
        ProgressReport.objects.create(task=current, author=acting_user, kind=ReportKind.CONFIRM, text=comment or "确认完成")
        _save(current, status=TaskStatus.DONE, completed_at=timezone.now(), confirmed_by=acting_user)
    return current


def complete_by_source(task: Task, *, acting_user: Any, text: str) -> Task:
    """Close a task its source module has fulfilled (a submitted self-check, say): the source
    record is the evidence, so no unit head is asked to confirm. Already done: left as it is."""
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(task, None)
        if current.status == TaskStatus.DONE:
            return current
        ProgressReport.objects.create(task=current, author=acting_user, kind=ReportKind.CONFIRM, text=text)
        _save(current, status=TaskStatus.DONE, completed_at=timezone.now(), latest_progress=text[:300],
              done_count=max(current.done_count, current.target_count))
    return current


def tasks_raised_by(source: models.Model) -> models.QuerySet[Task]:
    """The ledger tasks a module raised for one of its records (`create_task(source=…)`)."""
    return Task.objects.filter(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)


def return_task(task: Task, *, acting_user: Any, comment: str, expected_version: int | None = None) -> Task:
    """Send a completion request back with the reason."""
    _require(can_manage(acting_user, task), "仅责任单位负责人或分管领导可退回")
    if not (comment or "").strip():
        raise ValidationError({"comment": "请填写退回理由"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(task, expected_version)
        if current.status != TaskStatus.PENDING_REVIEW:
            raise ValidationError("只有待审核的任务可以退回")
        ProgressReport.objects.create(task=current, author=acting_user, kind=ReportKind.RETURN, text=comment.strip())
        _save(current, status=TaskStatus.IN_PROGRESS)
    return current


def update_task(task: Task, *, acting_user: Any, expected_version: int | None = None, **fields: Any) -> Task:
    """Edit title, description, due date, owner, target or supervising leader."""
    _require(can_manage(acting_user, task), "无权修改该任务")
    allowed = {"title", "description", "due_date", "owner", "target_count", "supervising_leader"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能修改：{'、'.join(sorted(unknown))}")
    owner = fields.get("owner")
    if owner is not None and owner.unit_id != task.unit_id:
        raise ValidationError({"owner": "责任人须为责任单位的人员"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(task, expected_version)
        return _save(current, **fields)
