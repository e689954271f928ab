"""Forms of the alert, incident, report and duty pages. Choice lists are the scope check: a unit or
person outside the user's scope is simply not a valid choice."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import PeopleChoice, PersonChoice, StyledForm
from opinion.models import Event, KeywordRule, Source
from opinion.models.alerts import RULE_MODES, AlertLevel, ThresholdMetric
from opinion.models.reports import ReportKind

WEEKDAY_CHOICES = [(str(i), f"周{d}") for i, d in enumerate("一二三四五六日")]
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _units(user: Any, action: str = "work") -> Any:
    from org.models import Unit

    return Unit.objects.visible_to(user, action).filter(is_active=True).order_by("path")


def _people(user: Any) -> Any:
    from org.models import Person

    return Person.objects.visible_to(user, "view").filter(is_active=True).select_related("unit").order_by(
        "unit__path", "name")


class AlertRuleForm(StyledForm):
    name = forms.CharField(label="名称", max_length=100)
    unit = forms.ModelChoiceField(label="所属单位", queryset=None, help_text="预警为该单位而发，默认通知其负责人")
    mode = forms.ChoiceField(label="预警方式", choices=[(m.value, m.label) for m in RULE_MODES])
    level = forms.ChoiceField(label="预警级别", choices=AlertLevel.choices)
    keyword_rule = forms.ModelChoiceField(label="关键词规则", queryset=None, required=False,
                                          help_text="可选：只对命中该规则的信息预警；敏感词方式须选用途为“敏感词”的规则")
    metric = forms.ChoiceField(label="阈值指标", choices=[("", "—")] + ThresholdMetric.choices, required=False)
    threshold = forms.FloatField(label="阈值", required=False, min_value=0,
                                 help_text="热度为指数；增长率与负面占比为小数（1.5 即 150%，0.6 即 60%）；来源信息量为条数")
    window_minutes = forms.IntegerField(label="统计窗口（分钟）", initial=60, min_value=1, max_value=10_080)
    source = forms.ModelChoiceField(label="指定来源", queryset=Source.objects.order_by("name"), required=False)
    min_confidence = forms.FloatField(label="最低置信度", initial=0.6, min_value=0, max_value=1)
    weekdays = forms.MultipleChoiceField(label="生效星期", choices=WEEKDAY_CHOICES, required=False,
                                         widget=forms.CheckboxSelectMultiple, help_text="不选表示每天")
    active_from = forms.TimeField(label="生效开始", required=False, widget=TIME)
    active_to = forms.TimeField(label="生效结束", required=False, widget=TIME)
    quiet_start = forms.TimeField(label="免打扰开始", required=False, widget=TIME, help_text="留空使用全局设置；红色预警不受免打扰限制")
    quiet_end = forms.TimeField(label="免打扰结束", required=False, widget=TIME)
    recipients = PeopleChoice(label="接收人", queryset=None, required=False,
                              help_text="留空时发送给所属单位的负责人和分管领导")
    enabled = forms.BooleanField(label="启用", required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)
        self.fields["keyword_rule"].queryset = KeywordRule.objects.visible_to(user, "view").order_by("name")
        self.fields["recipients"].queryset = _people(user)
        self.fields["recipients"].widget.attrs["size"] = 6


class AlertIncidentForm(StyledForm):
    """受理 an alert (or an event) as an incident."""

    title = forms.CharField(label="事项", max_length=300)
    level = forms.ChoiceField(label="级别", choices=AlertLevel.choices)
    unit = forms.ModelChoiceField(label="受理单位", queryset=None)
    owner = PersonChoice(label="责任人", queryset=None, required=False)
    description = forms.CharField(label="基本情况", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)
        self.fields["owner"].queryset = _people(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        owner, unit = data.get("owner"), data.get("unit")
        if owner and unit and owner.unit_id != unit.pk:
            self.add_error("owner", "责任人须为受理单位的人员")
        return data


class IncidentCreateForm(AlertIncidentForm):
    event = forms.ModelChoiceField(label="舆情事件", queryset=Event.objects.order_by("-last_seen"), required=False)


class AdvanceForm(StyledForm):
    to_stage = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    analysis = forms.CharField(label="研判意见", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    level = forms.ChoiceField(label="级别", choices=[("", "—")] + AlertLevel.choices, required=False)
    measures = forms.CharField(label="处置措施", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    outcome = forms.CharField(label="反馈结果", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    note = forms.CharField(label="说明", required=False, max_length=500)


class NoteForm(StyledForm):
    text = forms.CharField(label="记录", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class StatementForm(StyledForm):
    text = forms.CharField(label="回应口径", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class TaskForm(StyledForm):
    title = forms.CharField(label="任务", max_length=200)
    unit = forms.ModelChoiceField(label="责任单位", queryset=None)
    due = forms.DateField(label="完成时限", widget=DATE)
    description = forms.CharField(label="要求", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from org.models import Unit

        # Disposal may involve any unit of the organ (网信, 宣传, the unit concerned …).
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).order_by("path")


class ReportForm(StyledForm):
    kind = forms.ChoiceField(label="报告类型", choices=ReportKind.choices)
    start = forms.DateField(label="起始日期", required=False, widget=DATE, help_text="留空：日报为昨天，周报为上周")
    end = forms.DateField(label="截止日期", required=False, widget=DATE)
    event = forms.ModelChoiceField(label="舆情事件（专报）", queryset=Event.objects.order_by("-last_seen"),
                                   required=False)


class HandoverForm(StyledForm):
    shift_date = forms.DateField(label="班次日期", widget=DATE)
    to_person = PersonChoice(label="接班人", queryset=None)
    notes = forms.CharField(label="交班说明", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_person"].queryset = people


class ManualAlertForm(StyledForm):
    """人工预警 about an event."""

    event = forms.ModelChoiceField(label="舆情事件", queryset=Event.objects.order_by("-last_seen"))
    level = forms.ChoiceField(label="预警级别", choices=AlertLevel.choices)
    reason = forms.CharField(label="预警原因", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    recipients = PeopleChoice(label="接收人", queryset=None)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = _people(user).filter(user__isnull=False)
        self.fields["recipients"].widget.attrs["size"] = 8


STAGE_KEYS = (("accepted", "受理"), ("analysing", "研判"), ("handling", "处置"), ("feedback", "反馈"))


class SettingsForm(StyledForm):
    """工作时段, 免打扰时段 and per-level stage deadlines (working hours), as one form."""

    working_hours = forms.CharField(label="工作时段", max_length=200,
                                    help_text="如 09:00-12:00,13:30-17:30；处置时限只计算这些时段（工作日）")
    quiet_start = forms.TimeField(label="免打扰开始", widget=TIME)
    quiet_end = forms.TimeField(label="免打扰结束", widget=TIME)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for level, level_label in AlertLevel.choices:
            for stage, stage_label in STAGE_KEYS:
                self.fields[f"{level}_{stage}"] = forms.FloatField(
                    label=f"{level_label}·{stage_label}（工作小时）", min_value=0.25, max_value=2000,
                    widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.25"}))

    def clean_working_hours(self) -> list[list[str]]:
        import datetime

        windows = []
        for part in self.cleaned_data["working_hours"].replace("，", ",").split(","):
            if not part.strip():
                continue
            try:
                start, end = (datetime.time.fromisoformat(x.strip()) for x in part.replace("–", "-").split("-"))
            except ValueError:
                raise forms.ValidationError(f"“{part.strip()}”格式应为 HH:MM-HH:MM") from None
            if start >= end:
                raise forms.ValidationError(f"“{part.strip()}”的结束时间须晚于开始时间")
            windows.append([start.strftime("%H:%M"), end.strftime("%H:%M")])
        if not windows:
            raise forms.ValidationError("请至少填写一个工作时段")
        return sorted(windows)

    def deadlines(self) -> dict[str, dict[str, float]]:
        return {level: {stage: self.cleaned_data[f"{level}_{stage}"] for stage, _ in STAGE_KEYS}
                for level in AlertLevel.values}
