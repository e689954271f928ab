"""Administrator overrides of the working-day calendar (for dates the holiday package lacks)."""

from __future__ import annotations

from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel


class CalendarOverride(AuditedModel, TimeStampedModel):
    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日", help_text="勾选：当天上班（调休）；不勾选：当天放假")
    name = models.CharField("名称", max_length=64, blank=True, help_text="如：春节、国庆节调休")

    class Meta:
        verbose_name = "工作日历调整"
        verbose_name_plural = "工作日历调整"
        ordering = ["date"]

    def __str__(self) -> str:
        kind = "上班" if self.is_workday else "放假"
        return f"{self.date:%Y-%m-%d} {kind} {self.name}".strip()
