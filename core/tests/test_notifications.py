"""Notifications: webhook formats and signatures, the notify() service, delivery with retries,
the inbox and its badge, the preferences page — and real workers delivering to a local HTTP
receiver and a local SMTP sink."""

from __future__ import annotations

import base64
import datetime
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from core import notify, webhooks
from core.models import (
    AuditAction,
    AuditEntry,
    Channel,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WebhookEndpoint,
    WebhookKind,
)
from core.tasking import run_sync
from core.testing import redis_available, running_worker, wait_until

pytestmark = pytest.mark.django_db

# --- local receivers ------------------------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 (random port) that records every POST.

    `responses` is the sequence of (status, JSON body) to answer with; the last one repeats.
    """

    def __init__(self, responses: list[tuple[int, Any]] | None = None) -> None:
        self.responses = list(responses or [(200, {"errcode": 0, "errmsg": "ok"})])
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status, payload = receiver.responses[
                        min(len(receiver.requests), len(receiver.responses)) - 1
                    ]
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def json(self, index: int) -> Any:
        return json.loads(self.requests[index]["body"])

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """aiosmtpd on 127.0.0.1 keeping every message it is given."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[Any] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    @property
    def port(self) -> int:
        return self.controller.port

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()


def message(**overrides: Any) -> webhooks.Message:
    data = {
        "id": 7,
        "title": "任务即将到期",
        "body": "第一行\n第二行",
        "url": "http://yishi.example/tasks/7/",
        "level": "warning",
        "level_label": "预警",
        "category": "task",
        "created_at": "2026-03-01T09:00:00+08:00",
        "recipient": "staff_a",
        "recipient_name": "宣传科员",
    }
    return webhooks.Message(**{**data, **overrides})


NOW = 1_767_225_600.123  # a fixed clock for reproducible signatures


# --- formats and signatures (pure) ----------------------------------------------------------------


def test_generic_payload_and_signature():
    req = webhooks.build_request(
        "generic", "http://h/hook", message(), secret="s3cret", now=NOW, delivery_id=42
    )
    body = req.json()
    assert body == {
        "id": 7,
        "title": "任务即将到期",
        "body": "第一行\n第二行",
        "url": "http://yishi.example/tasks/7/",
        "level": "warning",
        "category": "task",
        "created_at": "2026-03-01T09:00:00+08:00",
        "recipient": {"username": "staff_a", "name": "宣传科员"},
    }
    assert req.url == "http://h/hook"
    assert req.headers["Content-Type"].startswith("application/json")
    assert req.headers["X-Yishi-Delivery"] == "42"
    timestamp = req.headers["X-Yishi-Timestamp"]
    assert timestamp == str(int(NOW))
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Yishi-Signature"] == f"sha256={expected}"
    unsigned = webhooks.build_request("generic", "http://h/hook", message())
    assert "X-Yishi-Signature" not in unsigned.headers


def test_wecom_markdown_payload():
    req = webhooks.build_request("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", message())
    body = req.json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("**【意识】任务即将到期**")
    assert '<font color="warning">预警</font>' in content
    assert "第一行\n第二行" in content and "[查看详情](http://yishi.example/tasks/7/)" in content
    assert req.url.endswith("?key=K")  # 企业微信 has no signing: the key stays as given
    long = webhooks.wecom_payload(message(body="长" * 5000))["markdown"]["content"]
    assert len(long.encode()) <= 4096 and long.endswith("[查看详情](http://yishi.example/tasks/7/)")


def test_dingtalk_markdown_payload_and_signing():
    url = "https://oapi.dingtalk.com/robot/send?access_token=T"
    req = webhooks.build_request("dingtalk", url, message(), secret="SEC", now=NOW)
    body = req.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "【意识】任务即将到期"
    assert body["markdown"]["text"].startswith("#### 【意识】任务即将到期")
    assert "[查看详情](http://yishi.example/tasks/7/)" in body["markdown"]["text"]
    # 钉钉 docs: timestamp in ms; sign = urlencode(base64(HMAC-SHA256(secret, "timestamp\nsecret"))).
    timestamp = int(NOW * 1000)
    digest = hmac.new(b"SEC", f"{timestamp}\nSEC".encode(), hashlib.sha256).digest()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(req.url).query)
    assert query["access_token"] == ["T"]
    assert query["timestamp"] == [str(timestamp)]
    assert query["sign"] == [base64.b64encode(digest).decode()]  # parse_qs undoes the URL-encoding
    assert f"&sign={urllib.parse.quote_plus(base64.b64encode(digest).decode())}" in req.url
    assert webhooks.build_request("dingtalk", url, message(), now=NOW).url == url  # no secret: no signing


