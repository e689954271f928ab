"""Risk prevention (风险防控): domains and their checklist points, the level matrix, screening
campaigns with each unit's self-check, and the risk register with flagged supervision (挂牌督办),
rectification steps (ledger tasks), close-out (销号) and follow-up checks (回头看).

Unit-owned tables are `UnitScopedModel`s (child rows reach their unit through `scope_unit_field`)
and every table is an `AuditedModel`, so each change is in the audit log. Records edited from
forms carry a `version` for optimistic locking.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel, UnitScopedModel
from core.scoping import ScopedQuerySet
from risks.choices import (
    AnswerResult,
    Cadence,
    CampaignKind,
    CampaignStatus,
    CheckStatus,
    EventKind,
    RiskLevel,
    RiskSource,
    RiskStatus,
    StepKind,
)

_USER = settings.AUTH_USER_MODEL
_AUDIT_EXCLUDE = ("created_at", "updated_at", "version")
SCALE = 5  # likelihood and impact are rated 1..5

# Rows: likelihood 1..5; columns: impact 1..5.
DEFAULT_MATRIX: list[list[str]] = [
    ["low", "low", "low", "general", "general"],
    ["low", "low", "general", "general", "significant"],
    ["low", "general", "general", "significant", "major"],
    ["general", "general", "significant", "major", "major"],
    ["general", "significant", "major", "major", "major"],
]


class RiskSettings(AuditedModel, models.Model):
    """One row: the likelihood × impact → level matrix, edited by the coordinating office."""

    matrix = models.JSONField("等级矩阵", default=list)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("version",)

    class Meta:
        verbose_name = "风险等级矩阵"

    def __str__(self) -> str:
        return "风险等级矩阵"

    @classmethod
    def current(cls) -> RiskSettings:
        obj = cls.objects.order_by("pk").first()
        return obj or cls(matrix=[row[:] for row in DEFAULT_MATRIX])

    def level_for(self, likelihood: int, impact: int) -> str:
        return self.matrix[likelihood - 1][impact - 1]


class RiskDomain(AuditedModel, TimeStampedModel):
    """A domain of ideological work (理论学习, 宣传舆论, 网络阵地 …) with its checklist."""

    name = models.CharField("领域", max_length=50, unique=True)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "风险领域"
        verbose_name_plural = "风险领域"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class RiskPoint(AuditedModel, TimeStampedModel):
    """One checklist item of a domain (a risk point to screen for)."""

    domain = models.ForeignKey(RiskDomain, on_delete=models.CASCADE, related_name="points", verbose_name="领域")
    text = models.CharField("风险点", max_length=300)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "风险点"
        ordering = ["domain__sort_order", "domain_id", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class ScreeningCampaign(AuditedModel, TimeStampedModel):
    """A screening round (日常/专项/季度排查) every target unit answers with a self-check.

    Not unit-scoped: every unit asked to take part must see it; what each unit answered is in its
    SelfCheck, which is.
    """

    kind = models.CharField("排查类型", max_length=16, choices=CampaignKind.choices)
    title = models.CharField("名称", max_length=200)
    description = models.TextField("说明", blank=True)
    start_date = models.DateField("开始日期")
    due_date = models.DateField("填报截止")
    status = models.CharField("状态", max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    domains = models.ManyToManyField(RiskDomain, related_name="+", verbose_name="排查领域")
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "排查"
        verbose_name_plural = "排查"
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.title


class SelfCheck(AuditedModel, UnitScopedModel):
    """One unit's self-check in a campaign; its questions are snapshotted when the campaign starts."""

    campaign = models.ForeignKey(ScreeningCampaign, on_delete=models.CASCADE, related_name="checks")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="填报单位")
    status = models.CharField("状态", max_length=16, choices=CheckStatus.choices, default=CheckStatus.PENDING)
    summary = models.TextField("自查小结", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = _AUDIT_EXCLUDE

    class Meta:
        verbose_name = "自查"
        ordering = ["campaign_id", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="selfcheck_once_per_unit")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit}"


