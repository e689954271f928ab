"""The navigation shows only modules that exist: each app declares `nav` on its AppConfig.

An entry: {"label", "url" (URL name), "icon" (Tabler icon name), "order", optional "perm"}.
Panels for the 工作台 are registered the same way through `home_panels` (template + context func).
"""

from __future__ import annotations

import functools
from typing import Any

from django.apps import apps
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse

from core.caching import reuse
from core.scoping import has_perm


@functools.lru_cache(maxsize=256)
def _href(url_name: str) -> str | None:
    """Nav targets are fixed URL names: resolve each once per process, not on every page."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def nav_for(user: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for config in apps.get_app_configs():
        for entry in getattr(config, "nav", ()):
            if entry.get("perm") and not has_perm(user, entry["perm"]):
                continue
            href = _href(entry["url"])
            if href is not None:
                items.append({**entry, "href": href})
    return sorted(items, key=lambda e: e.get("order", 100))


def home_panels(request: Any) -> list[dict[str, Any]]:
    """Each app's panel on the 工作台, in order; an app adds one with `home_panels` on its AppConfig.

    A panel is rendered from its own context only (no request), so its HTML is kept per user until
    the next audited change (core.caching): the 工作台 is the page everyone opens first and often.
    """
    panels: list[dict[str, Any]] = []
    for config in apps.get_app_configs():
        for panel in getattr(config, "home_panels", ()):
            if panel.get("perm") and not has_perm(request.user, panel["perm"]):
                continue
            key = f"home_panel:{request.user.pk}:{config.label}:{panel['template']}"
            html, wide = reuse(key, functools.partial(_render_panel, request, panel), holder=request.user)
            panels.append({"title": panel["title"], "order": panel.get("order", 100), "html": html, "wide": wide})
    return sorted(panels, key=lambda p: p["order"])


def _render_panel(request: Any, panel: dict[str, Any]) -> tuple[str, bool]:
    context_func = panel.get("context")
    if isinstance(context_func, str):
        module, _, name = context_func.rpartition(".")
        context_func = getattr(__import__(module, fromlist=[name]), name)
    context = context_func(request) if context_func else {}
    return get_template(panel["template"]).render({"ctx": context}), bool(context.get("wide"))
