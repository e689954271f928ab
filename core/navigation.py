"""The navigation shows only modules that exist: each app declares `nav` on its AppConfig.

An entry: {"label", "url" (URL name), "icon" (Tabler icon name), "order", optional "perm"}.
Panels for the 工作台 are registered the same way through `home_panels` (template + context func).
"""

from __future__ import annotations

import functools
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

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
    """Each app's panel on the 工作台, in order; an app adds one with `home_panels` on its AppConfig."""
    panels: list[dict[str, Any]] = []
    for config in apps.get_app_configs():
        for panel in getattr(config, "home_panels", ()):
            if panel.get("perm") and not has_perm(request.user, panel["perm"]):
                continue
            context_func = panel.get("context")
            if isinstance(context_func, str):
                module, _, name = context_func.rpartition(".")
                context_func = getattr(__import__(module, fromlist=[name]), name)
            panels.append(
                {
                    "title": panel["title"],
                    "template": panel["template"],
                    "order": panel.get("order", 100),
                    "context": context_func(request) if context_func else {},
                }
            )
    return sorted(panels, key=lambda p: p["order"])
