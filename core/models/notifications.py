"""Notifications: an in-app inbox, plus e-mail and webhook deliveries with every attempt recorded."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel


class Channel(models.TextChoices):
    INBOX = "inbox", "站内信"
    EMAIL = "email", "电子邮件"
    WEBHOOK = "webhook", "Webhook"


class WebhookKind(models.TextChoices):
    GENERIC = "generic", "通用 JSON"
    WECOM = "wecom", "企业微信机器人"
    DINGTALK = "dingtalk", "钉钉机器人"
    FEISHU = "feishu", "飞书机器人"


class Level(models.TextChoices):
    INFO = "info", "通知"
    REMINDER = "reminder", "提醒"
    WARNING = "warning", "预警"
    URGENT = "urgent", "紧急"


class NotificationPreference(AuditedModel, TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference", verbose_name="用户"
    )
    # The inbox is always on: it is the record of what was sent.
    email_enabled = models.BooleanField("接收电子邮件", default=False)
    webhook_enabled = models.BooleanField("推送到 Webhook", default=False)

    class Meta:
        verbose_name = "通知偏好"

    def __str__(self) -> str:
        return f"{self.user} 的通知偏好"


class WebhookEndpoint(AuditedModel, TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks", verbose_name="用户"
    )
    name = models.CharField("名称", max_length=64)
    kind = models.CharField("格式", max_length=16, choices=WebhookKind.choices, default=WebhookKind.GENERIC)
    url = models.URLField("地址", max_length=500)
    secret = models.CharField("签名密钥", max_length=200, blank=True, help_text="钉钉/飞书加签密钥，可留空")
    is_active = models.BooleanField("启用", default=True)

    audit_secret = ("secret",)

    class Meta:
        verbose_name = "Webhook"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name="收件人"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=500, blank=True)
    level = models.CharField("级别", max_length=16, choices=Level.choices, default=Level.INFO)
    category = models.CharField("类别", max_length=32, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    RETRYING = "retrying", "重试中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class NotificationDelivery(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    webhook = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL)
    target = models.CharField("目标", max_length=500)
    status = models.CharField("状态", max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "通知投递"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.target}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(NotificationDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField("第几次")
    at = models.DateTimeField("时间", auto_now_add=True)
    ok = models.BooleanField("成功")
    status_code = models.IntegerField("响应码", null=True, blank=True)
    response = models.TextField("响应摘要", blank=True)
    error = models.TextField("错误", blank=True)
    duration_ms = models.PositiveIntegerField("耗时(毫秒)", default=0)

    class Meta:
        verbose_name = "投递尝试"
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"第 {self.number} 次：{'成功' if self.ok else '失败'}"
