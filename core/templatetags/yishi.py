"""Template helpers shared by every app."""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()

_SENTINEL = 918273645  # an id no route contains: replaced by the row's id


@functools.lru_cache(maxsize=512)
def _pattern(name: str, prefix: str) -> tuple[str, str]:
    url = reverse(name, args=[_SENTINEL])
    head, _, tail = url.partition(str(_SENTINEL))
    return head, tail


@register.simple_tag
def pk_url(name: str, pk: Any) -> str:
    """`{% url name pk %}` for the rows of a list: the route is reversed once per process, then only
    the id changes (a reverse per row cost ~0.1 ms; a 20-row list has two or three per row)."""
    head, tail = _pattern(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"
