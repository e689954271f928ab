from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.caching import reuse
from core.navigation import nav_for
from core.roles import Perm
from core.scoping import access_for, has_perm


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    shell_context = reuse(f"shell:{user.pk}", lambda: _shell_for(user), holder=user)
    items = [{**item, "active": request.path.startswith(item["href"]) and item["href"] != "/"}
             for item in shell_context["nav_items"]]
    return {**shell_context, "nav_items": items,
            "unread_count": user.notifications.filter(read_at__isnull=True).count()}


def _shell_for(user: Any) -> dict[str, Any]:
    """What the page frame shows that depends on the user's roles only (kept until the next change)."""
    access = access_for(user)
    return {
        "nav_items": nav_for(user),
        "user_is_admin": access.is_admin,
        "user_unit_name": access.own_unit_name,
        "can_view_audit": has_perm(user, Perm.AUDIT_VIEW),
        "can_manage_calendar": has_perm(user, Perm.CALENDAR_MANAGE),
    }
