"""Incidents (舆情处置台账): 受理 → 研判 → 处置 → 反馈 → 已办结, with deadlines and the whole history."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import UnitScopedModel
from core.scoping import ScopedQuerySet
from opinion.models.alerts import LEVEL_COLORS, AlertLevel

_USER = settings.AUTH_USER_MODEL


class IncidentStage(models.TextChoices):
    ACCEPTED = "accepted", "受理"
    ANALYSING = "analysing", "研判"
    HANDLING = "handling", "处置"
    FEEDBACK = "feedback", "反馈"
    CLOSED = "closed", "已办结"


STAGE_ORDER: tuple[str, ...] = tuple(IncidentStage.values)
OPEN_STAGES = STAGE_ORDER[:-1]


class LogKind(models.TextChoices):
    OPEN = "open", "受理"
    ADVANCE = "advance", "流转"
    NOTE = "note", "备注"
    STATEMENT = "statement", "回应口径"
    TASK = "task", "交办任务"
    ESCALATE = "escalate", "超时升级"


class Incident(AuditedModel, UnitScopedModel):
    """One incident being handled; the unit is the handling unit (受理单位)."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="opinion_incidents",
                             verbose_name="受理单位")
    title = models.CharField("事项", max_length=300)
    level = models.CharField("级别", max_length=8, choices=AlertLevel.choices, default=AlertLevel.YELLOW)
    stage = models.CharField("环节", max_length=10, choices=IncidentStage.choices, default=IncidentStage.ACCEPTED,
                             db_index=True)
    alert = models.ForeignKey("opinion.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name="来源预警")
    event = models.ForeignKey("opinion.Event", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="incidents", verbose_name="舆情事件")
    description = models.TextField("基本情况", blank=True)
    analysis = models.TextField("研判意见", blank=True)
    measures = models.TextField("处置措施", blank=True)
    outcome = models.TextField("反馈结果", blank=True)
    stage_started_at = models.DateTimeField("本环节开始")
    stage_due_at = models.DateTimeField("本环节时限", null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField("最近升级提醒", null=True, blank=True)
    escalation_count = models.PositiveIntegerField("本环节升级次数", default=0)
    owner = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name="责任人")
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version")

    class Meta:
        verbose_name = "舆情处置"
        verbose_name_plural = "舆情处置"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stage", "stage_due_at"], name="opinion_incident_due_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def color(self) -> str:
        return LEVEL_COLORS.get(self.level, "secondary")

    @property
    def is_open(self) -> bool:
        return self.stage != IncidentStage.CLOSED


class IncidentStatement(models.Model):
    """A response statement (回应口径) published for the incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="statements")
    text = models.TextField("回应口径")
    published_at = models.DateTimeField("发布时间")
    published_by = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="发布人")

    scope_unit_field = "incident__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["published_at", "id"]

    def __str__(self) -> str:
        return self.text[:30]


class IncidentLog(models.Model):
    """One line of the history: every transition, note, statement, task and escalation."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="logs")
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="操作人")
    kind = models.CharField("类型", max_length=10, choices=LogKind.choices)
    from_stage = models.CharField(max_length=10, choices=IncidentStage.choices, blank=True)
    to_stage = models.CharField(max_length=10, choices=IncidentStage.choices, blank=True)
    text = models.TextField("内容", blank=True)

    scope_unit_field = "incident__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.text[:20]}"
