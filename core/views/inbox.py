"""The in-app inbox and its unread badge."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.listing import paginate


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    qs = request.user.notifications.all()
    show = request.GET.get("show", "")
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    context = {"page_title": "通知", "show": show, **paginate(request, qs)}
    return render(request, "core/inbox.html", context)


@login_required
def badge(request: HttpRequest) -> HttpResponse:
    return render(request, "core/_badge.html")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    # The recipient filter is the scope: another user's notification is a 404.
    note = get_object_or_404(request.user.notifications, pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "core/_inbox_row.html", {"n": note})
        response["HX-Trigger"] = "inbox-changed"
        return response
    return redirect(note.url or "core:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("core:inbox")
