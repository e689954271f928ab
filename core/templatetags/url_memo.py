"""`{% url %}` with its answers remembered: a page reverses the same ~20 names (navigation, tabs) on
every request, and each reverse costs ~25 µs of a request's few milliseconds.

Loaded as a template builtin (settings.TEMPLATES), so it replaces Django's tag everywhere with the
same syntax and output. A URL depends only on the name, the arguments, the URLconf and the script
prefix, which are all in the key; arguments other than text and numbers are reversed as before.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()
_MEMO: dict[tuple, str] = {}
_MEMO_LIMIT = 20_000  # distinct URLs (names × arguments); past it, start over rather than grow
# Only arguments whose text cannot change are remembered (a model instance reverses by its str()).
_PLAIN = (str, int)


class MemoURLNode(defaulttags.URLNode):
    def render(self, context: Any) -> str:
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple(sorted((k, v.resolve(context)) for k, v in self.kwargs.items()))
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None) or getattr(
            getattr(request, "resolver_match", None), "namespace", None)
        key: tuple | None = None
        url = None
        if all(type(v) in _PLAIN for v in (*args, *(v for _, v in kwargs))):
            key = (view_name, args, kwargs, current_app, get_urlconf(), get_script_prefix())
            url = _MEMO.get(key)
        if url is None:
            try:
                url = reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                url = ""
            if key is not None and url:
                if len(_MEMO) >= _MEMO_LIMIT:
                    _MEMO.clear()
                _MEMO[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Any, token: Any) -> MemoURLNode:
    node = defaulttags.url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)
