"""Which tasks a list shows: the scope tabs (我的任务 / 本单位 / 全部), the filters, the sort order,
and how a task is presented (light, displayed status). The web lists, the calendar, the .xlsx export
and the API all go through here, so a filter means the same thing everywhere.

Every queryset starts from `Task.objects.visible_to(user, "view")` (core.scoping); the filters only
ever narrow it. Filter choice lists (units, plans, sections) are limited to what the user can see.
"""

from __future__ import annotations

import bisect
import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from core import workdays
from core.forms import StyledForm
from core.scoping import access_for, scope_unit_ids
from ledger.actions import annotate_lights, light_filter
from ledger.choices import OPEN_STATUSES, OVERDUE, OVERDUE_LABEL, Light, SourceKind, TaskStatus
from ledger.models import Task

SCOPES: dict[str, str] = {"mine": "我的任务", "unit": "本单位", "all": "全部任务"}

STATUS_CHOICES: list[tuple[str, str]] = [
    (TaskStatus.NOT_STARTED, "未开始"),
    (TaskStatus.IN_PROGRESS, "进行中"),
    (TaskStatus.PENDING_REVIEW, "待审核"),
    (TaskStatus.DONE, "已完成"),
    (OVERDUE, OVERDUE_LABEL),
]
STATUS_LABELS = dict(STATUS_CHOICES)

LIGHT_LABELS: dict[str, str] = {
    Light.BLUE: "蓝灯·正常",
    Light.YELLOW: "黄灯·临期",
    Light.RED: "红灯·逾期",
    Light.GREEN: "绿灯·已完成",
}
LIGHT_CHOICES: list[tuple[str, str]] = list(LIGHT_LABELS.items())

_DONE_LAST = Case(When(status=TaskStatus.DONE, then=Value(1)), default=Value(0), output_field=IntegerField())

SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "open": ("未完成在前", (_DONE_LAST, "due_date", "id")),
    "due": ("完成时限（早→晚）", ("due_date", "id")),
    "-due": ("完成时限（晚→早）", ("-due_date", "-id")),
    "unit": ("责任单位", ("unit__path", "due_date", "id")),
    "status": ("状态", ("status", "due_date", "id")),
    "updated": ("最近更新", ("-updated_at", "-id")),
    "title": ("任务名称", ("title", "id")),
}
SORT_CHOICES: list[tuple[str, str]] = [(key, label) for key, (label, _) in SORTS.items()]
DEFAULT_SORT = "due"
# 我的任务 and 本单位 are short: what is still to do comes first. 全部 keeps the due-date order, which an
# index serves even over 100,000 tasks.
SCOPE_SORT = {"mine": "open", "unit": "open", "all": "due"}

MONTH_RE = re.compile(r"^([12][0-9]{3})-(0[1-9]|1[0-2])$")


# --- scope ------------------------------------------------------------------------------------------


def scoped_tasks(user: Any, scope: str = "all", where: Q | None = None) -> QuerySet[Task]:
    """The tasks of one tab. 我的任务: tasks I own, and my unit's tasks nobody owns yet; 本单位: my
    unit's tasks; 全部: everything my scope covers. All three stay inside `visible_to`.

    `where` is ANDed into each branch of 我的任务's OR, not around it: SQLite then searches the
    owner and the unit indexes separately instead of scanning every open task."""
    qs = Task.objects.visible_to(user, "view")
    where = where or Q()
    if scope == "all":
        return qs.filter(where)
    access = access_for(user)
    if scope == "mine":
        if access.person_id is None:
            return qs.none()
        mine = Q(owner_id=access.person_id) & where
        if access.own_unit_id is not None:
            mine |= Q(owner__isnull=True, unit_id=access.own_unit_id) & where
        return qs.filter(mine)
    if scope == "unit":
        if access.own_unit_id is None:
            return qs.none()
        return qs.filter(where, unit_id=access.own_unit_id)
    raise ValueError(f"unknown scope {scope!r}")


