from django.db import models


class Frequency(models.TextChoices):
    DAILY = "daily", "每日"
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    BIMONTHLY = "bimonthly", "每两月"
    QUARTERLY = "quarterly", "每季度"
    SEMIANNUAL = "semiannual", "每半年"
    YEARLY = "yearly", "每年"
    CONTINUOUS = "continuous", "常态（值班）"


# Frequencies that become a duty roster and log instead of hundreds of dated tasks.
DUTY_FREQUENCIES = (Frequency.DAILY, Frequency.CONTINUOUS)


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "执行中"
    ARCHIVED = "archived", "已归档"


class ImportStatus(models.TextChoices):
    OPEN = "open", "待确认"
    CONFIRMED = "confirmed", "已导入"
    CANCELLED = "cancelled", "已取消"


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "牵头"
    ASSIST = "assist", "配合"
