"""Choices of the opinion (舆情) app."""

from __future__ import annotations

from django.db import models


class SourceKind(models.TextChoices):
    RSS = "rss", "RSS/Atom 订阅"
    WEB = "web", "网页（正文抽取）"
    JSON = "json", "JSON 接口"
    FILE = "file", "表格导入（.csv/.xlsx）"
    PUSH = "push", "推送接口"


class Stage(models.TextChoices):
    """Where an item is in the pipeline. Each stage is idempotent: a re-run picks up from here."""

    RECEIVED = "received", "已接收"
    DONE = "done", "已处理"
    SKIPPED = "skipped", "已跳过"


class Sentiment(models.TextChoices):
    POSITIVE = "pos", "正面"
    NEUTRAL = "neu", "中性"
    NEGATIVE = "neg", "负面"


class RuleScope(models.TextChoices):
    ALL = "all", "标题和正文"
    TITLE = "title", "仅标题"


class RulePurpose(models.TextChoices):
    RELEVANCE = "relevance", "相关性（监测范围）"
    SENSITIVE = "sensitive", "敏感词"


class EventStatus(models.TextChoices):
    ACTIVE = "active", "发酵中"
    QUIET = "quiet", "已平息"
