"""Webhook formats: what each receiver expects, how it is signed, and how it says "received".

Pure functions (no database): `build_request` turns a `Message` into the exact HTTP request for one
webhook kind, `interpret_response` reads the receiver's answer by that kind's convention, `post`
sends it with the standard library. core.notify uses them for deliveries and the "send test" button.

Kinds:
- generic  — our own JSON document; optional HMAC-SHA256 signature in headers (see docs).
- wecom    — 企业微信群机器人 markdown; no signing (the key is in the URL); success is errcode 0.
- dingtalk — 钉钉自定义机器人 markdown; optional 加签 as timestamp/sign query parameters; errcode 0.
- feishu   — 飞书自定义机器人 rich-text post; optional 签名校验 as timestamp/sign in the body; code 0.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

HTTP_TIMEOUT = 10  # seconds; a slow receiver must not hold a worker for long
RESPONSE_EXCERPT = 500  # characters of the receiver's answer kept on each attempt
USER_AGENT = "Yishi-Notify/1.0"

# Limits of the bot APIs (bytes of UTF-8): 企业微信 markdown content ≤ 4096, 钉钉 text ≤ 20000,
# 飞书 request body ≤ 20 KB. Bodies are cut a little below so titles and links always fit.
WECOM_MAX_BYTES = 4000
DINGTALK_MAX_BYTES = 18000
FEISHU_MAX_BYTES = 18000

GENERIC, WECOM, DINGTALK, FEISHU = "generic", "wecom", "dingtalk", "feishu"
KINDS = (GENERIC, WECOM, DINGTALK, FEISHU)


@dataclass(frozen=True)
class Message:
    """One notification as the outside world sees it (absolute link, labels resolved)."""

    title: str
    body: str = ""
    url: str = ""  # absolute
    level: str = "info"
    level_label: str = "通知"
    category: str = ""
    created_at: str = ""  # ISO 8601
    recipient: str = ""  # username
    recipient_name: str = ""
    id: int | None = None  # the notification's id: lets receivers drop duplicates after retries


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpResult:
    status_code: int | None
    text: str = ""
    error: str = ""
    duration_ms: int = 0


def truncate_bytes(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` UTF-8 bytes without splitting a character."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: max(limit - 3, 0)].decode("utf-8", "ignore") + "…"


def _title(message: Message) -> str:
    # The prefix also satisfies a 钉钉/飞书 "custom keyword" security setting of 意识.
    return f"【意识】{message.title}"


# --- payloads -------------------------------------------------------------------------------------


def generic_payload(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "title": message.title,
        "body": message.body,
        "url": message.url,
        "level": message.level,
        "category": message.category,
        "created_at": message.created_at,
        "recipient": {"username": message.recipient, "name": message.recipient_name},
    }


_WECOM_COLORS = {"urgent": "warning", "warning": "warning", "reminder": "info", "info": "comment"}


def wecom_payload(message: Message) -> dict[str, Any]:
    color = _WECOM_COLORS.get(message.level, "comment")
    head = f'**{_title(message)}**\n> 级别：<font color="{color}">{message.level_label}</font>'
    if message.category:
        head += f"\n> 类别：{message.category}"
    tail = f"\n[查看详情]({message.url})" if message.url else ""
    room = WECOM_MAX_BYTES - len(head.encode()) - len(tail.encode()) - 2
    body = f"\n\n{truncate_bytes(message.body, room)}" if message.body else ""
    return {"msgtype": "markdown", "markdown": {"content": head + body + tail}}


def dingtalk_payload(message: Message) -> dict[str, Any]:
    title = _title(message)
    lines = [
        f"#### {title}",
        f"> 级别：{message.level_label}" + (f"　类别：{message.category}" if message.category else ""),
    ]
    if message.body:
        # 钉钉 markdown needs a blank line to break paragraphs; keep the author's line breaks.
        lines.append(truncate_bytes(message.body, DINGTALK_MAX_BYTES).replace("\n", "\n\n"))
    if message.url:
        lines.append(f"[查看详情]({message.url})")
    return {"msgtype": "markdown", "markdown": {"title": title, "text": "\n\n".join(lines)}}


def feishu_payload(message: Message) -> dict[str, Any]:
    content: list[list[dict[str, str]]] = [
        [
            {
                "tag": "text",
                "text": f"级别：{message.level_label}"
                + (f"　类别：{message.category}" if message.category else ""),
            }
        ]
    ]
    body = truncate_bytes(message.body, FEISHU_MAX_BYTES)
    content += [[{"tag": "text", "text": line}] for line in body.splitlines() if line.strip()]
    if message.url:
        content.append([{"tag": "a", "text": "查看详情", "href": message.url}])
    return {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": _title(message), "content": content}}},
    }


# --- signatures -----------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉加签: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    separator = "&" if urllib.parse.urlsplit(url).query else ("" if url.endswith("?") else "?")
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书签名校验: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=b"")) — the key, not the message."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def generic_signature(secret: str, timestamp_s: int, body: bytes) -> str:
    """Our generic webhook: hex HMAC-SHA256(key=secret, msg="timestamp." + body)."""
    return hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_request(
    kind: str,
    url: str,
    message: Message,
    *,
    secret: str = "",
    now: float | None = None,
    delivery_id: int | None = None,
) -> WebhookRequest:
    """The exact request for one webhook kind. `now` (epoch seconds) makes signatures reproducible."""
    now = time.time() if now is None else now
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    if kind == WECOM:
        return WebhookRequest(url, _dumps(wecom_payload(message)), headers)
    if kind == DINGTALK:
        target = dingtalk_signed_url(url, secret, int(now * 1000)) if secret else url
        return WebhookRequest(target, _dumps(dingtalk_payload(message)), headers)
    if kind == FEISHU:
        payload = feishu_payload(message)
        if secret:
            timestamp = int(now)
            payload = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **payload}
        return WebhookRequest(url, _dumps(payload), headers)
    if kind != GENERIC:
        raise ValueError(f"unknown webhook kind {kind!r}")
    body = _dumps(generic_payload(message))
    if delivery_id is not None:
        headers["X-Yishi-Delivery"] = str(delivery_id)
    if secret:
        timestamp = int(now)
        headers["X-Yishi-Timestamp"] = str(timestamp)
        headers["X-Yishi-Signature"] = "sha256=" + generic_signature(secret, timestamp, body)
    return WebhookRequest(url, body, headers)


# --- answers --------------------------------------------------------------------------------------


def interpret_response(kind: str, status_code: int | None, text: str) -> str:
    """'' when the receiver accepted the message, else why not.

    The bot APIs answer HTTP 200 even when they refuse (bad key, bad signature, rate limit), so a 200
    with a non-zero errcode/code is a failure too.
    """
    if status_code is None:
        return "无响应"
    if not 200 <= status_code < 300:
        return f"HTTP {status_code}"
    if kind == GENERIC:
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return "响应不是 JSON"
    if not isinstance(data, dict):
        return "响应格式无法识别"
    if kind in (WECOM, DINGTALK):
        code, detail = data.get("errcode"), data.get("errmsg", "")
        name = "errcode"
    else:  # 飞书: {"code":0,"msg":"success"}; older bots answer {"StatusCode":0,"StatusMessage":"success"}
        name = "code" if "code" in data else "StatusCode"
        code, detail = data.get(name), data.get("msg") or data.get("StatusMessage") or ""
    if code == 0:
        return ""
    if code is None:
        return f"响应缺少 {name}"
    return f"{name}={code} {detail}".strip()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET without the message; report it as a failure instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(request: WebhookRequest, timeout: float = HTTP_TIMEOUT) -> HttpResult:
    """POST the request; never raises. Proxies follow the usual http(s)_proxy / no_proxy variables."""
    scheme = urllib.parse.urlsplit(request.url).scheme
    if scheme not in ("http", "https"):
        return HttpResult(None, error=f"不支持的地址协议：{scheme or '无'}")
    # The scheme is checked above, so the S310 audit (file:, custom schemes) does not apply.
    http_request = urllib.request.Request(request.url, request.body, request.headers, method="POST")  # noqa: S310
    started = time.monotonic()
    try:
        with _opener.open(http_request, timeout=timeout) as response:
            status, raw = response.status, response.read(RESPONSE_EXCERPT * 4)
        error = ""
    except urllib.error.HTTPError as exc:
        status, raw, error = exc.code, exc.read(RESPONSE_EXCERPT * 4) if exc.fp else b"", ""
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return HttpResult(None, error=f"连接失败：{reason}", duration_ms=_ms_since(started))
    text = raw.decode("utf-8", "replace")[:RESPONSE_EXCERPT]
    return HttpResult(status, text, error, _ms_since(started))


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
