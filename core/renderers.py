"""The form renderer: Django's own, with the common widgets written out in Python.

Django renders every widget, and every <option> of a select, through a template include. A list
page with a dozen filter selects spent more time there than on its queries (≈ 9 ms of a ledger list
request). The widgets below produce byte-for-byte what Django's templates produce
(core/tests/test_renderers.py compares them); anything else — and any widget whose template a
project overrides — still goes through the templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

_WIDGETS = "django/forms/widgets/"
_INPUTS = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in ("input", "text", "hidden", "number", "email", "url", "password", "search", "tel", "date",
                 "datetime", "time")
)


def _attrs(attrs: Mapping[str, Any]) -> str:
    # attrs.html: False drops the attribute, True writes it bare, anything else as a quoted string.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{escape(str(value))}"')
    return "".join(parts)


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    value_attr = "" if value is None else f' value="{escape(str(value))}"'
    return f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"' \
           f'{value_attr}{_attrs(widget["attrs"])}>'


def _option(option: Mapping[str, Any]) -> str:
    return f'<option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>' \
           f'{conditional_escape(option["label"])}</option>'


def _select(widget: Mapping[str, Any]) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != f"{_WIDGETS}select_option.html":
                return ""  # a custom option template: let Django render the whole select
            parts.append(f"\n  {_option(option)}\n")  # the included option template ends in a newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    body = conditional_escape(value) if value else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{body}</textarea>'


_FAST: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{name: _input for name in _INPUTS},
    f"{_WIDGETS}select.html": _select,
    f"{_WIDGETS}textarea.html": _textarea,
}


class FastRenderer(DjangoTemplates):
    """FORM_RENDERER: Python for input/select/textarea widgets, Django's templates for the rest."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> SafeString:
        fast = _FAST.get(template_name)
        if fast is not None and "widget" in context:
            html = fast(context["widget"])
            if html:
                return mark_safe(html)  # noqa: S308 — every value above was escaped
        return super().render(template_name, context, request)