def test_feishu_post_payload_and_signing():
    url = "https://open.feishu.cn/open-apis/bot/v2/hook/abc"
    req = webhooks.build_request("feishu", url, message(), secret="FSEC", now=NOW)
    body = req.json()
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "【意识】任务即将到期"
    texts = [item for line in post["content"] for item in line]
    assert {"tag": "text", "text": "第一行"} in texts and {"tag": "text", "text": "第二行"} in texts
    assert {"tag": "a", "text": "查看详情", "href": "http://yishi.example/tasks/7/"} in texts
    # 飞书 docs: timestamp in seconds; sign = base64(HMAC-SHA256(key="timestamp\nsecret", msg="")).
    timestamp = int(NOW)
    digest = hmac.new(f"{timestamp}\nFSEC".encode(), b"", hashlib.sha256).digest()
    assert body["timestamp"] == str(timestamp)
    assert body["sign"] == base64.b64encode(digest).decode()
    assert req.url == url
    assert "sign" not in webhooks.build_request("feishu", url, message()).json()


@pytest.mark.parametrize(
    ("kind", "status", "text", "ok"),
    [
        ("generic", 200, "", True),
        ("generic", 204, "", True),
        ("generic", 500, "oops", False),
        ("wecom", 200, '{"errcode":0,"errmsg":"ok"}', True),
        ("wecom", 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', False),
        ("wecom", 200, "not json", False),
        ("dingtalk", 200, '{"errcode":0,"errmsg":"ok"}', True),
        ("dingtalk", 200, '{"errcode":310000,"errmsg":"sign not match"}', False),
        ("dingtalk", 200, "{}", False),
        ("feishu", 200, '{"code":0,"msg":"success","data":{}}', True),
        ("feishu", 200, '{"StatusCode":0,"StatusMessage":"success"}', True),
        ("feishu", 200, '{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}', False),
        ("feishu", 502, '{"code":0}', False),
    ],
)
def test_response_conventions(kind, status, text, ok):
    error = webhooks.interpret_response(kind, status, text)
    assert (error == "") is ok
    if kind == "wecom" and status == 200 and not ok and "errcode" in text:
        assert "93000" in error


def test_truncation_never_splits_a_character():
    assert webhooks.truncate_bytes("中文" * 10, 7) == "中…"
    assert webhooks.truncate_bytes("abc", 10) == "abc"


def test_post_reports_connection_errors_without_raising():
    result = webhooks.post(webhooks.WebhookRequest(f"http://127.0.0.1:{free_port()}/", b"{}"), timeout=2)
    assert result.status_code is None and result.error.startswith("连接失败")
    assert webhooks.post(webhooks.WebhookRequest("file:///etc/passwd", b"")).error.startswith("不支持")


# --- notify() and deliver() in-process ------------------------------------------------------------


def test_notify_writes_inbox_and_queues_per_preferences(world, django_capture_on_commit_callbacks):
    world.staff_a.person.email = "staff_a@example.gov.cn"  # only the person record has an address
    world.staff_a.person.save()
    notify.do_update_preferences(
        world.staff_a, email_enabled=True, webhook_enabled=True, acting_user=world.staff_a
    )
    hooks = [
        WebhookEndpoint.objects.create(
            user=world.staff_a, name="群一", kind="wecom", url="https://qyapi.weixin.qq.com/x?key=1"
        ),
        WebhookEndpoint.objects.create(
            user=world.staff_a, name="群二", kind="feishu", url="https://open.feishu.cn/h/2"
        ),
    ]
    WebhookEndpoint.objects.create(user=world.staff_a, name="停用", url="https://h/3", is_active=False)
    world.staff_b.email = "b@example.gov.cn"
    world.staff_b.save()  # has an address but never opted in
    with django_capture_on_commit_callbacks() as callbacks:
        notes = notify.notify(
            [world.staff_a, world.staff_b, world.staff_a, None],
            "请报送进展",
            "本周五前",
            url="/x/",
            level="reminder",
            category="task",
        )
    assert [n.recipient for n in notes] == [world.staff_a, world.staff_b]
    assert Notification.objects.filter(title="请报送进展").count() == 2
    deliveries = NotificationDelivery.objects.filter(notification__recipient=world.staff_a).order_by("id")
    assert [(d.channel, d.target, d.webhook_id) for d in deliveries] == [
        (Channel.EMAIL, "staff_a@example.gov.cn", None),
        (Channel.WEBHOOK, "群一（qyapi.weixin.qq.com）", hooks[0].pk),
        (Channel.WEBHOOK, "群二（open.feishu.cn）", hooks[1].pk),
    ]
    assert not NotificationDelivery.objects.filter(notification__recipient=world.staff_b).exists()
    # The default preference is created (both channels off), as the system user.
    pref = NotificationPreference.objects.get(user=world.staff_b)
    assert (pref.email_enabled, pref.webhook_enabled) == (False, False)
    entry = AuditEntry.objects.get(object_type="core.notificationpreference", object_id=str(pref.pk))
    assert entry.actor_name == "系统"
    assert len(callbacks) == 3  # one enqueue per delivery, after commit
    with pytest.raises(ValueError):
        notify.notify([world.staff_a], "x", level="bogus")


def test_deliver_email_in_process_and_idempotent(world, django_capture_on_commit_callbacks):
    world.head_a.email = "head_a@example.gov.cn"
    world.head_a.save()
    notify.do_update_preferences(
        world.head_a, email_enabled=True, webhook_enabled=False, acting_user=world.head_a
    )
    with django_capture_on_commit_callbacks():
        (note,) = notify.notify([world.head_a], "审计\n日志", "正文内容", level="urgent")
    delivery = note.deliveries.get()
    assert run_sync(notify.deliver, delivery.pk) == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "【意识】审计 日志" and sent.to == ["head_a@example.gov.cn"]
    assert "正文内容" in sent.body and "http://" in sent.body and "紧急" in sent.body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1) and delivery.sent_at
    attempt = delivery.attempt_log.get()
    assert attempt.ok and attempt.number == 1
    # Queued twice (e.g. a re-delivered job): the second run sends nothing.
    assert run_sync(notify.deliver, delivery.pk).startswith("skipped")
    assert len(mail.outbox) == 1 and delivery.attempt_log.count() == 1
    assert run_sync(notify.deliver, 999999) == "missing"


