"""Sentiment model versions (情感模型): each training run is a row with its weights; one is active."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel

_USER = settings.AUTH_USER_MODEL


class SentimentModelVersion(AuditedModel):
    """A trained model (yishi_text.opinion.sentiment) with what it was trained on and how it scored.

    Versions are never edited after training apart from `is_active`; the pipeline scores with the
    active one. The blob (a few MB of weights) is left out of the audit diff.
    """

    version = models.PositiveIntegerField("版本", unique=True)
    created_at = models.DateTimeField("训练时间", auto_now_add=True)
    created_by = models.ForeignKey(_USER, verbose_name="训练人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # {"reviews/pos": n, …, "corrections": n, "correction_weight": w}
    trained_on = models.JSONField("训练数据", default=dict, blank=True)
    # yishi_text.opinion.sentiment.evaluate() figures on the held-out split, per source, and the
    # share of held-out official news classed negative.
    metrics = models.JSONField("评估指标", default=dict, blank=True)
    blob = models.BinaryField("模型参数")
    is_active = models.BooleanField("启用", default=False)

    audit_exclude = ("created_at", "blob")

    class Meta:
        verbose_name = "情感模型版本"
        verbose_name_plural = "情感模型版本"
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True),
                                    name="opinion_sentiment_one_active"),
        ]

    def __str__(self) -> str:
        return f"情感模型 v{self.version}"
