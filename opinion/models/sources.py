"""Where items come from: sources, their fetch log and per-day counts, and the fetch allow-list."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel
from opinion.choices import SourceKind

_USER = settings.AUTH_USER_MODEL


class Source(AuditedModel, TimeStampedModel):
    """One feed, page, JSON endpoint, spreadsheet import or push client.

    Not unit-scoped: public media are watched for the whole organ; who may see them is the
    `opinion.view` permission.
    """

    name = models.CharField("名称", max_length=100, unique=True)
    kind = models.CharField("类型", max_length=8, choices=SourceKind.choices)
    url = models.URLField("地址", max_length=1000, blank=True)
    enabled = models.BooleanField("启用", default=True)
    interval_minutes = models.PositiveIntegerField("抓取间隔（分钟）", default=15)
    weight = models.FloatField("来源权重", default=1.0, help_text="热度计算中该来源的权重（中央媒体可设 2.0）")
    is_official = models.BooleanField("官方媒体", default=False)
    # JSON endpoints: {"items": "data.list", "title": "title", "body": "content", "url": "link",
    # "published": "pubDate", "id": "id"} — dotted paths into each record.
    options = models.JSONField("解析配置", default=dict, blank=True)
    # Conditional GET state.
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    # Push clients authenticate with a token; only its SHA-256 is stored.
    push_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    next_fetch_at = models.DateTimeField("下次抓取", null=True, blank=True, db_index=True)
    last_fetched_at = models.DateTimeField("最近抓取", null=True, blank=True)
    last_success_at = models.DateTimeField("最近成功", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    last_error_at = models.DateTimeField("最近出错", null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    items_total = models.PositiveIntegerField("累计条目", default=0)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    audit_exclude = ("created_at", "updated_at", "etag", "last_modified", "next_fetch_at", "last_fetched_at",
                     "items_total", "consecutive_failures")
    audit_secret = ("push_token_hash",)

    class Meta:
        verbose_name = "信息源"
        verbose_name_plural = "信息源"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourceDayCount(models.Model):
    """Items a source delivered on one day (new, duplicate, skipped), for the per-day figures."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="day_counts")
    date = models.DateField()
    new = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "date"], name="opinion_source_day_unique")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.date}: {self.new}"


class FetchLog(models.Model):
    """One fetch of a source: what came back and what became of it."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="fetch_logs")
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    not_modified = models.BooleanField(default=False)
    received = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source_id} {self.started_at:%Y-%m-%d %H:%M} {'成功' if self.ok else '失败'}"


class FetchAllowlist(AuditedModel, TimeStampedModel):
    """Hosts or networks on private/internal addresses an administrator allowed fetching from."""

    pattern = models.CharField("主机名或网段", max_length=200, unique=True,
                               help_text="如 intranet.example.gov.cn 或 10.0.0.0/8")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "内网抓取白名单"
        verbose_name_plural = "内网抓取白名单"

    def __str__(self) -> str:
        return self.pattern
