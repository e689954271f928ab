"""Placeholder org pages (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from org.models import Unit


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    units = Unit.objects.visible_to(request.user)
    return render(request, "core/home.html", {"page_title": "组织机构", "panels": [], "units": units})
