"""Placeholder: audit log page (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"page_title": "审计日志", "panels": []})


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=404)
