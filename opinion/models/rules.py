"""Keyword rules (监测规则): a boolean expression users write, owned by a unit."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import UnitScopedModel
from opinion.choices import RulePurpose, RuleScope

_USER = settings.AUTH_USER_MODEL


class KeywordRule(AuditedModel, UnitScopedModel):
    """`(A|B)&C-D`, quotes, parentheses, NEAR/n; compiled once into the shared automaton.

    The unit is the organization the rule watches for: its alerts go to that unit's people.
    """

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="opinion_rules", verbose_name="所属单位")
    name = models.CharField("名称", max_length=100)
    expression = models.TextField("表达式")
    scope = models.CharField("匹配范围", max_length=8, choices=RuleScope.choices, default=RuleScope.ALL)
    purpose = models.CharField("用途", max_length=10, choices=RulePurpose.choices, default=RulePurpose.RELEVANCE)
    enabled = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    audit_exclude = ("created_at", "updated_at", "version")

    class Meta:
        verbose_name = "监测规则"
        verbose_name_plural = "监测规则"
        ordering = ["unit_id", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="opinion_rule_unit_name_unique")]

    def __str__(self) -> str:
        return self.name
