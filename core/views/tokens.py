"""API tokens: each user lists, creates and revokes their own. The key is shown once, on creation.

Another user's token is a 404: the owner filter is the scope.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.forms import StyledForm
from core.listing import paginate
from core.models import ApiToken
from core.tokens import do_create_token, do_revoke_token


class TokenForm(StyledForm):
    name = forms.CharField(label="用途", max_length=64, widget=forms.TextInput(attrs={"placeholder": "如：报表脚本"}))
    expires_days = forms.IntegerField(
        label="有效天数", required=False, min_value=1, max_value=3650, help_text="留空表示长期有效（可随时吊销）"
    )


def _page(request: HttpRequest, form: TokenForm, only: int | None = None, **extra: object) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    if only is not None:
        tokens = tokens.filter(pk=only)
    context = {"page_title": "API 令牌", "form": form, "now": timezone.now(), **paginate(request, tokens), **extra}
    return render(request, "core/tokens.html", context)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data.get("expires_days")
        expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
        token, key = do_create_token(
            request.user, form.cleaned_data["name"], acting_user=request.user, expires_at=expires_at
        )
        # Rendered, not redirected: the key must not travel through the session or messages.
        return _page(request, TokenForm(), new_token=token, new_key=key)
    return _page(request, form)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        do_revoke_token(token, acting_user=request.user)
        messages.success(request, f"已吊销令牌“{token.name}”")
    if request.htmx:  # type: ignore[attr-defined]
        # The page re-rendered with just this row; htmx picks it out (hx-select) and swaps it in place.
        return _page(request, TokenForm(), only=token.pk)
    return redirect("core:token_list")