def overdue_q(today: datetime.date) -> Q:
    return Q(status__in=OPEN_STATUSES, due_date__lt=today)


def status_q(status: str, today: datetime.date) -> Q:
    """Each task has exactly one displayed status: an open task past its due date is 已逾期, not
    未开始 / 进行中 / 待审核."""
    if status == OVERDUE:
        return overdue_q(today)
    if status == TaskStatus.DONE:
        return Q(status=TaskStatus.DONE)
    return Q(status=status, due_date__gte=today)


def month_range(value: str) -> tuple[datetime.date, datetime.date] | None:
    match = MONTH_RE.match(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    first = datetime.date(year, month, 1)
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - datetime.timedelta(days=1)


@dataclass
class TaskFilters:
    """Cleaned filter values; None / "" means "not filtered"."""

    status: str = ""
    light: str = ""
    unit_ids: list[int] | None = None
    plan_id: int | None = None
    section_id: int | None = None
    item_id: int | None = None
    month: str = ""
    due: datetime.date | None = None
    source: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    described: dict[str, str] = field(default_factory=dict)  # label → value, for export subtitles

    def apply(self, qs: QuerySet[Task], today: datetime.date | None = None) -> QuerySet[Task]:
        today = today or timezone.localdate()
        if self.status:
            qs = qs.filter(status_q(self.status, today))
        if self.light:
            qs = qs.filter(light_filter(self.light, today))
        if self.unit_ids is not None:
            qs = qs.filter(unit_id__in=self.unit_ids)
        if self.plan_id:
            qs = qs.filter(plan_id=self.plan_id)
        if self.section_id:
            qs = qs.filter(section_id=self.section_id)
        if self.item_id:
            qs = qs.filter(item_id=self.item_id)
        if self.month and (span := month_range(self.month)):
            qs = qs.filter(due_date__range=span)
        if self.due:
            qs = qs.filter(due_date=self.due)
        if self.source:
            qs = qs.filter(source_kind=self.source)
        if self.q:
            qs = qs.filter(Q(title__icontains=self.q) | Q(quote__icontains=self.q) | Q(origin__icontains=self.q))
        return qs.order_by(*SORTS.get(self.sort, SORTS[DEFAULT_SORT])[1])


# --- choice lists -----------------------------------------------------------------------------------


class UnitChoices:
    """The units a user sees, fetched once: the unit filter's choices and each unit's subtree."""

    def __init__(self, user: Any) -> None:
        from org.models import Unit

        self.rows = list(Unit.objects.visible_to(user, "view").order_by("path").values_list(
            "id", "name", "path", "depth", "is_active"))
        self.ids = {row[0] for row in self.rows}
        top = min((row[3] for row in self.rows), default=0)
        self.choices = [
            (str(pk), "　" * (depth - top) + name + ("（停用）" if not active else ""))
            for pk, name, _, depth, active in self.rows
        ]

    def subtree(self, unit_id: int) -> list[int]:
        """The unit and every visible unit below it."""
        path = next((row[2] for row in self.rows if row[0] == unit_id), None)
        if path is None:
            return []
        return [row[0] for row in self.rows if row[2].startswith(path)]

    def related_unit_ids(self) -> set[int]:
        """Visible units and their ancestors: plans are owned by the organ's root unit, above the
        sections that carry their tasks."""
        ids: set[int] = set()
        for _, _, path, _, _ in self.rows:
            ids.update(int(p) for p in path.strip("/").split("/") if p)
        return ids


def plans_for(user: Any, units: UnitChoices | None = None) -> QuerySet:
    """Plans whose tasks the user may find: owned by a unit in view scope or above one."""
    from plans.models import Plan

    if scope_unit_ids(user, "view") is None:
        return Plan.objects.all()
    units = units or UnitChoices(user)
    return Plan.objects.filter(unit_id__in=sorted(units.related_unit_ids()))


def _year_label(plan: Any) -> str:
    return f"{plan.year}年 · {plan.title}"


class TaskFilterForm(StyledForm):
    """The filter bar of the task lists. Invalid values are reported and left out; the rest apply."""

    q = forms.CharField(label="搜索", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": "任务名称、原文或出处", "type": "search"}))
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *STATUS_CHOICES])
    light = forms.ChoiceField(label="灯色", required=False, choices=[("", "全部灯色"), *LIGHT_CHOICES])
    unit = forms.TypedChoiceField(label="责任单位", required=False, coerce=int, empty_value=None)
    plan = forms.TypedChoiceField(label="工作要点", required=False, coerce=int, empty_value=None)
    section = forms.TypedChoiceField(label="板块", required=False, coerce=int, empty_value=None)
    item = forms.IntegerField(label="条目", required=False, min_value=1, widget=forms.HiddenInput)
    month = forms.CharField(label="到期月份", required=False, max_length=7,
                            widget=forms.DateInput(attrs={"type": "month", "placeholder": "2026-09"}))
    due = forms.DateField(label="到期日", required=False, widget=forms.HiddenInput)
    source = forms.ChoiceField(label="来源", required=False, choices=[("", "全部来源"), *SourceKind.choices])
    sort = forms.ChoiceField(label="排序", required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, user: Any, default_sort: str = DEFAULT_SORT, **kwargs: Any) -> None:
        from plans.models import Section

        super().__init__(*args, **kwargs)
        self.user = user
        self.default_sort = default_sort
        if not self.is_bound:
            self.initial["sort"] = default_sort
        elif not self.data.get("sort"):
            self.data = self.data.copy()
            self.data["sort"] = default_sort
        self.units = UnitChoices(user)
        self.fields["unit"].choices = [("", "全部单位"), *self.units.choices]
        plans = list(plans_for(user, self.units).order_by("-year", "-id").only("id", "title", "year"))
        self.plan_ids = {p.pk for p in plans}
        self.fields["plan"].choices = [("", "全部工作要点"), *((str(p.pk), _year_label(p)) for p in plans)]
        sections = list(
            Section.objects.filter(plan_id__in=sorted(self.plan_ids)).order_by("-plan__year", "plan_id", "number")
            .values_list("id", "number", "title", "plan_id")
        ) if plans else []
        self.section_ids = {s[0] for s in sections}
        titles = {p.pk: _year_label(p) for p in plans}
        grouped: dict[str, list[tuple[str, str]]] = {}
        for pk, number, title, plan_id in sections:
            grouped.setdefault(titles[plan_id], []).append((str(pk), f"{number}. {title}"))
        self.fields["section"].choices = [("", "全部板块"), *grouped.items()]
        self.item_obj: Any = None

    def clean_month(self) -> str:
        value = (self.cleaned_data.get("month") or "").strip()
        if value and not MONTH_RE.match(value):
            raise forms.ValidationError("月份格式应为 2026-09")
        return value

    def clean_item(self) -> int | None:
        from plans.models import Item

        value = self.cleaned_data.get("item")
        if value is None:
            return None
        item = Item.objects.filter(pk=value, plan_id__in=sorted(self.plan_ids)).select_related("plan").first()
        if item is None:
            raise forms.ValidationError("条目不存在或无权访问")
        self.item_obj = item
        return value

    def filters(self) -> TaskFilters:
        """The valid part of the submitted filters."""
        if not self.is_bound:
            return TaskFilters(sort=self.default_sort)
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        unit_ids = self.units.subtree(data["unit"]) if data.get("unit") else None
        described: dict[str, str] = {}
        for name, value in data.items():
            if name == "sort":
                continue
            label = str(self.fields[name].label or name)
            if name == "item" and self.item_obj is not None:
                described[label] = f"第{self.item_obj.number}项 {self.item_obj.title}"
            elif hasattr(self.fields[name], "choices"):
                choices = dict(_flat(self.fields[name].choices))
                described[label] = str(choices.get(str(value), value)).strip("　")
            else:
                described[label] = str(value)
        return TaskFilters(
            status=data.get("status", ""),
            light=data.get("light", ""),
            unit_ids=unit_ids,
            plan_id=data.get("plan"),
            section_id=data.get("section"),
            item_id=data.get("item"),
            month=data.get("month", ""),
            due=data.get("due"),
            source=data.get("source", ""),
            q=data.get("q", "").strip(),
            sort=data.get("sort") or self.default_sort,
            described=described,
        )


