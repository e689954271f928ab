"""The 工作台 and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.navigation import home_panels
from core.tasking import queue_health


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"page_title": "工作台", "panels": home_panels(request)})


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database and the task queue answer; 503 with the failing part otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
    checks["tasks"] = queue_health()
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
