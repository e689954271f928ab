"""Notifications: the one way any part of Yishi tells people something.

`notify()` always writes the in-app inbox (the record of what was sent), then, per recipient's
preference, queues e-mail and webhook deliveries. A background task `deliver` sends each one,
records EVERY attempt (DeliveryAttempt), and on failure re-queues itself with a doubling delay until
YISHI_NOTIFY_MAX_ATTEMPTS, then marks the delivery failed. Webhook formats live in core.webhooks.

The `do_*` functions are the only write paths of the preferences page; the models are audited, so
each change lands in the audit log with the acting user.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import webhooks
from core.audit import audit_context, current, system_context
from core.models import (
    Channel,
    DeliveryAttempt,
    DeliveryStatus,
    Level,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    User,
    WebhookEndpoint,
)
from core.tasking import enqueue_on_commit, task

EMAIL_SUBJECT_PREFIX = "【意识】"
QUEUE = "notifications"
ERROR_MAX = 2000  # characters of an error kept on the delivery and on each attempt
FINISHED = (DeliveryStatus.SENT, DeliveryStatus.FAILED)
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


@dataclass
class Outcome:
    """The result of one sending attempt."""

    ok: bool
    status_code: int | None = None
    response: str = ""
    error: str = ""
    duration_ms: int = 0
    retry: bool = True  # False when trying again cannot help (endpoint deleted, no address)


# --- helpers --------------------------------------------------------------------------------------


def absolute_url(url: str = "") -> str:
    """Links leave the site in e-mails and webhooks, so they must be absolute; default: the inbox."""
    if url.startswith(("http://", "https://")):
        return url
    site = settings.YISHI_SITE_URL.rstrip("/")
    return f"{site}/{(url or reverse('core:inbox')).lstrip('/')}"


def email_address(user: Any) -> str:
    """The account's e-mail, else the one on the person record, else ''."""
    if getattr(user, "email", ""):
        return user.email
    try:
        return user.person.email or ""
    except (ObjectDoesNotExist, AttributeError):
        return ""


def message_for(notification: Notification) -> webhooks.Message:
    recipient = notification.recipient
    return webhooks.Message(
        id=notification.pk,
        title=notification.title,
        body=notification.body,
        url=absolute_url(notification.url),
        level=notification.level,
        level_label=notification.get_level_display(),
        category=notification.category,
        created_at=timezone.localtime(notification.created_at).isoformat() if notification.created_at else "",
        recipient=recipient.username,
        recipient_name=str(recipient),
    )


def _webhook_target(webhook: WebhookEndpoint) -> str:
    # Bot URLs carry their key (?key=, ?access_token=, /hook/<token>): show the name and host only.
    from urllib.parse import urlsplit

    return f"{webhook.name}（{urlsplit(webhook.url).hostname or '?'}）"[:500]


# --- the service ----------------------------------------------------------------------------------


def notify(
    recipients: Iterable[User],
    title: str,
    body: str = "",
    *,
    url: str = "",
    level: str = "info",
    category: str = "",
) -> list[Notification]:
    """Tell each recipient something: inbox always, e-mail and webhooks as each one chose.

    Runs in one transaction; deliveries are queued only once it commits, so a rolled-back caller
    sends nothing. Returns the inbox rows in recipient order (duplicates and None dropped).
    """
    if level not in Level.values:
        raise ValueError(f"unknown level {level!r}")
    ids = list(dict.fromkeys(u.pk for u in recipients if u is not None and u.pk is not None))
    if not ids:
        return []
    title, url, category = title[:200], url[:500], category[:32]  # the columns' lengths
    with transaction.atomic():
        users = {
            u.pk: u
            for u in User.objects.filter(pk__in=ids).select_related("person", "notification_preference")
        }
        ids = [pk for pk in ids if pk in users]
        prefs = _preferences(users)
        notes = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=users[pk], title=title, body=body, url=url, level=level, category=category
                )
                for pk in ids
            ]
        )
        hooks: dict[int, list[WebhookEndpoint]] = {}
        webhook_users = [pk for pk in ids if prefs[pk].webhook_enabled and users[pk].is_active]
        for hook in WebhookEndpoint.objects.filter(user_id__in=webhook_users, is_active=True):
            hooks.setdefault(hook.user_id, []).append(hook)
        deliveries: list[NotificationDelivery] = []
        for note in notes:
            user = users[note.recipient_id]
            if not user.is_active:  # the inbox keeps the record; nothing leaves for a disabled account
                continue
            address = email_address(user) if prefs[user.pk].email_enabled else ""
            if address:
                deliveries.append(
                    NotificationDelivery(notification=note, channel=Channel.EMAIL, target=address[:500])
                )
            for hook in hooks.get(user.pk, []):
                deliveries.append(
                    NotificationDelivery(
                        notification=note, channel=Channel.WEBHOOK, webhook=hook, target=_webhook_target(hook)
                    )
                )
        for delivery in NotificationDelivery.objects.bulk_create(deliveries):
            enqueue_on_commit(deliver, delivery.pk)
    return notes


