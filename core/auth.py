"""Password login with lock-out, and the bookkeeping around it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from core import audit
from core.models import AuditAction, User


@dataclass
class LoginResult:
    user: User | None
    error: str = ""


def attempt_login(request: HttpRequest, username: str, password: str) -> LoginResult:
    """Check the password, enforce the lock-out, log the attempt, and log the user in on success.

    The same message is shown for an unknown account and a wrong password, so the form does not
    reveal which accounts exist.
    """
    username = (username or "").strip()
    generic = "用户名或密码错误"
    account = User.objects.filter(username=username).first()
    if account is not None and account.is_locked:
        local = timezone.localtime(account.locked_until)
        audit.record(AuditAction.LOGIN_FAILED, obj=account, changes={"reason": "locked"})
        return LoginResult(None, f"账户因多次登录失败已锁定，请于 {local:%H:%M} 后再试，或联系系统管理员解锁")
    user = authenticate(request, username=username, password=password)
    if user is None:
        if account is None:
            audit.record(
                AuditAction.LOGIN_FAILED,
                object_type="core.user",
                object_repr=username[:100],
                changes={"reason": "unknown_account"},
            )
            return LoginResult(None, generic)
        if not account.is_active:
            audit.record(AuditAction.LOGIN_FAILED, obj=account, changes={"reason": "inactive"})
            return LoginResult(None, generic)
        return LoginResult(None, _register_failure(account) or generic)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        login(request, user)
        audit.record(AuditAction.LOGIN, obj=user, actor=user)
    return LoginResult(user)


def _register_failure(account: User) -> str:
    limit = settings.YISHI_LOCKOUT_ATTEMPTS
    with transaction.atomic():
        User.objects.filter(pk=account.pk).update(failed_login_count=F("failed_login_count") + 1)
        account.refresh_from_db(fields=["failed_login_count"])
        audit.record(
            AuditAction.LOGIN_FAILED,
            obj=account,
            changes={"reason": "wrong_password", "failures": account.failed_login_count},
        )
        if account.failed_login_count >= limit:
            until = timezone.now() + datetime.timedelta(minutes=settings.YISHI_LOCKOUT_MINUTES)
            User.objects.filter(pk=account.pk).update(locked_until=until, failed_login_count=0)
            audit.record(AuditAction.LOCKED, obj=account, changes={"locked_until": until.isoformat()})
            return f"连续 {limit} 次密码错误，账户已锁定 {settings.YISHI_LOCKOUT_MINUTES} 分钟"
    left = limit - account.failed_login_count
    return f"用户名或密码错误（再错 {left} 次将锁定账户）"


def unlock_account(account: User, *, acting_user: Any) -> None:
    with audit.audit_context(actor=acting_user):
        account.failed_login_count = 0
        account.locked_until = None
        account.save(update_fields=["failed_login_count", "locked_until"])
        audit.record(AuditAction.UPDATE, obj=account, changes={"locked_until": ["locked", None]})


def change_password(user: User, new_password: str, *, acting_user: Any) -> None:
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        user.set_password(new_password)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save()
        audit.record(AuditAction.PASSWORD_CHANGE, obj=user)


def reset_password(user: User, temporary: str, *, acting_user: Any) -> None:
    """An administrator sets a temporary password; the owner must change it at next login."""
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        user.set_password(temporary)
        user.must_change_password = True
        user.failed_login_count = 0
        user.locked_until = None
        user.save()
        audit.record(AuditAction.PASSWORD_CHANGE, obj=user, changes={"reset_by_admin": True})