def _flat(choices: Iterable[Any]) -> list[tuple[Any, Any]]:
    flat: list[tuple[Any, Any]] = []
    for key, value in choices:
        if isinstance(value, list | tuple):
            flat.extend(value)
        else:
            flat.append((key, value))
    return flat


# --- presenting -------------------------------------------------------------------------------------


def present(tasks: Iterable[Task], today: datetime.date | None = None) -> list[Task]:
    """Lights (annotate_lights: one calendar computation for the whole page) and the displayed status."""
    rows = annotate_lights(tasks, today)
    for task in rows:
        task.light_label = LIGHT_LABELS[task.light]
        task.display_status = OVERDUE if task.is_overdue else task.status
        task.display_status_label = STATUS_LABELS.get(task.display_status, task.status)
        if task.status == TaskStatus.DONE:
            task.progress_percent = 100
        else:
            task.progress_percent = min(100, round(100 * task.done_count / max(task.target_count, 1)))
    return rows


MAX_CALENDAR_SPAN = 3660


def workday_flags(dates: Iterable[datetime.date]) -> dict[datetime.date, bool]:
    """Whether each date is a working day, reading the calendar once (not once per date)."""
    wanted = set(dates)
    if not wanted:
        return {}
    lo, hi = min(wanted), max(wanted)
    if (hi - lo).days > MAX_CALENDAR_SPAN:
        return {d: workdays.is_workday(d) for d in wanted}
    return {info.date: info.is_workday for info in workdays.days_info(lo, hi) if info.date in wanted}