def _preferences(users: dict[int, User]) -> dict[int, NotificationPreference]:
    """Each user's preference, creating the default (e-mail and webhooks off) where missing."""
    prefs: dict[int, NotificationPreference] = {}
    missing = []
    for pk, user in users.items():
        try:
            prefs[pk] = user.notification_preference
        except ObjectDoesNotExist:
            missing.append(user)
    if missing:
        # The defaults are the system's doing, not the caller's: audit them as the system user.
        with system_context(via=current().via or "task"):
            for user in missing:
                prefs[user.pk], _ = NotificationPreference.objects.get_or_create(user=user)
    return prefs


# --- sending --------------------------------------------------------------------------------------


@task(queue_name=QUEUE)
def deliver(delivery_id: int) -> str:
    """Send one delivery once; schedule the next try on failure. Safe to run twice."""
    with system_context():
        return _deliver(delivery_id)


def _deliver(delivery_id: int) -> str:
    delivery = (
        NotificationDelivery.objects.select_related("notification__recipient", "webhook")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "missing"
    if delivery.status in FINISHED:
        return f"skipped: {delivery.status}"
    # Claim this attempt with a compare-and-set on the counter: if the task was queued twice, only
    # one run sends. No lock is held while talking to the network.
    number = delivery.attempts + 1
    claimed = NotificationDelivery.objects.filter(
        pk=delivery.pk, attempts=delivery.attempts, status__in=OPEN
    ).update(attempts=number)
    if not claimed:
        return "skipped: claimed elsewhere"
    outcome = _attempt(delivery)
    max_attempts = max(int(settings.YISHI_NOTIFY_MAX_ATTEMPTS), 1)
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            ok=outcome.ok,
            status_code=outcome.status_code,
            response=outcome.response[: webhooks.RESPONSE_EXCERPT],
            error=outcome.error[:ERROR_MAX],
            duration_ms=max(outcome.duration_ms, 0),
        )
        if outcome.ok:
            status, fields = DeliveryStatus.SENT, {"sent_at": now, "last_error": ""}
        elif outcome.retry and number < max_attempts:
            status, fields = DeliveryStatus.RETRYING, {"last_error": outcome.error[:ERROR_MAX]}
            _schedule_retry(delivery.pk, number)
        else:
            status, fields = DeliveryStatus.FAILED, {"last_error": outcome.error[:ERROR_MAX]}
        NotificationDelivery.objects.filter(pk=delivery.pk).update(status=status, **fields)
    return str(status)


def retry_delay(attempt: int) -> datetime.timedelta:
    """Wait before the try after `attempt`: YISHI_NOTIFY_RETRY_SECONDS, doubling each time."""
    return datetime.timedelta(seconds=int(settings.YISHI_NOTIFY_RETRY_SECONDS) * 2 ** (attempt - 1))


def _schedule_retry(delivery_id: int, attempt: int) -> None:
    if deliver.get_backend().supports_defer:
        enqueue_on_commit(deliver.using(run_after=timezone.now() + retry_delay(attempt)), delivery_id)
    else:  # e.g. the immediate backend in development: retry at once rather than never
        enqueue_on_commit(deliver, delivery_id)


