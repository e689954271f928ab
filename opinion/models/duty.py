"""Monitoring duty handover (值班交接): the 7×24 roster itself is the ledger's Duty/DutyShift."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.scoping import ScopedQuerySet

_USER = settings.AUTH_USER_MODEL


class DutyHandover(AuditedModel):
    """One handover between shifts, with a snapshot of what was open at that moment."""

    duty = models.ForeignKey("ledger.Duty", on_delete=models.CASCADE, related_name="opinion_handovers",
                             verbose_name="值守事项")
    shift_date = models.DateField("班次日期")
    from_person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name="交班人")
    to_person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name="接班人")
    handed_over_at = models.DateTimeField("交班时间")
    summary = models.TextField("未结事项", blank=True, help_text="交班时未处理的预警与处置事项（自动生成）")
    notes = models.TextField("交班说明", blank=True)
    acknowledged_at = models.DateTimeField("接班确认时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope_unit_field = "duty__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "值班交接"
        verbose_name_plural = "值班交接"
        ordering = ["-handed_over_at", "-id"]

    def __str__(self) -> str:
        return f"{self.shift_date} {self.from_person} → {self.to_person}"
