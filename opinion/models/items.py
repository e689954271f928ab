"""Items (舆情信息): one published piece, normalized, de-duplicated, matched and scored."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opinion.choices import Sentiment, Stage
from opinion.models.sources import Source

_USER = settings.AUTH_USER_MODEL


class Item(models.Model):
    """A public item. Reposts are kept and linked to their original (`repost_of`): they feed heat.

    Not an AuditedModel: items arrive by the thousand from machines; what people change on them
    (sentiment corrections) goes through opinion.actions, which writes the audit row itself.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="items")
    external_id = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    canonical_url = models.CharField(max_length=2000, blank=True, db_index=True)
    title = models.CharField("标题", max_length=500)
    body = models.TextField("正文", blank=True)
    published_at = models.DateTimeField("发布时间", db_index=True)
    received_at = models.DateTimeField("接收时间", auto_now_add=True, db_index=True)
    body_hash = models.CharField(max_length=40, blank=True, db_index=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.RECEIVED, db_index=True)
    skip_reason = models.CharField(max_length=200, blank=True)
    repost_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reposts")
    repost_count = models.PositiveIntegerField("转载数", default=0)
    similarity = models.FloatField(null=True, blank=True, help_text="与原文的 Jaccard 相似度")
    minhash = models.BinaryField(null=True, blank=True)
    relevant = models.BooleanField("相关", default=False, db_index=True)
    sentiment = models.CharField("情感", max_length=3, choices=Sentiment.choices, blank=True, db_index=True)
    sentiment_confidence = models.FloatField("置信度", null=True, blank=True)
    sentiment_model_version = models.PositiveIntegerField(null=True, blank=True)
    # An analyst's correction; the retrain command learns from these.
    sentiment_label = models.CharField("人工标注", max_length=3, choices=Sentiment.choices, blank=True)
    labelled_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    labelled_at = models.DateTimeField(null=True, blank=True)
    event = models.ForeignKey("opinion.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    search_text = models.TextField(blank=True, help_text="分词后的标题与正文，供全文检索")

    class Meta:
        verbose_name = "舆情信息"
        verbose_name_plural = "舆情信息"
        ordering = ["-published_at", "-id"]
        constraints = [
            # The same source delivering the same id twice (duplicate pushes, re-fetched feeds).
            models.UniqueConstraint(fields=["source", "external_id"], condition=~models.Q(external_id=""),
                                    name="opinion_item_source_external_unique"),
        ]
        indexes = [models.Index(fields=["stage", "received_at"], name="opinion_item_stage_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_sentiment(self) -> str:
        return self.sentiment_label or self.sentiment


class ItemBand(models.Model):
    """One LSH band hash of an item's MinHash signature: near-duplicate candidates share a row key."""

    band = models.PositiveSmallIntegerField()
    hash = models.BigIntegerField()
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="bands")
    published_at = models.DateTimeField()

    class Meta:
        # Lookups filter on the hash and the time window and read band and item: hash leads, and the
        # index holds every column the lookup reads, so it never visits the table (32 rows per item).
        indexes = [models.Index(fields=["hash", "band", "published_at", "item"], name="opinion_band_cover_idx")]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.band}"


class RuleMatch(models.Model):
    """A keyword rule that matched an item, with the terms that made it match."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="rule_matches")
    rule = models.ForeignKey("opinion.KeywordRule", on_delete=models.CASCADE, related_name="matches")
    terms = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "rule"], name="opinion_rulematch_unique")]

    def __str__(self) -> str:
        return f"{self.item_id} ~ {self.rule_id}"
