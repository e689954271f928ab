"""Pagination and filters shared by every list page and export."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE_CHOICES = (20, 50, 100)


def paginate(request: HttpRequest, queryset: QuerySet | list, per_page: int = 20) -> dict[str, Any]:
    """Context for `core/_pagination.html`: the page, and the query string to keep filters."""
    try:
        requested = int(request.GET.get("per_page", per_page))
    except ValueError:
        requested = per_page
    size = requested if requested in PER_PAGE_CHOICES else per_page
    paginator = Paginator(queryset, size)
    page: Page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {"page_obj": page, "object_list": page.object_list, "querystring": params.urlencode()}
