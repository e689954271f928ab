"""Notification settings: channels (e-mail, webhooks), the user's own webhooks, recent deliveries.

Everything here is the signed-in user's own: webhooks are looked up through `request.user.webhooks`,
so another user's webhook id is a 404. Writes go through the do_* functions in core.notify.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core import notify
from core.forms import StyledForm, StyledModelForm
from core.models import NotificationDelivery, NotificationPreference, WebhookEndpoint, WebhookKind

RECENT_DELIVERIES = 30


class ChannelForm(StyledForm):
    email_enabled = forms.BooleanField(
        label=NotificationPreference._meta.get_field("email_enabled").verbose_name, required=False
    )
    webhook_enabled = forms.BooleanField(
        label=NotificationPreference._meta.get_field("webhook_enabled").verbose_name, required=False
    )


class WebhookForm(StyledModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "url", "secret"]
        # Django 6's default already: an address typed without a scheme is taken as https.
        field_classes = {"url": functools.partial(forms.URLField, assume_scheme="https")}
        widgets = {"secret": forms.TextInput(attrs={"autocomplete": "off"})}
        help_texts = {
            "url": "企业微信：https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…；"
            "钉钉：https://oapi.dingtalk.com/robot/send?access_token=…；"
            "飞书：https://open.feishu.cn/open-apis/bot/v2/hook/…",
            "secret": "钉钉「加签」、飞书「签名校验」的密钥；通用 JSON 填写后按 HMAC-SHA256 签名；企业微信无需填写。",
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        # The server POSTs to this address: plain web addresses only.
        if urlsplit(url).scheme not in ("http", "https"):
            raise forms.ValidationError("地址须以 http:// 或 https:// 开头")
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == WebhookKind.WECOM and data.get("secret"):
            self.add_error("secret", "企业微信机器人不支持加签，请留空")
        if self.user.webhooks.count() >= notify.MAX_WEBHOOKS_PER_USER:
            raise forms.ValidationError(
                f"每人最多设置 {notify.MAX_WEBHOOKS_PER_USER} 个 Webhook，请先删除不用的"
            )
        return data


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    pref = notify.preference_for(user)
    channel_form = ChannelForm(
        initial={"email_enabled": pref.email_enabled, "webhook_enabled": pref.webhook_enabled}
    )
    webhook_form = WebhookForm(user=user)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "channels":
            channel_form = ChannelForm(request.POST)
            if channel_form.is_valid():
                notify.do_update_preferences(user, **channel_form.cleaned_data, acting_user=user)
                messages.success(request, "通知渠道已保存")
                return redirect("core:preferences")
        elif action == "webhook":
            webhook_form = WebhookForm(request.POST, user=user)
            if webhook_form.is_valid():
                hook = notify.do_add_webhook(user, **webhook_form.cleaned_data, acting_user=user)
                messages.success(request, f"已添加 Webhook「{hook.name}」，可点击「发送测试」检查配置")
                return redirect("core:preferences")
        else:
            messages.error(request, "无法识别的操作")
            return redirect("core:preferences")
    deliveries = (
        NotificationDelivery.objects.filter(notification__recipient=user)
        .select_related("notification")
        .order_by("-id")[:RECENT_DELIVERIES]
    )
    webhooks = list(user.webhooks.all())
    for hook in webhooks:
        # Bot URLs carry their key; the list shows the host only.
        hook.host = urlsplit(hook.url).hostname or ""
    context = {
        "page_title": "通知设置",
        "pref": pref,
        "email_address": notify.email_address(user),
        "channel_form": channel_form,
        "webhook_form": webhook_form,
        "webhooks": webhooks,
        "deliveries": deliveries,
    }
    return render(request, "core/preferences.html", context)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_object_or_404(request.user.webhooks, pk=pk)
    name = hook.name
    notify.do_delete_webhook(hook, acting_user=request.user)
    messages.success(request, f"已删除 Webhook「{name}」")
    return redirect("core:preferences")


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_object_or_404(request.user.webhooks, pk=pk)
    outcome = notify.send_test(hook)
    if outcome.ok:
        messages.success(
            request,
            f"测试消息已送达「{hook.name}」（HTTP {outcome.status_code}，{outcome.duration_ms} 毫秒）",
        )
    else:
        detail = (
            f"：{outcome.response[:200]}"
            if outcome.response and outcome.response not in outcome.error
            else ""
        )
        messages.error(request, f"发送到「{hook.name}」失败：{outcome.error}{detail}")
    return redirect("core:preferences")
