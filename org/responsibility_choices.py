"""Choices of the responsibility system: posts, list revision states, letter and duty-report states."""

from django.db import models

from core.roles import Role


class Post(models.TextChoices):
    """The posts a responsibility list is written for; the values are the matching role codes."""

    FIRST_RESPONSIBLE = Role.FIRST_RESPONSIBLE.value, "第一责任人"
    DIRECT_RESPONSIBLE = Role.DIRECT_RESPONSIBLE.value, "直接责任人"
    LEADER_MEMBER = Role.LEADER_MEMBER.value, "班子成员一岗双责"
    UNIT_HEAD = Role.UNIT_HEAD.value, "科室负责人"


LEADERSHIP_POSTS = (Post.FIRST_RESPONSIBLE, Post.DIRECT_RESPONSIBLE, Post.LEADER_MEMBER)


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已公示"
    SUPERSEDED = "superseded", "历史版本"


class LetterStatus(models.TextChoices):
    SENT = "sent", "待签署"
    SIGNED = "signed", "已签署"


class Cadence(models.TextChoices):
    HALF_YEAR = "half_year", "每半年"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class DutyReportStatus(models.TextChoices):
    PENDING = "pending", "待提交"
    SUBMITTED = "submitted", "已提交"
    REVIEWED = "reviewed", "已审阅"
