"""Placeholder (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"page_title": "任务台账", "panels": []})
