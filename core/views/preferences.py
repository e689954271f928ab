"""Placeholder: notification preferences and webhooks (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"page_title": "通知设置", "panels": []})


@login_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(status=404)


@login_required
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(status=404)
