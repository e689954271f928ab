"""Login, logout and password change."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout, password_validation, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.auth import attempt_login, change_password
from core.forms import StyledForm


class LoginForm(StyledForm):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput, strip=False)


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(label="当前密码", widget=forms.PasswordInput, strip=False)
    new_password1 = forms.CharField(
        label="新密码", widget=forms.PasswordInput, strip=False, help_text=password_validation.password_validators_help_text_html()
    )
    new_password2 = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput, strip=False)

    def __init__(self, user, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("当前密码不正确")
        return value

    def clean(self) -> dict:
        data = super().clean()
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2:
            if new1 != new2:
                self.add_error("new_password2", "两次输入的新密码不一致")
            elif new1 == data.get("old_password"):
                self.add_error("new_password1", "新密码不能与当前密码相同")
            else:
                try:
                    password_validation.validate_password(new1, self.user)
                except forms.ValidationError as exc:
                    self.add_error("new_password1", exc)
        return data


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = attempt_login(request, form.cleaned_data["username"], form.cleaned_data["password"])
        if result.user is not None:
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = ""
            return redirect(target or "core:home")
        error = result.error
    elif request.method == "POST":
        error = "请输入用户名和密码"
    return render(request, "core/login.html", {"form": form, "error": error, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "已安全退出")
    return redirect("core:login")


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        change_password(request.user, form.cleaned_data["new_password1"], acting_user=request.user)
        update_session_auth_hash(request, request.user)
        messages.success(request, "密码已修改")
        return redirect("core:home")
    return render(
        request,
        "core/password_change.html",
        {"form": form, "page_title": "修改密码", "forced": request.user.must_change_password},
    )
