"""Events (事件): items about the same story, with follow-ups, and their heat over time."""

from __future__ import annotations

from django.db import models

from opinion.choices import EventStatus


class Event(models.Model):
    """A story. Counts are kept on the row (updated as items join) so lists never aggregate."""

    title = models.CharField("事件", max_length=500)
    status = models.CharField("状态", max_length=8, choices=EventStatus.choices, default=EventStatus.ACTIVE,
                              db_index=True)
    first_seen = models.DateTimeField("首发时间", db_index=True)
    last_seen = models.DateTimeField("最近动态", db_index=True)
    lead_item = models.ForeignKey("opinion.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    item_count = models.PositiveIntegerField("信息量", default=0)
    repost_count = models.PositiveIntegerField("转载量", default=0)
    source_count = models.PositiveIntegerField("来源数", default=0)
    positive = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    heat = models.FloatField("热度", default=0, db_index=True)
    growth = models.FloatField("增速", default=0, help_text="近 1 小时信息量相对前 1 小时的增长率")
    keywords = models.JSONField("关键词", default=list, blank=True)

    class Meta:
        verbose_name = "舆情事件"
        verbose_name_plural = "舆情事件"
        ordering = ["-heat", "-last_seen"]

    def __str__(self) -> str:
        return self.title

    @property
    def negative_share(self) -> float:
        return self.negative / self.item_count if self.item_count else 0.0


class EventHeat(models.Model):
    """Heat of an event sampled each time it changes: the event page's timeline and trend."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="heat_samples")
    at = models.DateTimeField(db_index=True)
    heat = models.FloatField()
    item_count = models.PositiveIntegerField()
    negative = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.event_id} @ {self.at:%Y-%m-%d %H:%M}: {self.heat:.1f}"
