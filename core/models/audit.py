"""The append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    LOCKED = "locked", "账户锁定"
    PASSWORD_CHANGE = "password_change", "修改密码"
    IMPORT = "import", "导入"
    IMPORT_REJECTED = "import_rejected", "导入被拒"
    EXPORT = "export", "导出"
    DENIED = "denied", "越权访问被拒"
    TOKEN = "token", "API 令牌"


class AuditChainHead(models.Model):
    """One row holding the chain's tip. Writers lock it, so entries chain in a single line."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = "审计链头"

    def __str__(self) -> str:
        return f"#{self.last_seq}"


class AuditEntry(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    # No FK constraint: deleting an account must never rewrite (or be blocked by) its history.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True)
    action = models.CharField("动作", max_length=32, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=100, blank=True, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=255, blank=True)
    changes = models.JSONField("字段变化", default=dict, blank=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True, db_index=True)
    user_agent = models.CharField("客户端", max_length=255, blank=True)
    request_id = models.CharField("请求编号", max_length=36, blank=True)
    via = models.CharField("途径", max_length=16, blank=True)  # web / api / task / command
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()} {self.object_repr}"

    def canonical(self) -> str:
        """The exact text the hash covers: every stored field, in a fixed order."""
        payload: dict[str, Any] = {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "request_id": self.request_id,
            "via": self.via,
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode("utf-8")).hexdigest()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("审计记录只可追加，不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("审计记录只可追加，不可删除")
