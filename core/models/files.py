"""Uploaded files, stored outside the web root and served only to users whose scope covers them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import UnitScopedModel


def _upload_to(instance: StoredFile, filename: str) -> str:
    return f"files/{instance.sha256[:2]}/{instance.sha256}"


class StoredFile(AuditedModel, UnitScopedModel):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="files", verbose_name="所属单位")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="上传人"
    )
    file = models.FileField("文件", upload_to=_upload_to, max_length=300)
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveBigIntegerField("大小")
    sha256 = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField("用途", max_length=64, blank=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name
