"""Reports (舆情报告): daily, weekly and special reports generated as .docx in the official layout."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel

_USER = settings.AUTH_USER_MODEL


class ReportKind(models.TextChoices):
    DAILY = "daily", "舆情日报"
    WEEKLY = "weekly", "舆情周报"
    SPECIAL = "special", "专报"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "生成中"
    DONE = "done", "已生成"
    FAILED = "failed", "生成失败"


def _report_path(instance: OpinionReport, filename: str) -> str:
    return f"opinion/reports/{instance.period_start:%Y}/{filename}"


class OpinionReport(AuditedModel):
    """A generated report. Not unit-scoped: reports cover the organ's public media and are read by
    everyone with `opinion.view`; the file lives in the default storage (MEDIA_ROOT, not served)."""

    kind = models.CharField("类型", max_length=8, choices=ReportKind.choices)
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期")
    event = models.ForeignKey("opinion.Event", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="reports", verbose_name="专报事件")
    title = models.CharField("标题", max_length=300)
    status = models.CharField("状态", max_length=8, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    error = models.TextField(blank=True)
    file = models.FileField("文件", upload_to=_report_path, max_length=300, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField("生成时间", null=True, blank=True)

    audit_exclude = ("created_at",)

    class Meta:
        verbose_name = "舆情报告"
        verbose_name_plural = "舆情报告"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
