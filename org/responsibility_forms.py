"""Forms of the responsibility pages. Unit choices are the user's change scope (the list is the check)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from core.forms import StyledForm, style_fields
from core.roles import LEADERSHIP_ROLES
from org.models import Person, Unit
from org.responsibility_choices import Cadence, Post


def _year_field() -> forms.IntegerField:
    return forms.IntegerField(label="年度", min_value=2000, max_value=2100, initial=timezone.localdate().year)


class ScopedUnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{'　' * max(obj.depth, 0)}{obj.name}"


def _units(user: Any) -> Any:
    return Unit.objects.visible_to(user, "change").filter(is_active=True).order_by("path")


class ListCreateForm(StyledForm):
    unit = ScopedUnitField(label="单位", queryset=Unit.objects.none())
    post = forms.ChoiceField(label="岗位", choices=Post.choices)
    year = _year_field()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)


class EntryForm(forms.Form):
    text = forms.CharField(label="责任内容", required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
    quote = forms.CharField(required=False, widget=forms.HiddenInput)
    obligation_id = forms.IntegerField(required=False, widget=forms.HiddenInput)


EntryFormSet = forms.formset_factory(EntryForm, extra=2, max_num=300, validate_max=True)


class VersionForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DraftForm(VersionForm):
    note = forms.CharField(label="修订说明", required=False, max_length=200)


class TemplateForm(StyledForm):
    unit = ScopedUnitField(label="发出单位", queryset=Unit.objects.none())
    year = _year_field()
    title = forms.CharField(label="标题", max_length=200, initial="意识形态工作责任书")
    body = forms.CharField(label="正文", widget=forms.Textarea(attrs={"rows": 12}),
                           help_text="可用占位符：{单位} {负责人} {年度} {责任清单}（插入该单位已公示的责任清单）")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)


class LetterEditForm(VersionForm):
    body = forms.CharField(label="正文", widget=forms.Textarea(attrs={"rows": 12}))


class SignForm(VersionForm):
    confirm = forms.BooleanField(label="我已阅读并同意本责任书的全部内容", required=True,
                                 error_messages={"required": "请先勾选“我已阅读并同意”"})


class ScheduleForm(StyledForm):
    unit = ScopedUnitField(label="组织单位", queryset=Unit.objects.none(), help_text="其下各单位负责人均需提交")
    year = _year_field()
    title = forms.CharField(label="名称", max_length=200, required=False,
                            help_text="不填则为“N年度意识形态工作履职报告”")
    cadence = forms.ChoiceField(label="频次", choices=Cadence.choices)
    due_dates = forms.CharField(label="自定义提交时限", required=False,
                                help_text="默认为每期最后一个工作日；如需调整，按期填写日期，用逗号分隔，如 2026-07-10,2027-01-08")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)

    def clean_due_dates(self) -> list[datetime.date]:
        raw = (self.cleaned_data.get("due_dates") or "").replace("，", ",").replace("、", ",")
        days = []
        for part in filter(None, (p.strip() for p in raw.split(","))):
            try:
                days.append(datetime.date.fromisoformat(part))
            except ValueError as exc:
                raise forms.ValidationError(f"“{part}”不是有效日期，请按 2026-07-10 的格式填写") from exc
        return days


class SubmitReportForm(VersionForm):
    content = forms.CharField(label="履职报告", widget=forms.Textarea(attrs={"rows": 12}),
                              help_text="对照责任清单，报告本期履行意识形态工作责任的情况、存在问题和下一步打算")


class CommentForm(VersionForm):
    text = forms.CharField(label="审阅意见", widget=forms.Textarea(attrs={"rows": 4}))
    mark_reviewed = forms.BooleanField(label="审阅完成", required=False)


class LeaderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name}（{obj.title or obj.unit.name}）"


def leaders_for(user: Any) -> Any:
    """People with a leadership role the user can see."""
    return (Person.objects.visible_to(user, "view").filter(is_active=True, roles__role__in=LEADERSHIP_ROLES)
            .select_related("unit").distinct().order_by("sort_order", "id"))


class ContactPointForm(StyledForm):
    leader = LeaderChoiceField(label="联系领导", queryset=Person.objects.none())
    unit = ScopedUnitField(label="联系单位", queryset=Unit.objects.none())
    start_date = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="联系内容", max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders_for(user)
        self.fields["unit"].queryset = _units(user)
        style_fields(self)


class ContactPointEditForm(VersionForm):
    start_date = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="联系内容", max_length=300, required=False)
