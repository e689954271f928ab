"""Placeholder: API tokens (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"page_title": "API 令牌", "panels": []})


@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(status=404)
