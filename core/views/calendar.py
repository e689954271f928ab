"""Placeholder: working-day calendar (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"page_title": "工作日历", "panels": []})


@login_required
def override_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(status=404)