def _attempt(delivery: NotificationDelivery) -> Outcome:
    started = time.monotonic()
    try:
        if delivery.channel == Channel.EMAIL:
            outcome = _send_email(delivery)
        elif delivery.channel == Channel.WEBHOOK:
            outcome = _send_webhook(delivery)
        else:
            outcome = Outcome(False, error=f"未知渠道：{delivery.channel}", retry=False)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a recorded attempt, never a lost one
        outcome = Outcome(False, error=f"{exc.__class__.__name__}: {exc}")
    if not outcome.duration_ms:
        outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def email_message(notification: Notification, to: str) -> EmailMessage:
    # Header injection guard: Django refuses newlines in the subject, so fold them.
    subject = EMAIL_SUBJECT_PREFIX + " ".join(notification.title.split())
    lines = [f"{notification.recipient}：", ""]
    if notification.body:
        lines += [notification.body, ""]
    lines += [f"级别：{notification.get_level_display()}"]
    if notification.category:
        lines += [f"类别：{notification.category}"]
    lines += [
        f"查看详情：{absolute_url(notification.url)}",
        "",
        "—— 意识 · 意识形态工作平台（系统自动发送，请勿回复）",
    ]
    return EmailMessage(
        subject=subject, body="\n".join(lines), from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )


def _send_email(delivery: NotificationDelivery) -> Outcome:
    if not delivery.target:
        return Outcome(False, error="收件人没有邮箱地址", retry=False)
    started = time.monotonic()
    sent = email_message(delivery.notification, delivery.target).send(fail_silently=False)
    duration = int((time.monotonic() - started) * 1000)
    if not sent:
        return Outcome(False, error="邮件服务器未接收", duration_ms=duration)
    return Outcome(
        True, response=f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT} 已接收", duration_ms=duration
    )


def _send_webhook(delivery: NotificationDelivery) -> Outcome:
    hook = delivery.webhook
    if hook is None:
        return Outcome(False, error="Webhook 已删除", retry=False)
    if not hook.is_active:
        return Outcome(False, error="Webhook 已停用", retry=False)
    request = webhooks.build_request(
        hook.kind, hook.url, message_for(delivery.notification), secret=hook.secret, delivery_id=delivery.pk
    )
    return _post(hook.kind, request)


def _post(kind: str, request: webhooks.WebhookRequest) -> Outcome:
    result = webhooks.post(request)
    error = result.error or webhooks.interpret_response(kind, result.status_code, result.text)
    return Outcome(not error, result.status_code, result.text, error, result.duration_ms)


def send_test(webhook: WebhookEndpoint) -> Outcome:
    """Send a test message now (the "发送测试" button): the user sees the receiver's answer at once."""
    message = webhooks.Message(
        title="测试消息",
        body="这是一条来自意识平台的测试消息。收到即表示 Webhook 配置正确。",
        url=absolute_url(reverse("core:preferences")),
        level=Level.INFO,
        level_label=Level.INFO.label,
        category="test",
        created_at=timezone.localtime().isoformat(),
        recipient=webhook.user.username,
        recipient_name=str(webhook.user),
    )
    return _post(
        webhook.kind, webhooks.build_request(webhook.kind, webhook.url, message, secret=webhook.secret)
    )


# --- preferences (write paths of the preferences page) --------------------------------------------


def preference_for(user: User) -> NotificationPreference:
    """The user's preference; an unsaved default when none exists (reading never writes)."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def do_update_preferences(
    user: User, *, email_enabled: bool, webhook_enabled: bool, acting_user: Any
) -> NotificationPreference:
    with transaction.atomic(), audit_context(actor=acting_user):
        values = {"email_enabled": bool(email_enabled), "webhook_enabled": bool(webhook_enabled)}
        # Created with the chosen values, so a first save is one "create" entry, not create + update.
        pref, created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user, defaults=values
        )
        if not created:
            for name, value in values.items():
                setattr(pref, name, value)
            pref.save()  # audited; an unchanged save writes no entry
    return pref


MAX_WEBHOOKS_PER_USER = 10


def do_add_webhook(
    user: User, *, name: str, kind: str, url: str, secret: str = "", acting_user: Any
) -> WebhookEndpoint:
    with transaction.atomic(), audit_context(actor=acting_user):
        return WebhookEndpoint.objects.create(user=user, name=name, kind=kind, url=url, secret=secret)


def do_delete_webhook(webhook: WebhookEndpoint, *, acting_user: Any) -> None:
    # Queued deliveries to it keep their row (webhook set to NULL) and fail as "Webhook 已删除".
    with transaction.atomic(), audit_context(actor=acting_user):
        webhook.delete()
