"""The fast form renderer writes exactly what Django's widget templates write."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from core.forms import StyledForm
from core.renderers import FastRenderer


class Sample(StyledForm):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": '标题 "引号" <b>'}))
    n = forms.IntegerField(label="次数", min_value=1)
    when = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    email = forms.EmailField(required=False)
    status = forms.ChoiceField(choices=[("", "全部"), ("a", "甲 & 乙"), ("b", "<丙>")], required=False)
    grouped = forms.ChoiceField(choices=[("组一", [("1", "一"), ("2", "二")]), ("3", "三")])
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y"), ("z", "Z")], required=False)
    text = forms.CharField(widget=forms.Textarea, required=False)
    flag = forms.BooleanField(required=False)
    radio = forms.ChoiceField(choices=[("r", "R"), ("s", "S")], widget=forms.RadioSelect, required=False)


DATA = {"q": '<script>"x"&', "n": "0", "when": "2026-02-30", "status": "b", "grouped": "2", "many": ["x", "z"],
        "text": "第一行\n<第二行>", "hidden": "h&", "email": "bad", "flag": "on", "radio": "s"}


@pytest.mark.parametrize("data", [None, DATA], ids=["unbound", "bound-with-errors"])
def test_every_widget_renders_as_djangos_templates(data: dict | None) -> None:
    fast = Sample(data, initial={"when": datetime.date(2026, 5, 1), "status": "a"}, renderer=FastRenderer())
    slow = Sample(data, initial={"when": datetime.date(2026, 5, 1), "status": "a"}, renderer=DjangoTemplates())
    if data:
        assert not fast.is_valid() and not slow.is_valid()
    for name in Sample.base_fields:
        assert str(fast[name]) == str(slow[name]), name
    assert str(fast) == str(slow)


def test_escaping_holds() -> None:
    html = str(Sample(DATA, renderer=FastRenderer())["q"])
    assert "<script>" not in html and "&lt;script&gt;&quot;x&quot;&amp;" in html
    options = str(Sample(DATA, renderer=FastRenderer())["status"])
    assert "&lt;丙&gt;" in options and '<option value="b" selected>' in options


def test_pk_url_matches_reverse() -> None:
    from django.urls import reverse

    from core.templatetags.yishi import pk_url

    for name in ("org:person_detail", "org:unit_detail", "ledger:task_detail"):
        for pk in (1, 7, 918273645, 2**31 - 1):
            assert pk_url(name, pk) == reverse(name, args=[pk])
    with pytest.raises(ValueError):
        pk_url("org:person_detail", "1/../x")
