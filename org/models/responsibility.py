"""Who is responsible for what (压实主体责任): responsibility lists, letters, duty reports, contact points.

Every model is unit-owned (scoped through `visible_to`) and audited. Rows that people edit carry a
`version` for optimistic locking, like ledger.Task: org.responsibility refuses a write based on an
older version.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel, UnitScopedModel
from org.models.base import Person, Unit
from org.responsibility_choices import Cadence, DutyReportStatus, LetterStatus, Post, RevisionStatus


class ResponsibilityList(AuditedModel, UnitScopedModel):
    """责任清单 of one post in one unit for one year. Its text lives in revisions."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="responsibility_lists",
                             verbose_name="单位")
    post = models.CharField("岗位", max_length=32, choices=Post.choices)
    holder = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name="责任人")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("标题", max_length=200)
    plan = models.ForeignKey("plans.Plan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="依据的工作要点")
    # Every write to the list or one of its revisions bumps it (optimistic locking).
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version")

    class Meta:
        verbose_name = "责任清单"
        verbose_name_plural = "责任清单"
        ordering = ["-year", "unit__path", "post", "id"]

    def __str__(self) -> str:
        return self.title


class ResponsibilityListRevision(AuditedModel, TimeStampedModel):
    """One version of a list: a draft, the published (公示) one, or an older, superseded one."""

    responsibility_list = models.ForeignKey(ResponsibilityList, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=16, choices=RevisionStatus.choices, default=RevisionStatus.DRAFT)
    note = models.CharField("修订说明", max_length=200, blank=True)
    published_at = models.DateTimeField("公示时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name="公示人")

    scope_unit_field = "responsibility_list__unit"

    class Meta:
        verbose_name = "责任清单版本"
        ordering = ["responsibility_list_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["responsibility_list", "number"], name="resp_revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.responsibility_list} 第{self.number}版"


class ResponsibilityEntry(models.Model):
    """One duty on a list, as edited; `quote` keeps the plan text it was drafted from."""

    revision = models.ForeignKey(ResponsibilityListRevision, on_delete=models.CASCADE, related_name="entries")
    order = models.PositiveIntegerField("序号")
    text = models.TextField("责任内容")
    quote = models.TextField("工作要点原文", blank=True)
    obligation = models.ForeignKey("plans.Obligation", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = "责任条目"
        ordering = ["revision_id", "order"]

    def __str__(self) -> str:
        return self.text[:50]


class LetterTemplate(AuditedModel, UnitScopedModel):
    """A year's 责任书 text with placeholders; sending it makes one letter per unit head."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name="发出单位")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文", help_text="可用占位符：{单位} {负责人} {年度} {责任清单}")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version")

    class Meta:
        verbose_name = "责任书模板"
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class ResponsibilityLetter(AuditedModel, UnitScopedModel):
    """责任书 addressed to one unit head. Signing freezes the text with its hash."""

    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="letters")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="responsibility_letters",
                             verbose_name="责任单位")
    addressee = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="responsibility_letters",
                                  verbose_name="签署人")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    status = models.CharField("状态", max_length=16, choices=LetterStatus.choices, default=LetterStatus.SENT)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    signed_at = models.DateTimeField("签署时间", null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name="签署账号")
    signed_ip = models.GenericIPAddressField("签署IP", null=True, blank=True)
    signed_text = models.TextField("签署文本", blank=True)
    signed_hash = models.CharField("签署校验码", max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version")

    class Meta:
        verbose_name = "责任书"
        verbose_name_plural = "责任书"
        ordering = ["-year", "unit__path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "unit", "addressee"], name="resp_letter_unique_addressee"),
        ]
        indexes = [models.Index(fields=["template", "status"])]

    def __str__(self) -> str:
        return f"{self.title}（{self.unit}）"

    def compute_hash(self) -> str:
        """The fingerprint of what was signed, by whom and when; any later change breaks it."""
        signer = self.signed_by.username if self.signed_by_id else ""
        when = self.signed_at.isoformat() if self.signed_at else ""
        payload = f"{self.pk}\n{self.title}\n{self.signed_text}\n{signer}\n{when}"
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def hash_ok(self) -> bool:
        return bool(self.signed_hash) and self.compute_hash() == self.signed_hash


class DutyReportSchedule(AuditedModel, UnitScopedModel):
    """When unit heads report on how they carried out their duties (履职报告 / 述职)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name="组织单位")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("名称", max_length=200)
    cadence = models.CharField("频次", max_length=16, choices=Cadence.choices, default=Cadence.HALF_YEAR)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "履职报告安排"
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class DutyReport(AuditedModel, UnitScopedModel):
    """One head's report for one period; its ledger task carries the deadline and the supervision."""

    schedule = models.ForeignKey(DutyReportSchedule, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="duty_reports", verbose_name="单位")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="duty_reports", verbose_name="报告人")
    period_label = models.CharField("期间", max_length=32)
    due_date = models.DateField("提交时限", db_index=True)
    task = models.ForeignKey("ledger.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField("状态", max_length=16, choices=DutyReportStatus.choices,
                              default=DutyReportStatus.PENDING)
    content = models.TextField("报告内容", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version", "content")

    class Meta:
        verbose_name = "履职报告"
        verbose_name_plural = "履职报告"
        ordering = ["due_date", "unit__path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "author", "unit", "period_label"],
                                    name="duty_report_unique_period"),
        ]

    def __str__(self) -> str:
        return f"{self.author.name} {self.period_label}履职报告"


class DutyReportComment(AuditedModel, models.Model):
    """A leader's review comment on a report."""

    report = models.ForeignKey(DutyReport, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("意见")
    marks_reviewed = models.BooleanField("审阅完成", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "履职报告意见"
        ordering = ["report_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class ContactPoint(AuditedModel, UnitScopedModel):
    """联系点: a leader follows a unit for a period."""

    leader = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_points", verbose_name="联系领导")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="contact_points", verbose_name="联系单位")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("联系内容", max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = ("created_at", "updated_at", "version")

    class Meta:
        verbose_name = "联系点"
        verbose_name_plural = "联系点"
        ordering = ["leader__sort_order", "leader_id", "unit__path", "id"]

    def __str__(self) -> str:
        return f"{self.leader} → {self.unit}"
