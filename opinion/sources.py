"""Sources: fetching one source, and the user-driven writes on sources (audited, one transaction each).

Fetching (`fetch_and_ingest`) writes a FetchLog per attempt and keeps the source's state —
last success / error, consecutive failures, next fetch time (backing off on repeated failures),
conditional-GET validators — with plain UPDATEs: that bookkeeping is the machine's, not a user's
change, so it stays out of the audit log. A broken fetch never touches stored items.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from core import audit
from core.audit import deny
from core.models import AuditAction
from core.roles import Perm
from core.scoping import has_perm
from opinion.choices import SourceKind
from opinion.fetch import FetchError, FetchResult, fetch
from opinion.models import FetchLog, Item, Source
from opinion.pipeline import IngestResult, ingest

logger = logging.getLogger("yishi.opinion")

FETCHED_KINDS = (SourceKind.RSS, SourceKind.WEB, SourceKind.JSON)
MAX_BACKOFF_MINUTES = 24 * 60
PUSH_TOKEN_PREFIX = "yp_"  # noqa: S105 - a prefix, not a secret
SOURCE_FIELDS = ("name", "kind", "url", "enabled", "interval_minutes", "weight", "is_official", "options")


# --- fetching -------------------------------------------------------------------------------------------


def parse_response(source: Source, result: FetchResult) -> list[Any]:
    """RawItems from a fetched body, by the source's kind (FeedError on malformed input)."""
    from yishi_text.opinion import feeds

    if source.kind == SourceKind.RSS:
        return feeds.parse_feed(result.content, content_type=result.content_type)
    if source.kind == SourceKind.WEB:
        return [feeds.extract_article(result.content, url=result.url, content_type=result.content_type)]
    if source.kind == SourceKind.JSON:
        return feeds.parse_json_items(result.content, source.options or {})
    raise ValidationError(f"“{source.get_kind_display()}”类型的信息源不能抓取")


def backoff_minutes(interval: int, failures: int) -> int:
    """Wait longer after each failure in a row (×2 each time), at most a day."""
    return min(max(interval, 1) * 2 ** min(max(failures - 1, 0), 10), MAX_BACKOFF_MINUTES)


def fetch_and_ingest(source: Source) -> FetchLog:
    """Fetch one source and ingest what it delivered; always returns the saved FetchLog."""
    from yishi_text.opinion.feeds import FeedError

    started = timezone.now()
    log = FetchLog(source=source, started_at=started)
    validators: dict[str, str] = {}
    try:
        result = fetch(source.url, etag=source.etag, last_modified=source.last_modified)
        log.http_status = result.status
        if result.not_modified:
            log.not_modified = True
        else:
            raw_items = parse_response(source, result)
            counted = ingest(source, raw_items)
            log.received = len(raw_items)
            log.new, log.duplicates, log.skipped = counted.new, counted.duplicates, counted.skipped
            validators = {"etag": result.etag[:300], "last_modified": result.last_modified[:100]}
        log.ok = True
    except FetchError as exc:
        log.http_status = exc.status
        log.error = exc.message
    except (FeedError, ValidationError) as exc:
        log.error = f"内容解析失败：{getattr(exc, 'message', None) or exc}"
    except Exception as exc:  # noqa: BLE001 - any parser bug must be recorded, not kill the schedule
        logger.exception("fetching source %s failed", source.pk)
        log.error = f"内容解析失败：{exc.__class__.__name__}"
    finished = timezone.now()
    log.finished_at = finished
    log.save()
    _record_outcome(source, log, validators, finished)
    return log


def _record_outcome(source: Source, log: FetchLog, validators: dict[str, str], now: datetime.datetime) -> None:
    if log.ok:
        changes: dict[str, Any] = dict(last_fetched_at=now, last_success_at=now, last_error="", consecutive_failures=0,
                                       next_fetch_at=now + datetime.timedelta(minutes=max(source.interval_minutes, 1)),
                                       **validators)
    else:
        failures = source.consecutive_failures + 1
        changes = dict(last_fetched_at=now, last_error=log.error, last_error_at=now, consecutive_failures=failures,
                       next_fetch_at=now + datetime.timedelta(minutes=backoff_minutes(source.interval_minutes,
                                                                                      failures)))
    Source.objects.filter(pk=source.pk).update(**changes)
    for key, value in changes.items():
        setattr(source, key, value)


# --- user-driven writes -------------------------------------------------------------------------------------


def _require_manage(user: Any, message: str = "无权管理信息源（需要舆情管理权限）") -> None:
    if not has_perm(user, Perm.OPINION_MANAGE):
        deny(user, message, object_type="opinion.source")