class SelfCheckAnswer(AuditedModel, TimeStampedModel):
    check_record = models.ForeignKey(SelfCheck, on_delete=models.CASCADE, related_name="answers")
    point = models.ForeignKey(RiskPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    domain = models.ForeignKey(RiskDomain, on_delete=models.PROTECT, related_name="+", verbose_name="领域")
    order = models.PositiveIntegerField("序号")
    text = models.CharField("风险点", max_length=300)
    result = models.CharField("自查结论", max_length=8, choices=AnswerResult.choices, blank=True)
    note = models.CharField("情况说明", max_length=1000, blank=True)
    likelihood = models.PositiveSmallIntegerField("可能性", null=True, blank=True)
    impact = models.PositiveSmallIntegerField("影响程度", null=True, blank=True)
    risk = models.ForeignKey("risks.Risk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope_unit_field = "check_record__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "自查结论"
        ordering = ["check_record_id", "order", "id"]

    def __str__(self) -> str:
        return self.text


class Risk(AuditedModel, UnitScopedModel):
    """A risk in the register (风险隐患台账)."""

    title = models.CharField("风险名称", max_length=200)
    description = models.TextField("风险描述")
    domain = models.ForeignKey(RiskDomain, on_delete=models.PROTECT, related_name="risks", verbose_name="领域")
    source = models.CharField("来源", max_length=16, choices=RiskSource.choices, default=RiskSource.OTHER)
    # What raised it (a screening answer; later an opinion incident or an inspection finding).
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_object = GenericForeignKey("source_type", "source_id")
    likelihood = models.PositiveSmallIntegerField("可能性（1–5）")
    impact = models.PositiveSmallIntegerField("影响程度（1–5）")
    level = models.CharField("风险等级", max_length=16, choices=RiskLevel.choices)
    level_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    status = models.CharField("状态", max_length=16, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="责任单位")
    owner = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name="责任人")
    measures = models.TextField("防控措施", blank=True)
    deadline = models.DateField("整改时限")
    is_flagged = models.BooleanField("挂牌督办", default=False)
    close_note = models.TextField("销号申请说明", blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    closed_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name="验收人")
    reopen_count = models.PositiveSmallIntegerField("重新整改次数", default=0)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = (*_AUDIT_EXCLUDE, "level_rank")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "风险隐患"
        verbose_name_plural = "风险隐患"
        ordering = ["level_rank", "deadline", "id"]
        indexes = [
            models.Index(fields=["unit", "status", "level"]),
            models.Index(fields=["domain", "level"]),
            models.Index(fields=["level_rank", "deadline", "id"], name="risk_register_order"),
            models.Index(fields=["status", "level_rank", "deadline"], name="risk_open_order"),
            models.Index(fields=["level", "deadline", "id"], name="risk_level_deadline"),
            models.Index(fields=["created_at"], name="risk_created"),
            models.Index(fields=["closed_at"], name="risk_closed"),
            models.Index(fields=["source_type", "source_id"], name="risk_source"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        from risks.choices import LEVEL_RANK

        self.level_rank = LEVEL_RANK.get(self.level, 2)
        super().save(*args, **kwargs)


class RiskStep(AuditedModel, TimeStampedModel):
    """A ledger task raised for a risk, and what it is for (整改, 挂牌督办, 进展报告, 回头看)."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="steps")
    task = models.OneToOneField("ledger.Task", on_delete=models.CASCADE, related_name="risk_step")
    kind = models.CharField("类型", max_length=16, choices=StepKind.choices, default=StepKind.RECTIFY)
    round = models.PositiveSmallIntegerField("整改轮次", default=0, help_text="0 为首轮；每次回头看未通过加 1")

    scope_unit_field = "risk__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "整改任务"
        ordering = ["risk_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.task_id}"


class RiskFlag(AuditedModel, TimeStampedModel):
    """挂牌督办 of a 重大 risk: a named leader, a working group, a progress-report cadence.

    The leader's order runs as a ledger Supervision on the flag task (ledger/supervision.py), so
    its 13710 deadlines, reminders and grading are the ledger's.
    """

    risk = models.OneToOneField(Risk, on_delete=models.CASCADE, related_name="flag")
    leader = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+", verbose_name="督办领导")
    group = models.ManyToManyField("org.Person", related_name="+", verbose_name="专班成员")
    group_name = models.CharField("工作专班", max_length=100)
    cadence = models.CharField("进展报告频次", max_length=16, choices=Cadence.choices, default=Cadence.WEEKLY)
    order = models.TextField("督办要求")
    supervision = models.ForeignKey("ledger.Supervision", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    next_report_on = models.DateField("下次进展报告开始日期", null=True, blank=True)
    report_count = models.PositiveSmallIntegerField("已布置进展报告", default=0)

    scope_unit_field = "risk__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "挂牌督办"

    def __str__(self) -> str:
        return f"挂牌督办：{self.risk}"


class RiskEvent(models.Model):
    """The risk's history: every step of the loop, with its evidence; append-only."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("环节", max_length=20, choices=EventKind.choices)
    author = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("内容", blank=True)
    files = models.ManyToManyField("core.StoredFile", blank=True, related_name="+", verbose_name="佐证材料")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"
