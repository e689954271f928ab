"""Template helpers of the monitoring pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def maybe_url(name: str, *args: Any) -> str:
    """The URL, or "" when that page is not installed (parts of the module land separately)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def pct(part: Any, whole: Any) -> float:
    try:
        return round(100 * float(part) / float(whole), 1) if whole else 0.0
    except (TypeError, ValueError):
        return 0.0


@register.filter
def growth_pct(rate: Any) -> str:
    """An event's hour-on-hour growth rate (1.0 = doubled) as a signed percentage: "+100%"."""
    try:
        value = round(100 * float(rate))
    except (TypeError, ValueError):
        return ""
    return f"+{value}%" if value > 0 else f"{value}%"
