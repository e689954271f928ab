"""Writing the audit log.

Who, from where and through which path a change came is carried in a context variable: the web
middleware and the API auth set it per request, `system_context()` sets it for background tasks and
commands (they act as the system user). Models that inherit `AuditedModel` are logged on every
save and delete with a field diff, so no write path can forget it; `record()` logs everything else
(logins, imports, exports, refusals). Each entry chains the hash of the one before (see
`verify_chain`), and the database refuses UPDATE and DELETE on the table where it can (PostgreSQL).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from core.caching import forget_generation
from core.models.audit import AuditAction, AuditChainHead, AuditEntry


@dataclass(frozen=True)
class AuditContext:
    actor: Any = None
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    via: str = ""


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("yishi_audit", default=AuditContext())  # noqa: B039 - frozen


def current() -> AuditContext:
    return _context.get()


@contextlib.contextmanager
def audit_context(**fields: Any) -> Iterator[AuditContext]:
    """Run a block with the given actor / ip / request id; fields left out are inherited."""
    ctx = replace(_context.get(), **fields)
    if not ctx.request_id:
        ctx = replace(ctx, request_id=str(uuid.uuid4()))
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


def system_user() -> Any:
    """The account background jobs act as; created on first use."""
    from core.models import User

    user, _ = User.objects.get_or_create(
        username="system",
        defaults={"display_name": "系统", "is_system": True, "is_active": False, "must_change_password": False},
    )
    return user


@contextlib.contextmanager
def system_context(via: str = "task") -> Iterator[AuditContext]:
    with audit_context(actor=system_user(), via=via, ip=None, user_agent="") as ctx:
        yield ctx


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name or ""
    return value


def snapshot(instance: models.Model, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Field values as stored (or as given in `values`, by attname), with secrets fingerprinted."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in getattr(instance, "audit_exclude", ()):
            continue
        value = values[field.attname] if values is not None else getattr(instance, field.attname)
        if field.name in getattr(instance, "audit_secret", ()) and value:
            # A fingerprint lets the diff see that a secret changed; `_mask` hides it before storing.
            value = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:16]
        data[field.name] = _jsonable(value)
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field that differs."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(
    action: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    actor: Any = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction if there is one."""
    ctx = current()
    actor = actor if actor is not None else ctx.actor
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    actor_id = getattr(actor, "pk", None)  # AnonymousUser has pk None
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_name=str(actor)[:150] if actor_id else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id or "")[:64],
            object_repr=(object_repr or "")[:255],
            changes=json.loads(json.dumps(changes or {}, ensure_ascii=False, default=str)),
            ip=ctx.ip,
            user_agent=(ctx.user_agent or "")[:255],
            request_id=ctx.request_id,
            via=ctx.via,
            prev_hash=head.last_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        AuditChainHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    # The chain's tip is the data generation (core.caching): the rest of this request must see
    # the new one, not the one it read before the change.
    forget_generation(actor)
    if ctx.actor is not actor:
        forget_generation(ctx.actor)
    return entry


def deny(user: Any, message: str, *, obj: models.Model | None = None, object_type: str = "",
         object_id: Any = "", details: dict[str, Any] | None = None) -> NoReturn:
    """Log the refused attempt, then refuse. Call outside any transaction that will roll back."""
    record(
        AuditAction.DENIED,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        changes={"reason": message, **(details or {})},
        actor=user,
    )
    raise PermissionDenied(message)


def forbid(request: Any, message: str, *, obj: models.Model | None = None, object_type: str = "") -> NoReturn:
    """Refuse a web request; an attempted write (POST) is also written to the audit log."""
    if request.method == "POST":
        deny(request.user, message, obj=obj, object_type=object_type, details={"path": request.path})
    raise PermissionDenied(message)


def verify_chain(batch: int = 2000) -> tuple[bool, int, str]:
    """Walk the chain in order. Returns (ok, entries checked, message)."""
    prev = "0" * 64
    expected_seq = None
    checked = 0
    last_seq = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            break
        for entry in rows:
            if expected_seq is not None and entry.seq != expected_seq:
                return False, checked, f"第 {expected_seq} 条缺失（下一条是第 {entry.seq} 条）"
            if entry.prev_hash != prev:
                return False, checked, f"第 {entry.seq} 条的前序哈希与上一条不符"
            if entry.compute_hash() != entry.hash:
                return False, checked, f"第 {entry.seq} 条内容已被改动（哈希不符）"
            prev = entry.hash
            expected_seq = entry.seq + 1
            last_seq = entry.seq
            checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and checked and (head.last_seq != last_seq or head.last_hash != prev):
        return False, checked, "链尾与记录不符：末尾的记录可能被删除"
    return True, checked, f"审计链完整，共 {checked} 条"


def _mask(changes: dict[str, list[Any]], secret_fields: tuple[str, ...]) -> dict[str, list[Any]]:
    for name in secret_fields:
        if name in changes:
            changes[name] = ["******" if v else "" for v in changes[name]]
    return changes


class AuditedModel(models.Model):
    """Mixin: every save and delete of the model is written to the audit log with a field diff.

    `audit_exclude` lists fields left out of diffs (e.g. timestamps); `audit_secret` fields are masked.
    """

    audit_exclude: tuple[str, ...] = ("created_at", "updated_at")
    audit_secret: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        # Keep the loaded values, not a snapshot: most loaded rows are only read (a list page loads
        # dozens), so the diff's "before" is built only when the row is actually saved.
        if len(values) == len(cls._meta.concrete_fields):
            instance._audit_loaded = dict(zip(field_names, values, strict=True))
        return instance

    def _stored_snapshot(self) -> dict[str, Any] | None:
        if "_audit_before" in self.__dict__:
            return self._audit_before
        loaded = self.__dict__.get("_audit_loaded")
        return snapshot(self, loaded) if loaded is not None else None

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        before = None if adding else self._stored_snapshot()
        if not adding and before is None and self.pk is not None:
            # Loaded with .only()/.defer() or built by hand: read the stored row for an honest diff.
            stored = type(self)._base_manager.filter(pk=self.pk).first()
            before = snapshot(stored) if stored else None
        with transaction.atomic():
            super().save(*args, **kwargs)
            after = snapshot(self)
            changes = _mask(diff(None if adding else before, after), self.audit_secret)
            if adding or changes:
                record(AuditAction.CREATE if adding else AuditAction.UPDATE, obj=self, changes=changes)
        self._audit_before = after

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        before = snapshot(self)
        label, pk, text = self._meta.label_lower, self.pk, str(self)
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            record(
                AuditAction.DELETE,
                object_type=label,
                object_id=pk,
                object_repr=text,
                changes=_mask(diff(before, None), self.audit_secret),
            )
        return result


def bind_actor(actor: Any, via: str) -> None:
    """Set the actor for the rest of the current request (API auth resolves it after the middleware)."""
    _context.set(replace(_context.get(), actor=actor, via=via))
