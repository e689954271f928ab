"""The in-app inbox and its unread badge.

Every query starts from `request.user.notifications`: the recipient filter is the scope, so another
user's notification is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.listing import paginate
from core.models import Level


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    mine = request.user.notifications.all()
    qs = mine
    show = request.GET.get("show", "")
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    level = request.GET.get("level", "")
    if level in Level.values:
        qs = qs.filter(level=level)
    else:
        level = ""
    category = request.GET.get("category", "").strip()
    if category:
        qs = qs.filter(category=category)
    # order_by() drops the default ordering, which would otherwise make DISTINCT see created_at too.
    categories = sorted(mine.exclude(category="").order_by().values_list("category", flat=True).distinct())
    context = {
        "page_title": "通知",
        "show": show,
        "level": level,
        "category": category,
        "levels": Level.choices,
        "categories": categories,
        **paginate(request, qs),
    }
    return render(request, "core/inbox.html", context)


@login_required
def badge(request: HttpRequest) -> HttpResponse:
    # The count comes from the shell context processor (`unread_count`), same as on every page.
    return render(request, "core/_badge.html")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(request.user.notifications, pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "core/_inbox_row.html", {"n": note})
        response["HX-Trigger"] = "inbox-changed"
        return response
    # Only follow links within this site: a notification must not become an open redirect.
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()}):
        return redirect(note.url)
    return redirect("core:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("core:inbox")