def late_workdays(dues: Iterable[datetime.date], today: datetime.date) -> dict[datetime.date, int]:
    """Working days each past due date is overdue by (`workdays.workdays_between(due, today)`),
    from one read of the calendar."""
    wanted = {d for d in dues if d < today}
    if not wanted:
        return {}
    first = max(min(wanted), today - datetime.timedelta(days=MAX_CALENDAR_SPAN))
    worked = [info.date for info in workdays.days_info(first + datetime.timedelta(days=1), today) if info.is_workday]
    return {d: len(worked) - bisect.bisect_right(worked, d) for d in wanted}


def status_text(task: Task) -> str:
    """状态 as the exports write it: 已逾期（进行中） keeps the stored state visible."""
    if getattr(task, "is_overdue", False):
        if task.status == TaskStatus.NOT_STARTED:
            return OVERDUE_LABEL
        return f"{OVERDUE_LABEL}（{task.get_status_display()}）"
    return task.get_status_display()


class OverviewFilterForm(StyledForm):
    """The leader overview's filters: one plan, one year of due dates (the current year by default)."""

    plan = forms.TypedChoiceField(label="工作要点", required=False, coerce=int, empty_value=None)
    year = forms.TypedChoiceField(label="年度", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, user: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        plans = list(plans_for(user).order_by("-year", "-id").only("id", "title", "year"))
        self.fields["plan"].choices = [("", "全部工作要点"), *((str(p.pk), _year_label(p)) for p in plans)]
        years = sorted({p.year for p in plans} | {today.year}, reverse=True)
        self.fields["year"].choices = [("", "全部年度"), *((str(y), f"{y}年") for y in years)]
        if not self.is_bound:
            self.initial = {"year": today.year}

    def values(self) -> tuple[int | None, int | None]:
        """(plan id, year); an unsubmitted form means the current year."""
        if not self.is_bound:
            return None, self.today.year
        self.is_valid()
        return self.cleaned_data.get("plan"), self.cleaned_data.get("year")
