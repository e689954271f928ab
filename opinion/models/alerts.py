"""Alerts (预警): settings of the alerting and incident desk, alert rules, and the alerts they raise."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import UnitScopedModel
from core.scoping import ScopedQuerySet

_USER = settings.AUTH_USER_MODEL


class AlertLevel(models.TextChoices):
    RED = "red", "红色"
    ORANGE = "orange", "橙色"
    YELLOW = "yellow", "黄色"
    BLUE = "blue", "蓝色"


# Higher is more serious: an event escalating to a higher colour pages again.
LEVEL_RANK: dict[str, int] = {AlertLevel.RED: 4, AlertLevel.ORANGE: 3, AlertLevel.YELLOW: 2, AlertLevel.BLUE: 1}
# Tabler colour classes (bg-<colour>-lt, badge bg-<colour>).
LEVEL_COLORS: dict[str, str] = {AlertLevel.RED: "red", AlertLevel.ORANGE: "orange", AlertLevel.YELLOW: "yellow",
                                AlertLevel.BLUE: "blue"}


class AlertMode(models.TextChoices):
    NEGATIVE = "negative", "负面舆情"
    SENSITIVE = "sensitive", "敏感词"
    THRESHOLD = "threshold", "阈值"
    MANUAL = "manual", "人工预警"


RULE_MODES = (AlertMode.NEGATIVE, AlertMode.SENSITIVE, AlertMode.THRESHOLD)


class ThresholdMetric(models.TextChoices):
    HEAT = "heat", "事件热度"
    GROWTH = "growth", "增长率"
    NEGATIVE_SHARE = "negative_share", "负面占比"
    SOURCE_VOLUME = "source_volume", "指定来源信息量"


class AlertStatus(models.TextChoices):
    NEW = "new", "新预警"
    ACKNOWLEDGED = "acknowledged", "已签收"
    INCIDENT = "incident", "已转处置"
    DISMISSED = "dismissed", "已忽略"


OPEN_ALERT_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)

DEFAULT_WORKING_HOURS: list[list[str]] = [["09:00", "12:00"], ["13:30", "17:30"]]
# Working hours allowed per stage (受理, 研判, 处置, 反馈), by level.
DEFAULT_DEADLINES: dict[str, dict[str, float]] = {
    "red": {"accepted": 1, "analysing": 2, "handling": 8, "feedback": 16},
    "orange": {"accepted": 2, "analysing": 4, "handling": 16, "feedback": 24},
    "yellow": {"accepted": 4, "analysing": 8, "handling": 24, "feedback": 40},
    "blue": {"accepted": 8, "analysing": 16, "handling": 40, "feedback": 80},
}


def _default_hours() -> list[list[str]]:
    return [list(w) for w in DEFAULT_WORKING_HOURS]


def _default_deadlines() -> dict[str, dict[str, float]]:
    return {level: dict(stages) for level, stages in DEFAULT_DEADLINES.items()}


class OpinionSettings(AuditedModel):
    """One row: working hours, per-level stage deadlines (in working hours) and default quiet hours."""

    working_hours = models.JSONField("工作时段", default=_default_hours,
                                     help_text='如 [["09:00","12:00"],["13:30","17:30"]]')
    deadlines = models.JSONField("各级处置时限（工作小时）", default=_default_deadlines)
    quiet_start = models.TimeField("免打扰开始", default=datetime.time(22, 0))
    quiet_end = models.TimeField("免打扰结束", default=datetime.time(7, 0))
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("version",)

    class Meta:
        verbose_name = "舆情处置设置"

    def __str__(self) -> str:
        return "舆情处置设置"

    @classmethod
    def current(cls) -> OpinionSettings:
        return cls.objects.order_by("pk").first() or cls()

    def windows(self) -> list[tuple[datetime.time, datetime.time]]:
        """The working-hours windows as times, sorted; malformed entries are skipped."""
        result = []
        for pair in self.working_hours or []:
            try:
                start, end = (datetime.time.fromisoformat(str(v)) for v in pair)
            except (TypeError, ValueError):
                continue
            if start < end:
                result.append((start, end))
        return sorted(result)

    def stage_hours(self, level: str, stage: str) -> float:
        value: Any = (self.deadlines or {}).get(level, {}).get(stage)
        if value is None:
            value = DEFAULT_DEADLINES.get(level, DEFAULT_DEADLINES["blue"]).get(stage, 8)
        return float(value)


class AlertRule(AuditedModel, UnitScopedModel):
    """When to page whom. The unit is the organization the rule watches for; its heads are the
    default recipients."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="opinion_alert_rules",
                             verbose_name="所属单位")
    name = models.CharField("名称", max_length=100)
    mode = models.CharField("预警方式", max_length=10, choices=[(m.value, m.label) for m in RULE_MODES])
    level = models.CharField("预警级别", max_length=8, choices=AlertLevel.choices, default=AlertLevel.YELLOW)
    keyword_rule = models.ForeignKey("opinion.KeywordRule", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="alert_rules", verbose_name="关键词规则",
                                     help_text="可选：只对命中该规则的信息预警；敏感词方式必填（用途为敏感词的规则）")
    metric = models.CharField("阈值指标", max_length=16, choices=ThresholdMetric.choices, blank=True)
    threshold = models.FloatField("阈值", null=True, blank=True)
    window_minutes = models.PositiveIntegerField("统计窗口（分钟）", default=60)
    source = models.ForeignKey("opinion.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="指定来源")
    min_confidence = models.FloatField("最低置信度", default=0.6)
    weekdays = models.JSONField("生效星期", default=list, blank=True, help_text="0=周一 … 6=周日；空表示每天")
    active_from = models.TimeField("生效开始", null=True, blank=True)
    active_to = models.TimeField("生效结束", null=True, blank=True)
    quiet_start = models.TimeField("免打扰开始", null=True, blank=True, help_text="留空使用全局设置")
    quiet_end = models.TimeField("免打扰结束", null=True, blank=True)
    recipients = models.ManyToManyField("org.Person", blank=True, related_name="+", verbose_name="接收人",
                                        help_text="留空时发送给所属单位的负责人和分管领导")
    enabled = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version")

    class Meta:
        verbose_name = "预警规则"
        verbose_name_plural = "预警规则"
        ordering = ["unit_id", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="opinion_alertrule_unit_name_unique")]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One page. `dedup_key` makes raising idempotent: "event:<id>:<level>" (or "item:<id>:<level>"
    before the item joined an event) — one event never pages twice for the same colour."""

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts",
                             verbose_name="预警规则")
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="所属单位")
    mode = models.CharField("预警方式", max_length=10, choices=AlertMode.choices)
    level = models.CharField("级别", max_length=8, choices=AlertLevel.choices, db_index=True)
    event = models.ForeignKey("opinion.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    item = models.ForeignKey("opinion.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    title = models.CharField("标题", max_length=300)
    reason = models.TextField("预警原因")
    created_at = models.DateTimeField("预警时间", auto_now_add=True, db_index=True)
    dedup_key = models.CharField(max_length=100, unique=True)
    status = models.CharField("状态", max_length=12, choices=AlertStatus.choices, default=AlertStatus.NEW,
                              db_index=True)
    recipients = models.ManyToManyField(_USER, blank=True, related_name="opinion_alerts", verbose_name="接收人")
    notified_at = models.DateTimeField("送达时间", null=True, blank=True)
    held_until = models.DateTimeField("免打扰延后至", null=True, blank=True, db_index=True)
    raised_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey("opinion.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    scope_unit_field = "unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "舆情预警"
        verbose_name_plural = "舆情预警"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def color(self) -> str:
        return LEVEL_COLORS.get(self.level, "secondary")