def test_failed_webhook_attempt_is_recorded_and_retried(world, django_capture_on_commit_callbacks):
    with Receiver([(500, {"error": "busy"})]) as r:
        notify.do_update_preferences(
            world.staff_a, email_enabled=False, webhook_enabled=True, acting_user=world.staff_a
        )
        WebhookEndpoint.objects.create(user=world.staff_a, name="本地", url=r.url + "/hook")
        with django_capture_on_commit_callbacks():
            (note,) = notify.notify([world.staff_a], "重试测试")
        delivery = note.deliveries.get()
        with django_capture_on_commit_callbacks() as retries:
            assert run_sync(notify.deliver, delivery.pk) == "retrying"
    assert len(retries) == 1  # the next try is queued (with run_after) once this attempt is saved
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.RETRYING,
        1,
        "HTTP 500",
    )
    attempt = delivery.attempt_log.get()
    assert (attempt.ok, attempt.status_code, attempt.number) == (False, 500, 1)
    assert "busy" in attempt.response
    assert r.requests[0]["headers"]["X-Yishi-Delivery"] == str(delivery.pk)


@override_settings(YISHI_NOTIFY_RETRY_SECONDS=30)
def test_backoff_doubles():
    assert [notify.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]


def test_deleted_webhook_fails_without_retry(world, django_capture_on_commit_callbacks):
    notify.do_update_preferences(
        world.staff_a, email_enabled=False, webhook_enabled=True, acting_user=world.staff_a
    )
    hook = WebhookEndpoint.objects.create(user=world.staff_a, name="将删除", url="http://127.0.0.1:9/")
    with django_capture_on_commit_callbacks():
        (note,) = notify.notify([world.staff_a], "删除测试")
    notify.do_delete_webhook(hook, acting_user=world.staff_a)
    delivery = note.deliveries.get()
    with django_capture_on_commit_callbacks() as retries:
        assert run_sync(notify.deliver, delivery.pk) == "failed"
    assert not retries
    delivery.refresh_from_db()
    assert delivery.last_error == "Webhook 已删除" and delivery.attempt_log.count() == 1


# --- inbox ----------------------------------------------------------------------------------------


