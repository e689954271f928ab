"""API tokens: created and revoked by their owner; only a SHA-256 of the secret is stored."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import audit
from core.models import ApiToken, AuditAction

TOKEN_PREFIX = "ys_"  # noqa: S105 - a public prefix, not a secret


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def do_create_token(user: Any, name: str, *, acting_user: Any, expires_at: Any = None) -> tuple[ApiToken, str]:
    """Returns the token row and the plain key, which is never stored and shown only once."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        token = ApiToken.objects.create(
            user=user, name=name.strip()[:64] or "未命名", prefix=key[:10], key_hash=hash_key(key), expires_at=expires_at
        )
    return token, key


def do_revoke_token(token: ApiToken, *, acting_user: Any) -> None:
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(AuditAction.TOKEN, obj=token, changes={"revoked": True})


def user_for_key(key: str) -> Any:
    """The active user behind a valid, unrevoked, unexpired token; None otherwise."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at and token.expires_at <= now) or not token.user.is_active:
        return None
    if token.user.is_locked:
        return None
    # Recording use at most once a minute keeps hot API clients from writing on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
