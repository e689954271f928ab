"""The task ledger (台账): every piece of work, whatever raised it, with progress and supervision."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel, UnitScopedModel
from core.scoping import ScopedQuerySet
from ledger.choices import Grade, ReportKind, SourceKind, SupervisionLevel, SupervisionStatus, TaskStatus


class LedgerSettings(AuditedModel, models.Model):
    """One row of tunables. Lights: 蓝 normal, 黄 within `yellow_days` working days of the due date, 红 overdue."""

    yellow_days = models.PositiveSmallIntegerField("临期（黄灯）提前工作日", default=3)
    remind_days = models.CharField("提醒提前工作日", max_length=32, default="3,1", help_text="逗号分隔，如 3,1")
    escalate_after_days = models.PositiveSmallIntegerField("逾期几个工作日后报分管领导", default=1)

    class Meta:
        verbose_name = "台账设置"

    def __str__(self) -> str:
        return "台账设置"

    CACHE_KEY = "ledger:settings"
    CACHE_SECONDS = 30  # other web processes (with a per-process cache) see a change within this

    @classmethod
    def current(cls) -> LedgerSettings:
        """The one settings row (or the defaults). Every ledger page reads it, so it is cached;
        saving the row clears the cache (ledger.apps connects the signal)."""
        from django.core.cache import cache

        obj = cache.get(cls.CACHE_KEY)
        if obj is None:
            obj = cls.objects.first() or cls(yellow_days=3, remind_days="3,1", escalate_after_days=1)
            cache.set(cls.CACHE_KEY, obj, cls.CACHE_SECONDS)
        return obj

    @classmethod
    def forget(cls, **_: Any) -> None:
        from django.core.cache import cache
        from django.db import transaction

        cache.delete(cls.CACHE_KEY)
        # Again after commit: a reader between the save and the commit may have cached the old row.
        transaction.on_commit(lambda: cache.delete(cls.CACHE_KEY))

    def remind_offsets(self) -> list[int]:
        return sorted({int(x) for x in self.remind_days.replace("，", ",").split(",") if x.strip().isdigit()},
                      reverse=True)


class ResponseRule(AuditedModel, models.Model):
    """A supervision response rule in working days, e.g. Shanxi's 13710: 1 签收, 3 措施, 7 办结."""

    name = models.CharField("名称", max_length=50, unique=True)
    ack_days = models.PositiveSmallIntegerField("签收时限（工作日）", default=1)
    measures_days = models.PositiveSmallIntegerField("报送措施时限（工作日）", default=3)
    close_days = models.PositiveSmallIntegerField("一般事项办结时限（工作日）", default=7)
    major_close_days = models.PositiveSmallIntegerField(
        "重大事项办结时限（工作日）", default=22, help_text="重大事项另按报送的时间表推进"
    )
    is_default = models.BooleanField("默认规则", default=False)

    class Meta:
        verbose_name = "督办响应规则"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Task(AuditedModel, UnitScopedModel):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="tasks", verbose_name="责任单位")
    owner = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks", verbose_name="责任人"
    )
    assist_units = models.ManyToManyField("org.Unit", blank=True, related_name="assisted_tasks", verbose_name="配合单位")
    title = models.CharField("任务", max_length=300)
    description = models.TextField("说明", blank=True)
    source_kind = models.CharField("来源", max_length=16, choices=SourceKind.choices, default=SourceKind.MANUAL)
    # What raised the task, for modules other than plans (risks, incidents, findings …).
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    plan = models.ForeignKey("plans.Plan", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    section = models.ForeignKey("plans.Section", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    item = models.ForeignKey("plans.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    obligation = models.ForeignKey(
        "plans.Obligation", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    origin = models.CharField("出处", max_length=300, blank=True, help_text="如：工作要点第3项")
    quote = models.TextField("原文", blank=True)
    period_label = models.CharField("周期", max_length=32, blank=True)
    period_start = models.DateField("周期开始", null=True, blank=True)
    due_date = models.DateField("完成时限", db_index=True)
    target_count = models.PositiveIntegerField("目标次数", default=1)
    done_count = models.PositiveIntegerField("已完成次数", default=0)
    status = models.CharField("状态", max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED)
    latest_progress = models.CharField("最新进展", max_length=300, blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="确认人",
    )
    supervising_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervised_tasks",
        verbose_name="分管领导",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    # Optimistic locking: every write bumps it; a write based on an older version is refused.
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version", "latest_progress")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "任务"
        verbose_name_plural = "任务"
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["unit", "status", "due_date"]),
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["plan", "due_date"]),
            models.Index(fields=["source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField("类型", max_length=16, choices=ReportKind.choices, default=ReportKind.PROGRESS)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="报送人")
    text = models.TextField("内容")
    increment = models.PositiveIntegerField("本次完成次数", default=0)
    files = models.ManyToManyField("core.StoredFile", blank=True, related_name="+", verbose_name="佐证材料")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "进展报告"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.text[:30]}"


class TaskNotice(models.Model):
    """Which reminder or escalation was sent for a task, so the daily job never sends it twice."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=32)  # remind:3, remind:1, overdue, escalate
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "kind"], name="tasknotice_once")]

    def __str__(self) -> str:
        return f"{self.task_id}:{self.kind}"


class Supervision(AuditedModel, TimeStampedModel):
    """A leader's 督办 order on a task, run under a response rule with working-day deadlines."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="supervisions")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="督办领导")
    order = models.TextField("督办意见")
    level = models.CharField("事项类别", max_length=16, choices=SupervisionLevel.choices, default=SupervisionLevel.ORDINARY)
    rule = models.ForeignKey(ResponseRule, on_delete=models.PROTECT, related_name="+", verbose_name="响应规则")
    issued_on = models.DateField("交办日期")
    ack_due = models.DateField("签收时限")
    measures_due = models.DateField("报送措施时限")
    close_due = models.DateField("办结时限")
    reply_deadline = models.DateField("回复期限")
    status = models.CharField("状态", max_length=16, choices=SupervisionStatus.choices, default=SupervisionStatus.ISSUED)
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    measures_at = models.DateTimeField("报措施时间", null=True, blank=True)
    closing_at = models.DateTimeField("申请办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    grade = models.CharField("评定", max_length=16, choices=Grade.choices, blank=True)
    grade_comment = models.TextField("评定意见", blank=True)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version")
    scope_unit_field = "task__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return f"督办：{self.task}"


class SupervisionEvent(models.Model):
    supervision = models.ForeignKey(Supervision, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("环节", max_length=16, choices=SupervisionStatus.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("内容", blank=True)
    files = models.ManyToManyField("core.StoredFile", blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class Duty(AuditedModel, UnitScopedModel):
    """A daily or continuous duty from the plan (7×24 monitoring, daily checks): a roster and a log."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="duties", verbose_name="责任单位")
    title = models.CharField("值守事项", max_length=300)
    plan = models.ForeignKey("plans.Plan", null=True, blank=True, on_delete=models.CASCADE, related_name="duties")
    obligation = models.ForeignKey(
        "plans.Obligation", null=True, blank=True, on_delete=models.SET_NULL, related_name="duties"
    )
    quote = models.TextField("原文", blank=True)
    frequency = models.CharField("频次", max_length=16)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "值守事项"
        ordering = ["unit__path", "id"]

    def __str__(self) -> str:
        return self.title


class DutyShift(models.Model):
    duty = models.ForeignKey(Duty, on_delete=models.CASCADE, related_name="shifts")
    date = models.DateField("日期")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name="值班人")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["duty", "date", "person"], name="dutyshift_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.person}"


class DutyLog(models.Model):
    duty = models.ForeignKey(Duty, on_delete=models.CASCADE, related_name="logs")
    date = models.DateField("日期")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("记录")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.text[:20]}"
