from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.navigation import nav_for
from core.roles import Perm
from core.scoping import access_for, has_perm


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = access_for(user)
    items = nav_for(user)
    for item in items:
        item["active"] = request.path.startswith(item["href"]) and item["href"] != "/"
    return {
        "nav_items": items,
        "unread_count": user.notifications.filter(read_at__isnull=True).count(),
        "user_is_admin": access.is_admin,
        "user_unit_name": access.own_unit_name,
        "can_view_audit": has_perm(user, Perm.AUDIT_VIEW),
        "can_manage_calendar": has_perm(user, Perm.CALENDAR_MANAGE),
    }
