"""Forms of the task pages: progress with evidence, review, edit and manual creation.

Every write form carries the task's `version` (hidden): ledger.actions refuses a write based on an
older version (ConflictError), and the page then shows the latest task with the user's input kept.
Unit choices come from ScopedModelForm (the choice list is the scope check); owner choices are the
people of the task's unit; supervising leaders are people holding a leadership role over the unit.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse

from core import workdays
from core.files import check_upload
from core.forms import ScopedModelForm, StyledForm
from core.models import User
from core.roles import LEADERSHIP_ROLES
from ledger.choices import SourceKind
from ledger.models import Task
from org.models import Person, RoleAssignment, Unit

MAX_FILES = 10
MAX_TARGET = 10_000


# --- helpers ----------------------------------------------------------------------------------------


def workday_problem(day: datetime.date | None) -> str:
    """'' for a working day; otherwise what the day is and the nearest working days, in Chinese."""
    if day is None:
        return ""
    try:
        info = workdays.day_info(day)
        if info.is_workday:
            return ""
        before = workdays.previous_workday(day)
        after = workdays.next_workday(day)
    except (ValueError, OverflowError):
        return ""
    what = f"{info.label}（{info.name}）" if info.name else info.label
    return (f"{day:%Y-%m-%d} 是{what}，不是工作日。建议改为前一个工作日 {before:%Y-%m-%d}，"
            f"或后一个工作日 {after:%Y-%m-%d}")


def leaders_over(unit: Unit | None) -> QuerySet:
    """Active accounts holding a leadership role (书记、分管领导、班子成员) over `unit` (or over any
    unit when `unit` is None)."""
    roles = RoleAssignment.objects.filter(role__in=LEADERSHIP_ROLES, person__is_active=True)
    if unit is not None:
        roles = roles.filter(unit_id__in=unit.ancestors_ids())
    return (User.objects.filter(is_active=True, person__in=roles.values("person_id"))
            .select_related("person").order_by("person__unit__path", "person__sort_order", "id"))


def oversees(user: Any, unit: Unit) -> bool:
    return RoleAssignment.objects.filter(
        person__user=user, person__is_active=True, role__in=LEADERSHIP_ROLES, unit_id__in=unit.ancestors_ids()
    ).exists()


class LeaderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        person = getattr(obj, "person", None)
        return f"{obj}（{person.title}）" if person is not None and person.title else str(obj)


class PersonChoiceField(forms.ModelChoiceField):
    def __init__(self, *args: Any, with_unit: bool = False, **kwargs: Any) -> None:
        self.with_unit = with_unit
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        label = obj.name + (f"（{obj.title}）" if obj.title else "")
        return f"{obj.unit.name} · {label}" if self.with_unit else label


def _date_widget() -> forms.DateInput:
    # The hint below the field says at once whether the chosen day is a working day.
    return forms.DateInput(format="%Y-%m-%d", attrs={
        "type": "date", "class": "form-control", "hx-get": reverse("ledger:workday_hint"), "hx-trigger": "change",
        "hx-target": "next .workday-hint", "hx-swap": "innerHTML",
    })


class WorkdayCheckMixin:
    """Refuses a due date that is not a working day unless `allow_non_workday` is ticked."""

    def check_workday(self, cleaned: dict[str, Any]) -> None:
        problem = workday_problem(cleaned.get("due_date"))
        if problem and not cleaned.get("allow_non_workday"):
            self.add_error("due_date", problem + "；如确需使用该日期，请勾选“仍使用该日期”。")  # type: ignore[attr-defined]
            self.non_workday = True  # the template then shows the checkbox


# --- progress ---------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ProgressForm(StyledForm):
    text = forms.CharField(label="进展情况", max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": "做了什么、结果如何"}),
                           error_messages={"required": "请填写进展情况"})
    increment = forms.IntegerField(label="本次完成次数", min_value=0, max_value=1000, initial=0, required=False,
                                   help_text="计次任务（如全年12次）填写本次完成的次数")
    files = MultipleFileField(label="佐证材料", required=False,
                              help_text="会议纪要、照片、文件等，可多选；支持 pdf、jpg、png、docx、xlsx、pptx、txt、csv")
    request_completion = forms.BooleanField(label="申请办结（提交单位负责人确认）", required=False)
    kept_files = forms.CharField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, task: Task, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.task = task
        self.user = user
        self.fields["files"].widget.attrs["multiple"] = True
        self.kept: list[Any] = []

    def clean_files(self) -> list[Any]:
        files = self.cleaned_data.get("files") or []
        if len(files) > MAX_FILES:
            raise ValidationError(f"一次最多上传 {MAX_FILES} 个文件")
        errors = []
        for uploaded in files:
            try:
                check_upload(uploaded)
            except ValidationError as exc:
                errors.append(f"{uploaded.name}：{'；'.join(exc.messages)}")
        if errors:
            raise ValidationError(errors)
        return files

    def clean_kept_files(self) -> str:
        """Files already stored by an earlier attempt that was refused (e.g. a conflict): only the
        user's own uploads for this task's unit can be kept."""
        from core.models import StoredFile

        raw = self.cleaned_data.get("kept_files") or ""
        ids = sorted({int(x) for x in raw.split(",") if x.strip().isdigit()})[:MAX_FILES]
        self.kept = list(StoredFile.objects.filter(pk__in=ids, uploaded_by=self.user, unit_id=self.task.unit_id))
        return ",".join(str(f.pk) for f in self.kept)

    def keep(self, stored: list[Any]) -> None:
        """After a refused attempt, remember what was stored so the user need not upload it again."""
        self.kept = list({f.pk: f for f in [*self.kept, *stored]}.values())
        data = self.data.copy()
        data["kept_files"] = ",".join(str(f.pk) for f in self.kept)
        self.data = data


class ReviewForm(StyledForm):
    comment = forms.CharField(label="意见", required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2, "placeholder": "确认意见；退回时必填理由"}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- edit -------------------------------------------------------------------------------------------


class TaskEditForm(WorkdayCheckMixin, StyledForm):
    """A plain form (not a ModelForm): a refused save must not touch the task shown beside it."""

    title = forms.CharField(label="任务", max_length=300)
    description = forms.CharField(label="说明", required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(label="完成时限")
    allow_non_workday = forms.BooleanField(label="仍使用该日期（非工作日）", required=False)
    owner = PersonChoiceField(label="责任人", queryset=Person.objects.none(), required=False,
                              empty_label="（未指定，由单位承办）")
    target_count = forms.IntegerField(label="目标次数", min_value=1, max_value=MAX_TARGET)
    supervising_leader = LeaderChoiceField(label="分管领导", queryset=User.objects.none(), required=False,
                                           empty_label="（无）")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, task: Task, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "title": task.title, "description": task.description, "due_date": task.due_date,
            "owner": task.owner_id, "target_count": task.target_count,
            "supervising_leader": task.supervising_leader_id, "version": task.version,
        })
        super().__init__(*args, **kwargs)
        self.task = task
        self.non_workday = False
        self.fields["due_date"].widget = _date_widget()
        owners = Q(unit_id=task.unit_id, is_active=True)
        if task.owner_id:
            owners |= Q(pk=task.owner_id)
        self.fields["owner"].queryset = Person.objects.filter(owners).select_related("unit").order_by(
            "sort_order", "id")
        leaders = leaders_over(task.unit)
        if task.supervising_leader_id:
            leaders = (User.objects.filter(Q(pk__in=leaders.values("pk")) | Q(pk=task.supervising_leader_id))
                       .select_related("person").order_by("id"))
        self.fields["supervising_leader"].queryset = leaders

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("due_date") != self.task.due_date:
            self.check_workday(cleaned)
        return cleaned

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in (
            "title", "description", "due_date", "owner", "target_count", "supervising_leader")}


# --- create -----------------------------------------------------------------------------------------

MANUAL_KINDS = [(SourceKind.MANUAL.value, SourceKind.MANUAL.label), (SourceKind.MEETING.value, SourceKind.MEETING.label)]


class TaskCreateForm(WorkdayCheckMixin, ScopedModelForm):
    """A manual task. The unit list is the user's change scope: a forged unit is an invalid choice."""

    allow_non_workday = forms.BooleanField(label="仍使用该日期（非工作日）", required=False)
    owner = PersonChoiceField(label="责任人", queryset=Person.objects.none(), required=False, with_unit=True,
                              empty_label="（未指定，由单位承办）")
    supervising_leader = LeaderChoiceField(label="分管领导", queryset=User.objects.none(), required=False,
                                           empty_label="（无）")
    source_kind = forms.ChoiceField(label="来源", choices=MANUAL_KINDS, initial=SourceKind.MANUAL)
    target_count = forms.IntegerField(label="目标次数", min_value=1, max_value=MAX_TARGET, initial=1,
                                      help_text="计次任务填写次数，如“全年不少于12次”填 12")

    class Meta:
        model = Task
        fields = ["unit", "title", "description", "due_date", "owner", "target_count", "supervising_leader",
                  "source_kind", "origin"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"origin": "如：3月12日党组会议决定"}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.non_workday = False
        self.fields["unit"].queryset = self.fields["unit"].queryset.order_by("path")
        self.fields["unit"].empty_label = "（请选择）"
        self.fields["due_date"].widget = _date_widget()
        unit_ids = self.fields["unit"].queryset.values("id")
        self.fields["owner"].queryset = (Person.objects.filter(unit_id__in=unit_ids, is_active=True)
                                         .select_related("unit").order_by("unit__path", "sort_order", "id"))
        self.fields["supervising_leader"].queryset = leaders_over(None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        unit, owner, leader = cleaned.get("unit"), cleaned.get("owner"), cleaned.get("supervising_leader")
        if unit is not None and owner is not None and owner.unit_id != unit.pk:
            self.add_error("owner", "责任人须为责任单位的人员")
        if unit is not None and leader is not None and not oversees(leader, unit):
            self.add_error("supervising_leader", f"{leader} 不是{unit.name}的分管领导")
        self.check_workday(cleaned)
        return cleaned

    def _post_clean(self) -> None:
        # The task is written by ledger.actions.create_task, which checks the model's rules itself.
        pass
