"""The contact-point card on the unit page, without touching the unit view."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("org/responsibility/_unit_contacts.html", takes_context=True)
def unit_contact_points(context: dict[str, Any], unit: Any) -> dict[str, Any]:
    from org.responsibility_views import unit_contact_points as points

    request = context["request"]
    return {"points": points(unit, request.user), "unit": unit}
