"""Choices of the meetings app: meeting kinds and cadences, plan levels, check answers."""

from django.db import models


class MeetingKind(models.TextChoices):
    ANALYSIS = "analysis", "研判会"
    JOINT = "joint", "联席会议"


class Cadence(models.IntegerChoices):
    """How often a series meets, in months (研判会 every two months, every half year …)."""

    MONTHLY = 1, "每月"
    BIMONTHLY = 2, "每两月"
    QUARTERLY = 3, "每季度"
    SEMIANNUAL = 6, "每半年"
    YEARLY = 12, "每年"


# plans.choices.Frequency → months between meetings, for series created from a plan obligation.
FREQUENCY_MONTHS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "yearly": 12}


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "待召开"
    HELD = "held", "已召开"
    CANCELLED = "cancelled", "已取消"


class Attendance(models.TextChoices):
    PRESENT = "present", "出席"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺席"


class PlanLevel(models.TextChoices):
    """Response levels of a contingency plan, Ⅰ the most severe."""

    I = "1", "Ⅰ级（特别重大）"  # noqa: E741 - the level's own name
    II = "2", "Ⅱ级（重大）"
    III = "3", "Ⅲ级（较大）"
    IV = "4", "Ⅳ级（一般）"


class SubjectKind(models.TextChoices):
    DECISION = "decision", "重大决策"
    EVENT = "event", "重要活动"
    PUBLICATION = "publication", "对外发布"


class CheckStatus(models.TextChoices):
    DRAFT = "draft", "填写中"
    COMPLETED = "completed", "已完成"


class Answer(models.TextChoices):
    YES = "yes", "是（无风险）"
    NO = "no", "否（发现风险）"
    NA = "na", "不适用"
