"""Choices of the risk register and the screening campaigns."""

from django.db import models


class RiskLevel(models.TextChoices):
    MAJOR = "major", "重大"
    SIGNIFICANT = "significant", "较大"
    GENERAL = "general", "一般"
    LOW = "low", "低"


# 重大 first: lists sort on this rank (stored beside the level so an index can serve the order).
LEVEL_RANK: dict[str, int] = {RiskLevel.MAJOR: 0, RiskLevel.SIGNIFICANT: 1, RiskLevel.GENERAL: 2, RiskLevel.LOW: 3}
LEVEL_COLORS: dict[str, str] = {RiskLevel.MAJOR: "red", RiskLevel.SIGNIFICANT: "orange",
                                RiskLevel.GENERAL: "yellow", RiskLevel.LOW: "azure"}


class RiskStatus(models.TextChoices):
    OPEN = "open", "已登记"
    RECTIFYING = "rectifying", "整改中"
    PENDING_REVIEW = "pending_review", "待验收销号"
    CLOSED = "closed", "已销号"


OPEN_STATUSES = (RiskStatus.OPEN, RiskStatus.RECTIFYING, RiskStatus.PENDING_REVIEW)


class RiskSource(models.TextChoices):
    SCREENING = "screening", "排查发现"
    INCIDENT = "incident", "舆情事件"
    INSPECTION = "inspection", "督查检查"
    REPORT = "report", "群众举报/上报"
    OTHER = "other", "其他"


class StepKind(models.TextChoices):
    """What a ledger task raised for a risk is for."""

    RECTIFY = "rectify", "整改措施"
    FLAG = "flag", "挂牌督办"
    PROGRESS = "progress", "督办进展报告"
    FOLLOW_UP = "follow_up", "回头看整改"


class EventKind(models.TextChoices):
    CREATED = "created", "登记"
    UPDATED = "updated", "修改"
    STEP = "step", "交办整改任务"
    FLAGGED = "flagged", "挂牌督办"
    REQUESTED = "requested", "申请销号"
    REJECTED = "rejected", "验收退回"
    CLOSED = "closed", "验收销号"
    FOLLOW_UP_PASSED = "follow_up_passed", "回头看通过"
    REOPENED = "reopened", "回头看未通过，重新整改"


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "每周报告"
    BIWEEKLY = "biweekly", "每两周报告"
    MONTHLY = "monthly", "每月报告"


CADENCE_DAYS: dict[str, int] = {Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14, Cadence.MONTHLY: 30}


class CampaignKind(models.TextChoices):
    DAILY = "daily", "日常排查"
    SPECIAL = "special", "专项排查"
    QUARTERLY = "quarterly", "季度排查"


class CampaignStatus(models.TextChoices):
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class CheckStatus(models.TextChoices):
    PENDING = "pending", "未填报"
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交"


class AnswerResult(models.TextChoices):
    OK = "ok", "未发现风险"
    RISK = "risk", "存在风险"
    NA = "na", "不适用"


SCALE_CHOICES = [(1, "1 极低"), (2, "2 较低"), (3, "3 中等"), (4, "4 较高"), (5, "5 极高")]
