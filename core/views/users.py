"""Account administration: list, unlock, reset password (administrators only)."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.auth import reset_password, unlock_account
from core.listing import paginate
from core.models import User
from core.scoping import is_admin


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied("仅系统管理员可管理账户")


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    qs = User.objects.filter(is_system=False).select_related("person__unit").order_by("username")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if request.GET.get("locked") == "1":
        from django.utils import timezone

        qs = qs.filter(locked_until__gt=timezone.now())
    return render(request, "core/user_list.html", {"page_title": "账户管理", "q": q, **paginate(request, qs)})


@login_required
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    account = get_object_or_404(User, pk=pk, is_system=False)
    unlock_account(account, acting_user=request.user)
    messages.success(request, f"已解锁账户 {account.username}")
    return redirect("core:user_list")


@login_required
@require_POST
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    account = get_object_or_404(User, pk=pk, is_system=False)
    temporary = "Yx-" + secrets.token_urlsafe(9)
    reset_password(account, temporary, acting_user=request.user)
    messages.success(request, f"账户 {account.username} 的临时密码：{temporary}（仅显示一次，首次登录须修改）")
    return redirect("core:user_list")