def validate_source(values: dict[str, Any], *, instance: Source | None = None) -> dict[str, Any]:
    """Clean the user-editable fields; raises ValidationError {field: [Chinese message]}."""
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = "请填写名称"
    elif len(name) > 100:
        errors["name"] = "名称不能超过 100 个字"
    elif Source.objects.filter(name=name).exclude(pk=getattr(instance, "pk", None)).exists():
        errors["name"] = "已有同名信息源"
    kind = values.get("kind")
    if kind not in SourceKind.values:
        errors["kind"] = "请选择信息源类型"
    url = str(values.get("url") or "").strip()
    if kind in FETCHED_KINDS:
        if not url:
            errors["url"] = "RSS、网页和 JSON 类型的信息源必须填写地址"
        else:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                errors["url"] = "地址无效：须以 http:// 或 https:// 开头"
    try:
        interval = int(values.get("interval_minutes", 15))
        if not 1 <= interval <= 1440:
            raise ValueError
    except (TypeError, ValueError):
        errors["interval_minutes"] = "抓取间隔须在 1–1440 分钟之间"
        interval = 15
    try:
        weight = float(values.get("weight", 1.0))
        if not 0 <= weight <= 10:
            raise ValueError
    except (TypeError, ValueError):
        errors["weight"] = "来源权重须在 0–10 之间"
        weight = 1.0
    options = values.get("options") or {}
    if not isinstance(options, dict):
        errors["options"] = "解析配置须为 JSON 对象"
    if errors:
        raise ValidationError(errors)
    return {"name": name, "kind": kind, "url": url[:1000], "interval_minutes": interval, "weight": weight,
            "is_official": bool(values.get("is_official", False)), "enabled": bool(values.get("enabled", True)),
            "options": options}


def do_create_source(*, acting_user: Any, **values: Any) -> Source:
    _require_manage(acting_user)
    cleaned = validate_source(values)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        return Source.objects.create(created_by=acting_user if getattr(acting_user, "pk", None) else None, **cleaned)


def do_update_source(source: Source, *, acting_user: Any, **values: Any) -> Source:
    _require_manage(acting_user)
    merged = {name: getattr(source, name) for name in SOURCE_FIELDS} | values
    cleaned = validate_source(merged, instance=source)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        url_changed = cleaned["url"] != source.url
        for name, value in cleaned.items():
            setattr(source, name, value)
        if url_changed:  # validators of the old address mean nothing for the new one
            source.etag, source.last_modified = "", ""
        source.next_fetch_at = None  # fetch with the new settings at the next scheduler minute
        source.save()
    return source


def do_set_source_enabled(source: Source, enabled: bool, *, acting_user: Any) -> Source:
    _require_manage(acting_user)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        source.enabled = enabled
        source.consecutive_failures = 0 if enabled else source.consecutive_failures
        source.next_fetch_at = None
        source.save()
    return source


def do_delete_source(source: Source, *, acting_user: Any) -> None:
    """Only a source that never delivered anything can go; the others are disabled instead."""
    _require_manage(acting_user)
    count = Item.objects.filter(source=source).count()
    if count:
        raise ValidationError(f"该信息源已有 {count} 条信息，不能删除（可停用）")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        source.delete()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_create_push_token(source: Source, acting_user: Any) -> str:
    """A new push token (shown once); only its SHA-256 is stored. Replaces the previous token."""
    _require_manage(acting_user)
    if source.kind != SourceKind.PUSH:
        raise ValidationError("只有“推送接口”类型的信息源可以生成推送令牌")
    token = PUSH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        source.push_token_hash = hash_token(token)
        source.save()
        audit.record(AuditAction.TOKEN, obj=source, changes={"push_token": ["", "已生成新的推送令牌"]})
    return token


def source_for_token(token: str) -> Source | None:
    if not token or not token.startswith(PUSH_TOKEN_PREFIX):
        return None
    return Source.objects.filter(push_token_hash=hash_token(token), kind=SourceKind.PUSH, enabled=True).first()


def do_import_items(source: Source, uploaded_file: Any, *, acting_user: Any) -> IngestResult:
    """Import a .csv/.xlsx file into a source, all or nothing: a bad row rejects the file (with its row)."""
    from yishi_text.opinion.feeds import FeedError, parse_table

    _require_manage(acting_user, "无权导入舆情信息（需要舆情管理权限）")
    filename = getattr(uploaded_file, "name", "") or "upload.csv"
    limit = int(getattr(settings, "YISHI_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    data = uploaded_file.read(limit + 1)
    with audit.audit_context(actor=acting_user):
        try:
            if len(data) > limit:
                raise FeedError(f"文件超过 {limit // (1024 * 1024)} MB 上限")
            raw_items = parse_table(data, filename)
            if not raw_items:
                raise FeedError("文件中没有数据行")
        except FeedError as exc:
            audit.record(AuditAction.IMPORT_REJECTED, obj=source, changes={"file": filename, "reason": str(exc)})
            raise ValidationError(f"导入失败：{exc}") from exc
        with transaction.atomic():
            result = ingest(source, raw_items)
            audit.record(AuditAction.IMPORT, obj=source, changes={
                "file": filename, "rows": len(raw_items), "new": result.new, "duplicates": result.duplicates,
                "skipped": result.skipped})
    return result
