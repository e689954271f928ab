"""Pagination and filters shared by every list page and export."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from core.caching import reuse

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


def cached_fragments(request: HttpRequest, name: str, templates: dict[str, str],
                     build: Callable[[], dict[str, Any]]) -> dict[str, SafeString]:
    """A list page's filters and results, rendered once per user and query string until the next change.

    Lists are read far more often than anything changes, and the rows cost most of a list page. The
    templates are rendered from `build()`'s context alone (no request, so no context processors):
    they must not use `request`, `user`, messages or `{% csrf_token %}` (htmx sends the token in a
    header). The key holds the user, so per-user links and buttons are safe; core.caching adds the
    data generation and the date.
    """

    def render() -> dict[str, SafeString]:
        context = build()
        return {part: render_to_string(template, context) for part, template in templates.items()}

    # Hashed: a search in Chinese percent-encodes to hundreds of characters, past what caches accept.
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:32]
    key = f"fragments:{name}:{request.user.pk}:{query}"
    return reuse(key, render, holder=request.user)
