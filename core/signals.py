"""Signal receivers: logouts into the audit log (logins and failures are logged by core.auth)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from core import audit
from core.models import AuditAction


@receiver(user_logged_out)
def _log_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(AuditAction.LOGOUT, obj=user, actor=user)
