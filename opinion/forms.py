"""Forms of the monitoring pages. Unit choices are the user's scope (core.forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from core.forms import StyledForm
from opinion.choices import RulePurpose, RuleScope, Sentiment, SourceKind


class RuleForm(StyledForm):
    """The rule editor. The expression is checked by the action (with the parser's position);
    here only shape and the unit scope."""

    name = forms.CharField(label="名称", max_length=100)
    unit = forms.ModelChoiceField(label="所属单位", queryset=None, empty_label=None)
    expression = forms.CharField(
        label="表达式", max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "font-monospace",
                                     "autocomplete": "off"}),
        help_text="| 表示或，& 表示且，- 表示排除，括号分组，\"引号\" 内为整词，NEAR/n 表示相距 n 字以内，如 (环境|生态)&污染-演习")
    scope = forms.ChoiceField(label="匹配范围", choices=RuleScope.choices)
    purpose = forms.ChoiceField(label="用途", choices=RulePurpose.choices)
    enabled = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from org.models import Unit

        super().__init__(*args, **kwargs)
        # Rules belong to the units the user sees (own unit, or the subtree a leading role covers).
        self.fields["unit"].queryset = Unit.objects.visible_to(user, "view").filter(is_active=True).order_by("path")
        # Live check as the user types (debounced): syntax error with its position, then a test run.
        live = {"hx-post": reverse("opinion:rule_check"), "hx-target": "#rule-check", "hx-swap": "innerHTML",
                "hx-include": "#rule-form", "hx-sync": "closest form:replace"}
        self.fields["expression"].widget.attrs.update({**live, "hx-trigger": "input changed delay:400ms"})
        self.fields["scope"].widget.attrs.update({**live, "hx-trigger": "change"})


class LabelForm(StyledForm):
    """An analyst's sentiment correction."""

    label = forms.ChoiceField(label="人工标注", choices=Sentiment.choices)


class SourceForm(StyledForm):
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=SourceKind.choices)
    url = forms.URLField(label="地址", max_length=1000, required=False, assume_scheme="https",
                         help_text="RSS/网页/JSON 类型必填；表格导入与推送接口留空")
    interval_minutes = forms.IntegerField(label="抓取间隔（分钟）", min_value=1, max_value=7 * 24 * 60, initial=15)
    weight = forms.FloatField(label="来源权重", min_value=0.1, max_value=10, initial=1.0,
                              help_text="热度计算中该来源的权重（中央媒体可设 2.0）")
    is_official = forms.BooleanField(label="官方媒体", required=False)
    enabled = forms.BooleanField(label="启用", required=False, initial=True)
    options = forms.JSONField(label="解析配置（JSON 接口）", required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
                              help_text='如 {"items": "data.list", "title": "title", "body": "content", "url": "link"}')

    def clean_options(self) -> dict:
        value = self.cleaned_data.get("options") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError("解析配置须为 JSON 对象")
        return value

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") in (SourceKind.RSS, SourceKind.WEB, SourceKind.JSON) and not data.get("url"):
            self.add_error("url", "该类型的信息源须填写地址")
        return data


class ImportForm(StyledForm):
    file = forms.FileField(label="表格文件（.csv / .xlsx）",
                           help_text="表头：标题、正文、链接、发布时间、编号；整表校验，有一行出错则全部不导入")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("只支持 .csv 或 .xlsx 文件")
        return upload


class AllowlistForm(StyledForm):
    pattern = forms.CharField(label="主机名或网段", max_length=200,
                              help_text="如 intranet.example.gov.cn 或 10.0.0.0/8")
    note = forms.CharField(label="说明", max_length=200, required=False)

    def clean_pattern(self) -> str:
        import ipaddress

        value = self.cleaned_data["pattern"].strip().lower()
        if "/" in value or value.replace(".", "").isdigit() or ":" in value:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError as exc:
                raise forms.ValidationError("网段格式不正确，如 10.0.0.0/8") from exc
        elif not value or " " in value:
            raise forms.ValidationError("请填写主机名或网段")
        return value
