from django.db import models

from core.roles import Role

__all__ = ["Role", "UnitKind"]


class UnitKind(models.TextChoices):
    ORGAN = "organ", "机关"
    LEADERSHIP = "leadership", "党组/党委"
    OFFICE = "office", "办公室"
    SECTION = "section", "科室"
    AFFILIATE = "affiliate", "直属单位"
    OTHER = "other", "其他"
