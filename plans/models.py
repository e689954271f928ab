"""Plans (工作要点) as imported: sections, items, obligations, and who carries each obligation."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel, UnitScopedModel
from plans.choices import AssignmentRole, Frequency, ImportStatus, PlanStatus


class Plan(AuditedModel, UnitScopedModel):
    """One organ's plan for one year. `unit` is the unit that owns it (usually the organ's root)."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="plans", verbose_name="所属单位")
    title = models.CharField("标题", max_length=200)
    organization = models.CharField("制定单位", max_length=100, blank=True)
    year = models.PositiveSmallIntegerField("年度")
    preamble = models.TextField("导语", blank=True)
    warnings = models.JSONField("解析提示", default=list, blank=True)
    outline_only = models.BooleanField("仅提纲", default=False)
    status = models.CharField("状态", max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    revision = models.PositiveIntegerField("修订次数", default=1)
    source_name = models.CharField("来源文件", max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="导入人"
    )

    audit_exclude = ("created_at", "updated_at", "preamble", "warnings")

    class Meta:
        verbose_name = "工作要点"
        verbose_name_plural = "工作要点"
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveSmallIntegerField("序号")
    title = models.CharField("标题", max_length=200)
    heading = models.CharField("完整标题", max_length=300, blank=True)
    intro = models.TextField("引言", blank=True)

    class Meta:
        verbose_name = "板块"
        ordering = ["plan_id", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="section_unique_number")]

    def __str__(self) -> str:
        return self.title


class Item(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField("序号")
    title = models.CharField("标题", max_length=300)
    text = models.TextField("正文", blank=True)

    class Meta:
        verbose_name = "条目"
        ordering = ["plan_id", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="item_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Target(models.Model):
    """A percent or number target that is not periodic (权重不低于15%)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="targets")
    quote = models.TextField("原文")
    value = models.FloatField("数值", null=True, blank=True)
    unit_label = models.CharField("单位", max_length=16, blank=True)
    at_least = models.BooleanField("不低于", default=False)

    class Meta:
        verbose_name = "量化指标"
        ordering = ["item_id", "id"]

    def __str__(self) -> str:
        return self.quote[:40]


class Obligation(AuditedModel, TimeStampedModel):
    """A recurring or counted commitment of the plan; generates tasks (or a duty roster)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="obligations")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="obligations")
    number = models.PositiveSmallIntegerField("序号", default=1)
    frequency = models.CharField("频次", max_length=16, choices=Frequency.choices)
    times = models.PositiveIntegerField("每期次数", null=True, blank=True)
    at_least = models.BooleanField("至少", default=False)
    activity = models.CharField("事项", max_length=200)
    actor_text = models.CharField("原文责任主体", max_length=100, blank=True)
    quote = models.TextField("原文")
    timing = models.CharField("时间提示", max_length=32, blank=True, help_text="年初/年中/年底/上半年/下半年/N月")
    unresolved = models.BooleanField("责任主体待确认", default=False)
    key = models.CharField(max_length=64, db_index=True, help_text="原文的指纹，用于修订导入时比对")

    class Meta:
        verbose_name = "工作事项"
        verbose_name_plural = "工作事项"
        ordering = ["item__number", "number"]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()}·{self.activity}"


class Assignment(models.Model):
    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="单位")
    role = models.CharField("分工", max_length=8, choices=AssignmentRole.choices, default=AssignmentRole.LEAD)

    class Meta:
        verbose_name = "分工"
        constraints = [models.UniqueConstraint(fields=["obligation", "unit"], name="assignment_unique_unit")]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_role_display()}"


class PlanImport(UnitScopedModel):
    """An import in progress: the parsed plan as the user edits it in the preview, until confirmed."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="所属单位")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source_name = models.CharField("来源文件", max_length=255)
    source_sha256 = models.CharField(max_length=64)
    data = models.JSONField("解析结果")
    base_plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions", verbose_name="修订的计划"
    )
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.OPEN)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "导入草稿"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.source_name
