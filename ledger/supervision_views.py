"""督办 pages, response rules, ledger settings and duty rosters (URLs in ledger/urls_supervision.py).

Thin views: rows are read with `visible_to` / `get_visible_or_404` (out of scope looks missing), every
write goes through ledger.supervision, refusals raise PermissionDenied (the action logs a POST's).
A stale form (someone acted meanwhile) comes back to the page with the conflict message and the
current state, never silently overwriting.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core import workdays
from core.files import check_upload, store_upload
from core.forms import ScopedModelForm, StyledForm, StyledModelForm, add_action_errors
from core.listing import paginate
from core.models import User
from core.roles import LEADERSHIP_ROLES
from core.scoping import has_role, is_admin, scope_unit_ids
from ledger import supervision as sv
from ledger.actions import ConflictError
from ledger.choices import Grade, SupervisionLevel, SupervisionStatus, TaskStatus
from ledger.models import Duty, DutyLog, DutyShift, LedgerSettings, ResponseRule, Supervision, Task

WEEKDAYS = "一二三四五六日"
DUTY_FREQUENCIES = [("daily", "每日"), ("continuous", "常态（值班）"), ("weekly", "每周")]


# --- forms ------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several evidence files at once; each is checked by content like every upload."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(MultipleFileField, self).clean(item, initial) for item in items]
        files = [f for f in files if f]
        for f in files:
            check_upload(f)
        return files


class VersionForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AcknowledgeForm(VersionForm):
    text = forms.CharField(label="签收意见", required=False, max_length=2000,
                           widget=forms.TextInput(attrs={"placeholder": "已签收，将按要求办理"}))


class MeasuresForm(VersionForm):
    text = forms.CharField(label="措施和进展", max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4, "placeholder": "整改措施、责任人、时间安排；重大事项请写明分阶段的时间表"}))
    files = MultipleFileField(label="附件", help_text="可选多个：方案、纪要、照片等")


class RequestCloseForm(VersionForm):
    text = forms.CharField(label="办理结果", max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4, "placeholder": "办理结果、成效，申请办结销号"}))
    files = MultipleFileField(label="佐证材料", help_text="可选多个：会议纪要、照片、文件等")


class CloseForm(VersionForm):
    grade = forms.ChoiceField(label="评定等次", choices=Grade.choices,
                              widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    comment = forms.CharField(label="评定意见", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}), help_text="评定为不合格时必填")


class ReturnForm(VersionForm):
    comment = forms.CharField(label="退回理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class IssueForm(StyledForm):
    order = forms.CharField(label="督办意见", max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 3, "placeholder": "督办要求、重点和回复要求"}))
    level = forms.ChoiceField(label="事项类别", choices=SupervisionLevel.choices, initial=SupervisionLevel.ORDINARY)
    rule = forms.ModelChoiceField(label="响应规则", queryset=ResponseRule.objects.none(), empty_label=None)
    reply_deadline = forms.DateField(label="回复期限", required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                     help_text="不填则为规则的办结时限")
    leader = forms.ModelChoiceField(label="督办领导", queryset=User.objects.none(), required=False,
                                    help_text="管理员代领导交办时选择；不选则以本人名义")

    def __init__(self, *args: Any, task: Task, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = sv.get_default_rule()
        self.fields["rule"].queryset = ResponseRule.objects.order_by("-is_default", "name")
        self.fields["rule"].initial = default.pk
        if is_admin(user):
            ids = sv.Directory().leadership_ids(task.unit)
            self.fields["leader"].queryset = User.objects.filter(pk__in=ids, is_active=True).order_by("pk")
        else:
            del self.fields["leader"]


class RuleForm(StyledModelForm):
    class Meta:
        model = ResponseRule
        fields = ["name", "ack_days", "measures_days", "close_days", "major_close_days", "is_default"]


class SettingsForm(StyledModelForm):
    class Meta:
        model = LedgerSettings
        fields = ["yellow_days", "remind_days", "escalate_after_days"]
        help_texts = {
            "yellow_days": "距完成时限不足该工作日数的任务亮黄灯；已过时限亮红灯，其余为蓝灯",
            "remind_days": "在完成时限前第几个工作日提醒责任人，逗号分隔，如 3,1；填 0 表示到期当日提醒",
            "escalate_after_days": "逾期超过该工作日数仍未完成的，报分管领导；0 表示逾期当日即报",
        }

    def clean_remind_days(self) -> str:
        try:
            return ",".join(str(v) for v in sv.parse_remind_days(self.cleaned_data["remind_days"]))
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["remind_days"]) from None


class DutyForm(ScopedModelForm):
    frequency = forms.ChoiceField(label="频次", choices=DUTY_FREQUENCIES)

    class Meta:
        model = Duty
        fields = ["unit", "title", "frequency"]


class ShiftForm(StyledForm):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    person = forms.ModelChoiceField(label="值班人", queryset=None)

    def __init__(self, *args: Any, duty: Duty, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = sv.duty_people(duty)


class RotateForm(StyledForm):
    people = forms.ModelMultipleChoiceField(label="轮值人员（按顺序轮流）", queryset=None,
                                            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    start = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    workdays_only = forms.BooleanField(label="仅工作日", required=False, initial=True)
    replace = forms.BooleanField(label="覆盖期间已有排班", required=False)

    def __init__(self, *args: Any, duty: Duty, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = sv.duty_people(duty)


class LogForm(StyledForm):
    text = forms.CharField(label="值班记录", max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": "值班情况、处置事项、交接事项"}))


# --- helpers ----------------------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _next_stage(sup: Supervision, today: datetime.date) -> sv.Stage | None:
    """The stage to watch: the first not yet met, else None (closed, or awaiting the leader)."""
    if sup.status in (SupervisionStatus.CLOSED, SupervisionStatus.CLOSING):
        return None
    for stage in sv.stages(sup, today):
        if stage.done_on is None:
            return stage
    return None


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


# --- supervision list and detail ------------------------------------------------------------------

BOXES = [("mine", "待我办理"), ("issued", "我交办的"), ("all", "全部")]
STATUS_FILTERS = [("open", "未办结"), ("closed", "已办结"), ("", "全部状态"), *[
    (value, label) for value, label in SupervisionStatus.choices if value != SupervisionStatus.CLOSED
]]


@login_required
def supervision_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    leader = has_role(user, *LEADERSHIP_ROLES)
    box = request.GET.get("box") or ("issued" if leader else "mine")
    if box not in dict(BOXES):
        box = "mine"
    status = request.GET.get("status", "open")
    q = (request.GET.get("q") or "").strip()[:100]
    qs = sv.supervisions_for(user, box).select_related("task__unit", "leader", "rule")
    if status == "open":
        qs = qs.exclude(status=SupervisionStatus.CLOSED)
    elif status in SupervisionStatus.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(models.Q(task__title__icontains=q) | models.Q(order__icontains=q))
    listing = paginate(request, qs.order_by("-issued_on", "-id"))
    today = _today()
    rows = [{"sup": s, "next": _next_stage(s, today)} for s in listing["object_list"]]
    counts = {
        key: sv.supervisions_for(user, key).exclude(status=SupervisionStatus.CLOSED).count()
        for key in ("mine", "issued")
    }
    return render(request, "ledger/supervision_list.html", {
        "page_title": "督办事项", "rows": rows, "box": box, "boxes": BOXES, "status": status,
        "status_filters": STATUS_FILTERS, "q": q, "counts": counts, "can_configure": sv.can_configure(user),
        **listing,
    })


def _detail_context(request: HttpRequest, sup: Supervision, **forms_: Any) -> dict[str, Any]:
    user = request.user
    steps = sv.allowed_steps(user, sup)
    initial = {"version": sup.version}
    step_forms = {
        "acknowledge": AcknowledgeForm(initial=initial),
        "measures": MeasuresForm(initial=initial),
        "request_close": RequestCloseForm(initial=initial),
        "close": CloseForm(initial=initial),
        "return": ReturnForm(initial=initial),
    }
    step_forms.update(forms_)
    events = sup.events.select_related("author").prefetch_related("files")
    return {
        "page_title": "督办详情", "sup": sup, "task": sup.task, "stages": sv.stages(sup, _today()),
        "events": events, "steps": steps, "forms": {k: v for k, v in step_forms.items() if k in steps},
        "task_url": sv.task_url(sup.task), "can_issue_again": False,
    }


def _get_supervision(request: HttpRequest, pk: int) -> Supervision:
    return Supervision.objects.select_related("task__unit", "task__owner", "leader", "rule").get_visible_or_404(
        request.user, "view", pk=pk
    )


@login_required
def supervision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sup = _get_supervision(request, pk)
    return render(request, "ledger/supervision_detail.html", _detail_context(request, sup))


def _step_view(request: HttpRequest, pk: int, step: str, form_class: type[forms.Form], run: Any,
               done: str) -> HttpResponse:
    sup = _get_supervision(request, pk)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                files = [store_upload(f, unit=sup.task.unit, user=request.user, purpose="supervision")
                         for f in data.get("files") or []]
                run(sup, data, files)
        except ConflictError as exc:
            messages.error(request, exc.messages[0])
            return redirect("ledger:supervision_detail", pk=sup.pk)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("ledger:supervision_detail", pk=sup.pk)
    sup.refresh_from_db()
    context = _detail_context(request, sup, **{step: form})
    return render(request, "ledger/supervision_detail.html", context, status=400)


@login_required
@require_POST
def supervision_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_view(
        request, pk, "acknowledge", AcknowledgeForm,
        lambda sup, d, files: sv.do_acknowledge(sup, text=d["text"], acting_user=request.user,
                                                expected_version=d["version"]),
        "已签收，请按时限报送措施",
    )


@login_required
@require_POST
def supervision_measures(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_view(
        request, pk, "measures", MeasuresForm,
        lambda sup, d, files: sv.do_report_measures(sup, text=d["text"], files=files, acting_user=request.user,
                                                    expected_version=d["version"]),
        "措施已报送督办领导",
    )


@login_required
@require_POST
def supervision_request_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_view(
        request, pk, "request_close", RequestCloseForm,
        lambda sup, d, files: sv.do_request_close(sup, text=d["text"], files=files, acting_user=request.user,
                                                  expected_version=d["version"]),
        "已申请办结，等待督办领导评定",
    )


@login_required
@require_POST
def supervision_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_view(
        request, pk, "close", CloseForm,
        lambda sup, d, files: sv.do_close(sup, grade=d["grade"], comment=d["comment"], acting_user=request.user,
                                          expected_version=d["version"]),
        "已评定并办结",
    )


@login_required
@require_POST
def supervision_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_view(
        request, pk, "return", ReturnForm,
        lambda sup, d, files: sv.do_return(sup, comment=d["comment"], acting_user=request.user,
                                           expected_version=d["version"]),
        "已退回，承办单位将继续办理",
    )


@login_required
def supervision_issue(request: HttpRequest, task_pk: int) -> HttpResponse:
    """The 督办 form for a task: a partial for the task page (htmx), or a page of its own."""
    task = Task.objects.select_related("unit").get_visible_or_404(request.user, "view", pk=task_pk)
    allowed = sv.can_issue(request.user, task)
    open_sup = task.supervisions.exclude(status=SupervisionStatus.CLOSED).first()
    if request.method == "GET" and getattr(request, "htmx", False):
        if not allowed or open_sup is not None or task.status == TaskStatus.DONE:
            return HttpResponse("")  # nothing to offer: the panel's list shows the open one
        form = IssueForm(task=task, user=request.user)
        return render(request, "ledger/supervision_issue_form.html", {
            "form": form, "task": task, "next": _safe_next(request, ""), "collapsed": True})
    if not allowed:
        if request.method == "POST":
            sv.deny(request.user, "仅分管该单位的领导可以督办此任务", obj=task)
        raise PermissionDenied("仅分管该单位的领导可以督办此任务")
    form = IssueForm(request.POST or None, task=task, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sup = sv.do_issue_supervision(
                task, leader=data.get("leader"), order=data["order"], level=data["level"], rule=data["rule"],
                reply_deadline=data["reply_deadline"], acting_user=request.user,
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"已交办督办：签收时限 {sv.cn_date(sup.ack_due)}，办结时限 {sv.cn_date(sup.close_due)}")
            return redirect(_safe_next(request, reverse("ledger:supervision_detail", args=[sup.pk])))
    return render(request, "ledger/supervision_issue.html", {
        "page_title": "下达督办", "form": form, "task": task, "task_url": sv.task_url(task), "open_sup": open_sup,
        "next": _safe_next(request, ""),
    }, status=400 if request.method == "POST" else 200)


def home_panel(request: HttpRequest) -> dict[str, Any]:
    """工作台 panel: supervisions waiting for me (to handle, or to grade)."""
    user = request.user
    today = _today()
    handle = list(sv.supervisions_for(user, "mine").exclude(status__in=[SupervisionStatus.CLOSED, SupervisionStatus.CLOSING])
                  .select_related("task__unit", "leader").order_by("close_due", "id")[:5])
    review = list(sv.supervisions_for(user, "issued").filter(status=SupervisionStatus.CLOSING)
                  .select_related("task__unit").order_by("closing_at", "id")[:5])
    return {"handle": [{"sup": s, "next": _next_stage(s, today)} for s in handle], "review": review}


# --- rules and settings -----------------------------------------------------------------------------


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    sv.get_default_rule()
    rules = ResponseRule.objects.order_by("-is_default", "name")
    usage = dict(Supervision.objects.values_list("rule_id").annotate(n=models.Count("pk")).order_by())
    rows = [{"rule": r, "uses": usage.get(r.pk, 0)} for r in rules]
    return render(request, "ledger/rule_list.html", {
        "page_title": "督办响应规则", "rows": rows, "can_configure": sv.can_configure(request.user),
    })


def _rule_form(request: HttpRequest, rule: ResponseRule | None) -> HttpResponse:
    if not sv.can_configure(request.user):
        if request.method == "POST":
            sv.deny(request.user, "仅系统管理员可维护督办响应规则", obj=rule, object_type="ledger.responserule")
        raise PermissionDenied("仅系统管理员可维护督办响应规则")
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sv.do_save_rule(rule, acting_user=request.user, **data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"已保存响应规则“{data['name']}”")
            return redirect("ledger:rule_list")
    return render(request, "ledger/rule_form.html", {
        "page_title": "编辑响应规则" if rule else "新增响应规则", "form": form, "rule": rule,
    }, status=400 if request.method == "POST" else 200)


@login_required
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, None)


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_form(request, get_object_or_404(ResponseRule, pk=pk))


@login_required
def settings_edit(request: HttpRequest) -> HttpResponse:
    if not sv.can_configure(request.user):
        if request.method == "POST":
            sv.deny(request.user, "仅系统管理员可修改台账设置", object_type="ledger.ledgersettings")
        raise PermissionDenied("仅系统管理员可修改台账设置")
    current = LedgerSettings.current()
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            sv.do_update_settings(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "台账设置已保存，次日起的提醒和亮灯按新设置执行")
            return redirect("ledger:settings_edit")
    today = _today()
    preview = None
    if form.is_valid() or not form.is_bound:
        data = form.cleaned_data if form.is_bound else {"yellow_days": current.yellow_days,
                                                        "remind_days": current.remind_days,
                                                        "escalate_after_days": current.escalate_after_days}
        due = workdays.add_workdays(today, 5)
        offsets = sv.parse_remind_days(data["remind_days"])
        preview = {
            "today": today, "due": due,
            "reminders": [(n, workdays.add_workdays(due, -n) if n else due) for n in offsets],
            "yellow_from": workdays.add_workdays(due, -data["yellow_days"]) if data["yellow_days"] else due,
            "overdue_on": workdays.add_workdays(due, 1),
            "escalate_on": workdays.add_workdays(due, data["escalate_after_days"] + 1),
        }
    return render(request, "ledger/settings_form.html", {
        "page_title": "台账设置", "form": form, "preview": preview, "saved": LedgerSettings.objects.exists(),
    }, status=400 if request.method == "POST" else 200)


# --- duties -----------------------------------------------------------------------------------------


@login_required
def duty_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = _today()
    qs = Duty.objects.visible_to(user, "view").select_related("unit")
    show = request.GET.get("show", "active")
    if show == "active":
        qs = qs.filter(is_active=True)
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(models.Q(title__icontains=q) | models.Q(unit__name__icontains=q))
    listing = paginate(request, qs.order_by("unit__path", "id"))
    ids = [d.pk for d in listing["object_list"]]
    on_duty: dict[int, list[str]] = {}
    for duty_id, name in DutyShift.objects.filter(duty_id__in=ids, date=today).values_list("duty_id", "person__name"):
        on_duty.setdefault(duty_id, []).append(name)
    logged = set(DutyLog.objects.filter(duty_id__in=ids, date=today).values_list("duty_id", flat=True))
    rows = [{"duty": d, "on_duty": on_duty.get(d.pk, []), "logged": d.pk in logged} for d in listing["object_list"]]
    change = scope_unit_ids(user, "change")
    can_create = is_admin(user) or (has_role(user, *sv.LEADING_ROLES) and bool(change))
    return render(request, "ledger/duty_list.html", {
        "page_title": "值班值守", "rows": rows, "show": show, "q": q, "today": today, "can_create": can_create,
        **listing,
    })


@login_required
def duty_create(request: HttpRequest) -> HttpResponse:
    form = DutyForm(request.POST or None, user=request.user)
    if not form.fields["unit"].queryset.exists():
        raise PermissionDenied("仅单位负责人或管理员可以新增值守事项")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            duty = sv.do_create_duty(unit=data["unit"], title=data["title"], frequency=data["frequency"],
                                     acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "已新增值守事项，请排班")
            return redirect("ledger:duty_detail", pk=duty.pk)
    return render(request, "ledger/duty_form.html", {"page_title": "新增值守事项", "form": form},
                  status=400 if request.method == "POST" else 200)


def _month(request: HttpRequest, today: datetime.date) -> tuple[int, int]:
    raw = request.GET.get("month") or ""
    try:
        year, month = (int(x) for x in raw.split("-", 1))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def _shift_month(year: int, month: int, delta: int) -> str:
    index = year * 12 + (month - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _get_duty(request: HttpRequest, pk: int) -> Duty:
    duty = Duty.objects.select_related("unit").filter(pk=pk).first()
    if duty is not None and (
        Duty.objects.visible_to(request.user, "view").filter(pk=pk).exists() or sv.on_duty(request.user, duty, _today())
    ):
        return duty
    raise Http404("记录不存在或无权访问")


def _duty_context(request: HttpRequest, duty: Duty, **forms_: Any) -> dict[str, Any]:
    user = request.user
    today = _today()
    year, month = _month(request, today)
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    infos = {info.date: info for info in workdays.days_info(weeks[0][0], weeks[-1][-1])}
    shifts: dict[datetime.date, list[DutyShift]] = {}
    for shift in DutyShift.objects.filter(duty=duty, date__gte=weeks[0][0], date__lte=weeks[-1][-1]).select_related("person"):
        shifts.setdefault(shift.date, []).append(shift)
    logs_by_day = dict(DutyLog.objects.filter(duty=duty, date__gte=weeks[0][0], date__lte=weeks[-1][-1])
                       .values_list("date").annotate(n=models.Count("pk")).order_by())
    grid = [[{"date": d, "info": infos[d], "in_month": d.month == month, "shifts": shifts.get(d, []),
              "logs": logs_by_day.get(d, 0), "today": d == today} for d in week] for week in weeks]
    manage = sv.can_manage_duty(user, duty.unit_id)
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, pycalendar.monthrange(year, month)[1])
    context = {
        "page_title": duty.title, "duty": duty, "grid": grid, "weekdays": WEEKDAYS, "year": year, "month": month,
        "prev_month": _shift_month(year, month, -1), "next_month": _shift_month(year, month, 1),
        "today": today, "manage": manage, "can_log": duty.is_active and sv.can_write_log(user, duty, today),
        "today_shifts": list(DutyShift.objects.filter(duty=duty, date=today).select_related("person")),
        "logs": DutyLog.objects.filter(duty=duty, date__gte=first, date__lte=last).select_related("author"),
        "month_value": f"{year:04d}-{month:02d}",
        "shift_form": ShiftForm(duty=duty, initial={"date": today}),
        "rotate_form": RotateForm(duty=duty, initial={"start": first, "end": last, "workdays_only": True}),
        "log_form": LogForm(),
    }
    context.update(forms_)
    return context


@login_required
def duty_detail(request: HttpRequest, pk: int) -> HttpResponse:
    duty = _get_duty(request, pk)
    return render(request, "ledger/duty_detail.html", _duty_context(request, duty))


def _back_to_duty(duty: Duty, request: HttpRequest, day: datetime.date | None = None) -> HttpResponse:
    url = reverse("ledger:duty_detail", args=[duty.pk])
    month = request.POST.get("month") or (f"{day:%Y-%m}" if day else "")
    return redirect(f"{url}?month={month}" if month else url)


def _duty_form_view(request: HttpRequest, pk: int, name: str, form_class: Any, run: Any, done: str) -> HttpResponse:
    duty = _get_duty(request, pk)
    form = form_class(request.POST, duty=duty) if form_class in (ShiftForm, RotateForm) else form_class(request.POST)
    if form.is_valid():
        try:
            result = run(duty, form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, done.format(result=result))
            return _back_to_duty(duty, request)
    return render(request, "ledger/duty_detail.html", _duty_context(request, duty, **{name: form}), status=400)


@login_required
@require_POST
def duty_shift_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _duty_form_view(
        request, pk, "shift_form", ShiftForm,
        lambda duty, d: sv.do_assign_shift(duty, date=d["date"], person=d["person"], acting_user=request.user),
        "已排班：{result}",
    )


@login_required
@require_POST
def duty_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    return _duty_form_view(
        request, pk, "rotate_form", RotateForm,
        lambda duty, d: sv.do_rotate_shifts(duty, people=list(d["people"]), start=d["start"], end=d["end"],
                                            workdays_only=d["workdays_only"], replace=d["replace"],
                                            acting_user=request.user),
        "已轮流排班 {result} 天",
    )


@login_required
@require_POST
def duty_log_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _duty_form_view(
        request, pk, "log_form", LogForm,
        lambda duty, d: sv.do_write_duty_log(duty, text=d["text"], acting_user=request.user),
        "已记录今日值班情况",
    )


@login_required
@require_POST
def duty_shift_delete(request: HttpRequest, pk: int, shift_pk: int) -> HttpResponse:
    duty = _get_duty(request, pk)
    shift = get_object_or_404(DutyShift.objects.select_related("duty", "person"), pk=shift_pk, duty=duty)
    sv.do_remove_shift(shift, acting_user=request.user)
    messages.success(request, f"已取消 {shift.date:%m月%d日} {shift.person} 的排班")
    return _back_to_duty(duty, request, shift.date)


@login_required
@require_POST
def duty_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    duty = _get_duty(request, pk)
    sv.do_set_duty_active(duty, active=not duty.is_active, acting_user=request.user)
    messages.success(request, "已启用" if duty.is_active else "已停用")
    return redirect("ledger:duty_detail", pk=duty.pk)
