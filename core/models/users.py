"""Accounts. A User logs in; the person behind it (name, unit, roles) lives in org.Person."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from core.audit import AuditedModel


class User(AuditedModel, AbstractUser):
    display_name = models.CharField("姓名", max_length=64, blank=True)
    must_change_password = models.BooleanField("首次登录须改密码", default=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    failed_login_count = models.PositiveIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    is_system = models.BooleanField("系统账户", default=False, help_text="后台任务以此账户记审计")

    audit_exclude = ("last_login", "failed_login_count", "locked_until")
    audit_secret = ("password",)

    class Meta:
        verbose_name = "账户"
        verbose_name_plural = "账户"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())
