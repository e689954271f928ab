"""Reusing computed figures and fragments until the data behind them changes.

Every change in Yishi writes an audit entry (core.audit.record), and the audit chain's head holds
how many there are and the last one's hash. Together they are the *data generation*: a cache key
that contains it can never serve figures older than the last change, in any process or on any
machine, whatever the cache backend (the default per-process memory or a shared Redis). Reading it is one primary-key SELECT,
done once per request (memoized on the request's user object).

Keys also carry the local date (so "overdue" and "due soon" turn over at midnight) and expire after
`YISHI_OVERVIEW_CACHE_SECONDS` at most, for the few things that move without an audited change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

T = TypeVar("T")
_MEMO_ATTR = "_yishi_data_generation"
_MISSING = object()


def data_generation(holder: Any = None) -> str:
    """The audit chain's length and tip; `holder` (the request's user) keeps it for the request.

    The tip's hash is part of it because a length alone can repeat: a change rolled back after a
    page was cached under length n+1 must not make that page current when another change reaches n+1.
    """
    memo = getattr(holder, _MEMO_ATTR, None) if holder is not None else None
    if memo is not None:
        return memo
    # Raw SQL: this runs on most pages, and the ORM's query compilation would cost more than the query.
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_seq, last_hash FROM core_auditchainhead WHERE id = 1")
        row = cursor.fetchone()
    value = f"{row[0]}.{row[1][:16]}" if row else "0"
    if holder is not None and hasattr(holder, "__dict__"):
        setattr(holder, _MEMO_ATTR, value)
    return value


def forget_generation(holder: Any) -> None:
    """After a change within the same request, the next read fetches the new generation."""
    if holder is not None and hasattr(holder, _MEMO_ATTR):
        delattr(holder, _MEMO_ATTR)


def reuse(key: str, compute: Callable[[], T], *, holder: Any = None) -> T:
    """compute(), kept until the next audited change, midnight, or YISHI_OVERVIEW_CACHE_SECONDS.

    `key` must name everything the value depends on besides the data: the user or scope, filters.
    """
    seconds = settings.YISHI_OVERVIEW_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    full_key = f"yishi:{data_generation(holder)}:{timezone.localdate().isoformat()}:{key}"
    value = cache.get(full_key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(full_key, value, timeout=seconds)
    return value  # type: ignore[return-value]