def test_badge_counts_unread(world, login, client):
    notes = (
        notify.notify([world.staff_a], "一")
        + notify.notify([world.staff_a], "二")
        + notify.notify([world.staff_a], "三")
    )
    notify.notify([world.staff_b], "别人的")
    login(world.staff_a)
    response = client.get(reverse("core:inbox_badge"))
    assert response.status_code == 200 and 'data-unread="3"' in response.content.decode()
    response = client.post(reverse("core:inbox_read", args=[notes[0].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "inbox-changed"
    assert 'data-unread="2"' in client.get(reverse("core:inbox_badge")).content.decode()
    client.post(reverse("core:inbox_read_all"))
    assert "data-unread" not in client.get(reverse("core:inbox_badge")).content.decode()


def test_cannot_read_or_mark_another_users_notification(world, login, client):
    (theirs,) = notify.notify([world.staff_b], "信息科内部通知")
    login(world.staff_a)
    assert client.post(reverse("core:inbox_read", args=[theirs.pk])).status_code == 404
    assert "信息科内部通知" not in client.get(reverse("core:inbox")).content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get(reverse("core:inbox_read", args=[theirs.pk])).status_code == 405


def test_mark_read_never_redirects_off_site(world, login, client):
    (outside,) = notify.notify([world.staff_a], "外链", url="https://evil.example/")
    (inside,) = notify.notify([world.staff_a], "站内", url="/calendar/")
    login(world.staff_a)
    assert client.post(reverse("core:inbox_read", args=[outside.pk])).url == reverse("core:inbox")
    assert client.post(reverse("core:inbox_read", args=[inside.pk])).url == "/calendar/"


def test_inbox_filters_by_level_and_category(world, login, client):
    notify.notify([world.staff_a], "紧急任务", level="urgent", category="task")
    notify.notify([world.staff_a], "舆情预警", level="warning", category="monitor")
    login(world.staff_a)
    page = client.get(reverse("core:inbox"), {"level": "urgent"}).content.decode()
    assert "紧急任务" in page and "舆情预警" not in page
    page = client.get(reverse("core:inbox"), {"category": "monitor"}).content.decode()
    assert "舆情预警" in page and "紧急任务" not in page


# --- preferences page -----------------------------------------------------------------------------


def test_preferences_changes_are_audited(world, login, client):
    user = world.staff_a
    login(user)
    url = reverse("core:preferences")
    assert client.get(url).status_code == 200
    assert not NotificationPreference.objects.filter(user=user).exists()  # reading writes nothing

    response = client.post(url, {"action": "channels", "email_enabled": "on"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.email_enabled, pref.webhook_enabled) == (True, False)
    client.post(url, {"action": "channels", "webhook_enabled": "on"})
    pref.refresh_from_db()
    assert (pref.email_enabled, pref.webhook_enabled) == (False, True)
    entries = AuditEntry.objects.filter(
        object_type="core.notificationpreference", object_id=str(pref.pk)
    ).order_by("seq")
    assert [e.action for e in entries] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert all(e.actor_id == user.pk and e.via == "web" for e in entries)
    assert entries[1].changes == {"email_enabled": [True, False], "webhook_enabled": [False, True]}

    response = client.post(
        url,
        {
            "action": "webhook",
            "name": "科室群",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=TOKEN4711",
            "secret": "SECabc",
        },
    )
    assert response.status_code == 302
    hook = user.webhooks.get()
    assert (hook.name, hook.kind, hook.secret) == ("科室群", "dingtalk", "SECabc")
    created = AuditEntry.objects.get(object_type="core.webhookendpoint", action=AuditAction.CREATE)
    assert created.actor_id == user.pk and created.changes["secret"] == ["", "******"]
    page = client.get(url).content.decode()
    assert "科室群" in page and "TOKEN4711" not in page  # the key in the URL is not shown

    assert client.post(reverse("core:webhook_delete", args=[hook.pk])).status_code == 302
    assert not user.webhooks.exists()
    deleted = AuditEntry.objects.get(object_type="core.webhookendpoint", action=AuditAction.DELETE)
    assert deleted.actor_id == user.pk and deleted.object_repr.startswith("科室群")


def test_webhook_form_validation(world, login, client):
    login(world.staff_a)
    url = reverse("core:preferences")
    response = client.post(url, {"action": "webhook", "name": "x", "kind": "generic", "url": "ftp://h/x"})
    assert response.status_code == 200 and not WebhookEndpoint.objects.exists()
    response = client.post(
        url, {"action": "webhook", "name": "x", "kind": "wecom", "url": "https://q/x?key=1", "secret": "s"}
    )
    assert "企业微信机器人不支持加签" in response.content.decode()


def test_users_only_touch_their_own_webhooks(world, login, client):
    theirs = WebhookEndpoint.objects.create(user=world.staff_b, name="别人的", url="http://127.0.0.1:9/")
    login(world.staff_a)
    assert client.post(reverse("core:webhook_delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("core:webhook_test", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("core:webhook_delete", args=[theirs.pk])).status_code in (404, 405)
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()


def test_send_test_button(world, login, client):
    with (
        Receiver([(200, {"code": 0, "msg": "success"})]) as ok,
        Receiver([(200, {"code": 19021, "msg": "sign match fail"})]) as bad,
    ):
        good_hook = WebhookEndpoint.objects.create(
            user=world.staff_a, name="好", kind="feishu", url=ok.url + "/hook", secret="k"
        )
        bad_hook = WebhookEndpoint.objects.create(
            user=world.staff_a, name="坏", kind="feishu", url=bad.url + "/hook"
        )
        login(world.staff_a)
        response = client.post(reverse("core:webhook_test", args=[good_hook.pk]), follow=True)
        assert "测试消息已送达「好」" in response.content.decode()
        body = ok.json(0)
        assert (
            body["msg_type"] == "post"
            and body["sign"]
            and "测试消息" in body["content"]["post"]["zh_cn"]["title"]
        )
        response = client.post(reverse("core:webhook_test", args=[bad_hook.pk]), follow=True)
        assert "发送到「坏」失败" in response.content.decode() and "19021" in response.content.decode()


def test_preferences_page_lists_recent_deliveries(world, login, client, django_capture_on_commit_callbacks):
    world.staff_a.email = "a@example.gov.cn"
    world.staff_a.save()
    notify.do_update_preferences(
        world.staff_a, email_enabled=True, webhook_enabled=False, acting_user=world.staff_a
    )
    with django_capture_on_commit_callbacks():
        (note,) = notify.notify([world.staff_a], "投递列表测试")
    run_sync(notify.deliver, note.deliveries.get().pk)
    login(world.staff_a)
    page = client.get(reverse("core:preferences")).content.decode()
    assert "投递列表测试" in page and "已发送" in page and 'data-attempts="1"' in page


# --- real workers ---------------------------------------------------------------------------------

REDIS_TEST_DB = 11  # a Redis database of its own, so other suites' workers never take these jobs
BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES},
    "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": settings.TASK_QUEUES},
}


@pytest.fixture(params=["database", "redis"])
def backend(request):
    overrides: dict[str, Any] = {
        "YISHI_TASK_BACKEND": request.param,
        "TASKS": {"default": BACKENDS[request.param]},
    }
    extra_env: dict[str, str] = {}
    if request.param == "redis":
        if not redis_available():
            pytest.skip("Redis 不可用")
        import redis

        redis_url = urllib.parse.urlunsplit(
            urllib.parse.urlsplit(settings.REDIS_URL)._replace(path=f"/{REDIS_TEST_DB}")
        )
        redis.Redis.from_url(redis_url).flushdb()  # our own database: no jobs or scheduler locks left over
        overrides["REDIS_URL"] = redis_url
        overrides["RQ_QUEUES"] = {
            name: {"URL": redis_url, "DEFAULT_TIMEOUT": 600} for name in settings.TASK_QUEUES
        }
        extra_env["REDIS_URL"] = redis_url
    with override_settings(**overrides):
        yield request.param, extra_env


def _worker_env(sink: SmtpSink | None, extra: dict[str, str], **more: str) -> dict[str, str]:
    env = {"YISHI_NOTIFY_RETRY_SECONDS": "1", "YISHI_SITE_URL": "http://yishi.test", **extra, **more}
    if sink is not None:
        env |= {
            "YISHI_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "YISHI_EMAIL_HOST": "127.0.0.1",
            "YISHI_EMAIL_PORT": str(sink.port),
            "YISHI_EMAIL_TLS": "0",
            "YISHI_EMAIL_SSL": "0",
            "YISHI_EMAIL_USER": "",
            "YISHI_EMAIL_PASSWORD": "",
        }
    return env


def _finished(*deliveries: NotificationDelivery) -> bool:
    return all(
        NotificationDelivery.objects.get(pk=d.pk).status in (DeliveryStatus.SENT, DeliveryStatus.FAILED)
        for d in deliveries
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_delivers_webhooks_and_email(world, backend):
    name, extra = backend
    user = world.staff_a
    user.email = "staff_a@example.gov.cn"
    user.save()
    notify.do_update_preferences(user, email_enabled=True, webhook_enabled=True, acting_user=user)
    with Receiver() as r, SmtpSink() as sink:
        WebhookEndpoint.objects.create(
            user=user, name="通用", kind=WebhookKind.GENERIC, url=r.url + "/generic", secret="g"
        )
        WebhookEndpoint.objects.create(
            user=user, name="钉钉", kind=WebhookKind.DINGTALK, url=r.url + "/ding?access_token=t", secret="d"
        )
        with override_settings(
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=sink.port, YISHI_SITE_URL="http://yishi.test"
        ):
            (note,) = notify.notify(
                [user], "宣传任务提醒", "请于周五前报送", url="/tasks/1/", level="reminder", category="task"
            )
            deliveries = list(note.deliveries.order_by("id"))
            assert [d.channel for d in deliveries] == ["email", "webhook", "webhook"]
            with running_worker(name, extra_env=_worker_env(sink, extra)):
                wait_until(lambda: _finished(*deliveries), timeout=60)
        for d in deliveries:
            d.refresh_from_db()
            assert (d.status, d.attempts) == (DeliveryStatus.SENT, 1), (d.channel, d.last_error)
            assert d.attempt_log.get().ok
        by_path = {req["path"].split("?")[0]: req for req in r.requests}
        generic = json.loads(by_path["/generic"]["body"])
        assert generic["title"] == "宣传任务提醒" and generic["url"] == "http://yishi.test/tasks/1/"
        assert generic["recipient"]["username"] == "staff_a" and generic["level"] == "reminder"
        assert by_path["/generic"]["headers"]["X-Yishi-Signature"].startswith("sha256=")
        ding = by_path["/ding"]
        assert "timestamp=" in ding["path"] and "sign=" in ding["path"]
        assert json.loads(ding["body"])["markdown"]["title"] == "【意识】宣传任务提醒"
        assert len(sink.messages) == 1
        mail_msg = sink.messages[0]
        assert mail_msg["Subject"] == "【意识】宣传任务提醒"
        assert sink.envelopes[0].rcpt_tos == ["staff_a@example.gov.cn"]
        assert "请于周五前报送" in mail_msg.get_body().get_content()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_retries_until_the_receiver_accepts(world, backend):
    name, extra = backend
    user = world.staff_b
    notify.do_update_preferences(user, email_enabled=False, webhook_enabled=True, acting_user=user)
    responses = [(500, {"error": "down"}), (500, {"error": "down"}), (200, {"errcode": 0, "errmsg": "ok"})]
    with Receiver(responses) as r:
        WebhookEndpoint.objects.create(
            user=user, name="企业微信", kind=WebhookKind.WECOM, url=r.url + "/send?key=k"
        )
        (note,) = notify.notify([user], "重试直到成功")
        delivery = note.deliveries.get()
        with running_worker(name, extra_env=_worker_env(None, extra, YISHI_NOTIFY_MAX_ATTEMPTS="4")):
            wait_until(lambda: _finished(delivery), timeout=60)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.ok, a.status_code) for a in log] == [
        (1, False, 500),
        (2, False, 500),
        (3, True, 200),
    ]
    assert len(r.requests) == 3
    # The backoff was honoured: the second try came at least RETRY_SECONDS (1 s) after the first.
    assert log[1].at - log[0].at >= datetime.timedelta(seconds=0.9)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_gives_up_after_max_attempts(world, backend):
    name, extra = backend
    user = world.head_b
    notify.do_update_preferences(user, email_enabled=False, webhook_enabled=True, acting_user=user)
    with Receiver([(200, {"code": 9499, "msg": "Bad Request"})]) as r:  # 飞书 refusing with HTTP 200
        WebhookEndpoint.objects.create(user=user, name="飞书", kind=WebhookKind.FEISHU, url=r.url + "/hook/x")
        (note,) = notify.notify([user], "一直失败")
        delivery = note.deliveries.get()
        with running_worker(name, extra_env=_worker_env(None, extra, YISHI_NOTIFY_MAX_ATTEMPTS="3")):
            wait_until(lambda: _finished(delivery), timeout=60)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert delivery.last_error == "code=9499 Bad Request"
    assert list(delivery.attempt_log.values_list("number", "ok")) == [(1, False), (2, False), (3, False)]
    assert len(r.requests) == 3
