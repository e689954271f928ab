"""Forms of the meetings pages. Plain forms (not ModelForms): a refused save must not touch the
record shown beside it. Unit choices are the user's scope (the choice list is the scope check);
edit forms carry the record's `version` (optimistic locking, see risks.meetings.actions)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from core.forms import StyledForm
from org.models import Person, Unit
from risks.meetings.actions import ItemData, StepData
from risks.meetings.choices import Answer, Attendance, Cadence, MeetingKind, PlanLevel, SubjectKind
from risks.meetings.models import CheckAnswer, ChecklistTemplate, ContingencyPlan, DrillStep

MAX_STEPS = 30


def date_widget(hint: bool = True) -> forms.DateInput:
    attrs = {"type": "date", "class": "form-control"}
    if hint:
        # The ledger's hint under the field says at once whether the day is a working day.
        attrs.update({"hx-get": reverse_lazy("ledger:workday_hint"), "hx-trigger": "change",
                      "hx-target": "next .workday-hint", "hx-swap": "innerHTML", "data-hint": "1"})
    return forms.DateInput(format="%Y-%m-%d", attrs=attrs)


def units_for(user: Any, action: str = "change") -> Any:
    return Unit.objects.visible_to(user, action).filter(is_active=True).order_by("path")


def people_for(user: Any) -> Any:
    return (Person.objects.visible_to(user, "view").filter(is_active=True).select_related("unit")
            .order_by("unit__path", "sort_order", "id"))


class PersonChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.unit.name} · {obj.name}" + (f"（{obj.title}）" if obj.title else "")


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return "　" * max(obj.depth, 0) + obj.name


class VersionMixin(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


# --- meetings ---------------------------------------------------------------------------------------


class SeriesForm(StyledForm):
    unit = UnitChoice(label="召集单位", queryset=Unit.objects.none())
    title = forms.CharField(label="名称", max_length=200, help_text="如：机关党组意识形态风险研判会")
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    cadence = forms.TypedChoiceField(label="召开频次", choices=Cadence.choices, coerce=int, initial=Cadence.BIMONTHLY)
    default_attendees = PersonChoices(label="默认参会人员", queryset=Person.objects.none(), required=False,
                                      widget=forms.SelectMultiple(attrs={"size": 8}))
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    obligation = forms.IntegerField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user)
        self.fields["default_attendees"].queryset = people_for(user)
        if editing:
            del self.fields["unit"]
            del self.fields["obligation"]
        else:
            del self.fields["is_active"]


class GenerateForm(StyledForm):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)


class MeetingForm(StyledForm):
    unit = UnitChoice(label="召集单位", queryset=Unit.objects.none())
    title = forms.CharField(label="会议名称", max_length=200)
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    scheduled_on = forms.DateField(label="计划召开日期", widget=date_widget())
    allow_non_workday = forms.BooleanField(label="仍使用该日期（非工作日）", required=False)
    location = forms.CharField(label="地点", max_length=100, required=False)
    attendees = PersonChoices(label="参会人员", queryset=Person.objects.none(), required=False,
                              widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user)
        self.fields["attendees"].queryset = people_for(user)


class MeetingEditForm(StyledForm):
    title = forms.CharField(label="会议名称", max_length=200)
    scheduled_on = forms.DateField(label="计划召开日期", widget=date_widget())
    allow_non_workday = forms.BooleanField(label="仍使用该日期（非工作日）", required=False)
    location = forms.CharField(label="地点", max_length=100, required=False)
    cancel = forms.BooleanField(label="取消本次会议", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AgendaItemForm(StyledForm):
    title = forms.CharField(label="议题", max_length=300)
    detail = forms.CharField(label="说明", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RecordForm(StyledForm):
    """Held on, chair, minutes, and one attendance choice per invited person (plus people to add)."""

    held_on = forms.DateField(label="召开日期", widget=date_widget(hint=False))
    chair = forms.CharField(label="主持人", max_length=64, required=False)
    minutes = forms.CharField(label="会议纪要", max_length=50_000, widget=forms.Textarea(attrs={"rows": 8}))
    add_people = PersonChoices(label="增加参会人员（记为出席）", queryset=Person.objects.none(), required=False,
                               widget=forms.SelectMultiple(attrs={"size": 6}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: Any, attendees: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attendees = attendees
        self.fields["add_people"].queryset = people_for(user)
        for attendee in attendees:
            self.fields[f"att_{attendee.person_id}"] = forms.ChoiceField(
                label=attendee.person.name, choices=Attendance.choices,
                initial=attendee.status or Attendance.PRESENT, widget=forms.Select(attrs={"class": "form-select"}))
            self.fields[f"note_{attendee.person_id}"] = forms.CharField(
                label="备注", max_length=200, required=False, initial=attendee.note,
                widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "请假事由等"}))

    def attendance_rows(self) -> list[dict[str, Any]]:
        return [{"person": a.person, "status": self[f"att_{a.person_id}"], "note": self[f"note_{a.person_id}"]}
                for a in self.attendees]

    def rows(self) -> list[Any]:
        from risks.meetings.actions import AttendanceRow

        data = self.cleaned_data
        rows = [AttendanceRow(a.person, data[f"att_{a.person_id}"], data[f"note_{a.person_id}"])
                for a in self.attendees]
        known = {a.person_id for a in self.attendees}
        rows += [AttendanceRow(p, Attendance.PRESENT) for p in data["add_people"] if p.pk not in known]
        return rows


class TaskRaisingForm(StyledForm):
    """A decision or a finding: text, the responsible unit, the deadline (a working day, not past)."""

    text = forms.CharField(label="决定事项", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    unit = UnitChoice(label="责任单位", queryset=Unit.objects.none())
    due_date = forms.DateField(label="完成时限", widget=date_widget())
    allow_non_workday = forms.BooleanField(label="仍使用该日期（非工作日）", required=False)

    def __init__(self, *args: Any, user: Any, text_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user)
        if text_label:
            self.fields["text"].label = text_label


# --- contingency plans ------------------------------------------------------------------------------


class PlanForm(StyledForm):
    unit = UnitChoice(label="责任单位", queryset=Unit.objects.none())
    title = forms.CharField(label="预案名称", max_length=200)
    level = forms.ChoiceField(label="响应级别", choices=PlanLevel.choices,
                              error_messages={"invalid_choice": "响应级别无效：“%(value)s”，应为Ⅰ级、Ⅱ级、Ⅲ级或Ⅳ级"})
    trigger = forms.CharField(label="启动条件", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    description = forms.CharField(label="说明", required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args: Any, user: Any, plan: ContingencyPlan | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user)
        if plan is not None:
            del self.fields["unit"]
        else:
            del self.fields["is_active"]


class StepForm(forms.Form):
    title = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
    role = forms.CharField(max_length=64, required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
    unit = UnitChoice(queryset=Unit.objects.none(), required=False, empty_label="—",
                      widget=forms.Select(attrs={"class": "form-select"}))
    target_minutes = forms.IntegerField(min_value=1, max_value=10_080, required=False,
                                        widget=forms.NumberInput(attrs={"class": "form-control"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.visible_to(user, "view").filter(is_active=True).order_by("path")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("title") and not data.get("target_minutes"):
            self.add_error("target_minutes", "请填写响应时限（分钟）")
        if data.get("target_minutes") and not data.get("title"):
            self.add_error("title", "请填写处置步骤")
        return data


class BaseStepFormSet(forms.BaseFormSet):
    def steps(self) -> list[StepData]:
        return [StepData(f.cleaned_data["title"], f.cleaned_data["target_minutes"], f.cleaned_data.get("role", ""),
                         f.cleaned_data.get("unit"))
                for f in self.forms if f.cleaned_data.get("title")]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=3, max_num=MAX_STEPS,
                                    validate_max=True)


def step_formset(user: Any, data: Any = None, plan: ContingencyPlan | None = None) -> BaseStepFormSet:
    initial = None
    if plan is not None and data is None:
        initial = [{"title": s.title, "role": s.role, "unit": s.unit_id, "target_minutes": s.target_minutes}
                   for s in plan.steps.all()]
    return StepFormSet(data, initial=initial, prefix="steps", form_kwargs={"user": user})


class DrillForm(StyledForm):
    scenario = forms.CharField(label="演练场景", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    held_at = forms.DateTimeField(label="演练时间", input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                  widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}))
    participants = PersonChoices(label="参演人员", queryset=Person.objects.none(), required=False,
                                 widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = people_for(user)


class DrillRecordForm(StyledForm):
    summary = forms.CharField(label="演练总结", required=False, max_length=10_000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, steps: list[DrillStep], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.steps = steps
        for step in steps:
            self.fields[f"actual_{step.pk}"] = forms.IntegerField(
                label=step.title, min_value=0, max_value=100_000, required=False, initial=step.actual_minutes,
                widget=forms.NumberInput(attrs={"class": "form-control", "placeholder": "分钟"}))
            self.fields[f"note_{step.pk}"] = forms.CharField(
                label="备注", max_length=300, required=False, initial=step.note,
                widget=forms.TextInput(attrs={"class": "form-control"}))

    def step_rows(self) -> list[dict[str, Any]]:
        return [{"step": s, "actual": self[f"actual_{s.pk}"], "note": self[f"note_{s.pk}"]} for s in self.steps]

    def timings(self) -> list[Any]:
        from risks.meetings.actions import StepTiming

        data = self.cleaned_data
        return [StepTiming(s.pk, data[f"actual_{s.pk}"], data[f"note_{s.pk}"]) for s in self.steps]


# --- checklists and checks --------------------------------------------------------------------------


def parse_items(text: str) -> list[ItemData]:
    """One item a line: 风险点：检查内容 (a full-width or ASCII colon, or |)."""
    rows = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        for sep in ("：", ":", "|", "｜"):
            if sep in line:
                group, _, question = line.partition(sep)
                rows.append(ItemData(group.strip(), question.strip()))
                break
        else:
            raise ValidationError(f"第 {n} 行缺少“风险点：检查内容”中的冒号")
    return rows


class TemplateForm(StyledForm):
    title = forms.CharField(label="清单名称", max_length=200)
    description = forms.CharField(label="说明", required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    items = forms.CharField(label="检查项", max_length=50_000, widget=forms.Textarea(attrs={"rows": 12}),
                            help_text="每行一项，格式为“风险点：检查内容”，如“政治导向：内容符合党的路线方针政策”")
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def clean_items(self) -> list[ItemData]:
        rows = parse_items(self.cleaned_data["items"])
        if not rows:
            raise ValidationError("请至少填写一个检查项")
        return rows


def items_text(template: ChecklistTemplate) -> str:
    return "\n".join(f"{i.group}：{i.text}" for i in template.items.all())


class CheckStartForm(StyledForm):
    unit = UnitChoice(label="填报单位", queryset=Unit.objects.none())
    template = forms.ModelChoiceField(label="评估清单", queryset=ChecklistTemplate.objects.none())
    subject_kind = forms.ChoiceField(label="事项类型", choices=SubjectKind.choices)
    subject_title = forms.CharField(label="事项名称", max_length=200,
                                    help_text="拟作出的重大决策、拟举办的活动或拟发布的稿件")
    subject_date = forms.DateField(label="拟定日期", widget=date_widget(hint=False))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user, "work")
        self.fields["template"].queryset = ChecklistTemplate.objects.filter(is_active=True)


class CheckAnswersForm(StyledForm):
    conclusion = forms.CharField(label="评估结论", required=False, max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, answers: list[CheckAnswer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers = answers
        for a in answers:
            self.fields[f"ans_{a.pk}"] = forms.ChoiceField(
                label=a.text, choices=Answer.choices, required=False, initial=a.answer, widget=forms.RadioSelect)
            self.fields[f"note_{a.pk}"] = forms.CharField(
                label="说明", max_length=500, required=False, initial=a.note,
                widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "发现风险时必填"}))
            self.fields[f"risk_{a.pk}"] = forms.BooleanField(label="登记为风险隐患", required=False,
                                                             initial=a.raise_risk)

    def groups(self) -> list[tuple[str, list[dict[str, Any]]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for a in self.answers:
            grouped.setdefault(a.group, []).append(
                {"answer": a, "choice": self[f"ans_{a.pk}"], "note": self[f"note_{a.pk}"], "risk": self[f"risk_{a.pk}"]})
        return list(grouped.items())

    def answer_rows(self) -> list[Any]:
        from risks.meetings.actions import AnswerData

        data = self.cleaned_data
        return [AnswerData(a.pk, data.get(f"ans_{a.pk}") or "", data.get(f"note_{a.pk}") or "",
                           bool(data.get(f"risk_{a.pk}"))) for a in self.answers]


def today_plus(days: int) -> datetime.date:
    from django.utils import timezone

    return timezone.localdate() + datetime.timedelta(days=days)
