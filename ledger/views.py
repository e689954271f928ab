"""Ledger pages: the task lists (我的任务 / 本单位 / 全部), a task with its progress, review and edit
forms, manual creation, the leader overview, the calendar, and the exports (.xlsx, .ics, .docx).

Thin, as docs/architecture.md asks: rows come from `visible_to` / `get_visible_or_404` (a task out of
scope is a 404 like a missing one), every write goes through ledger.actions, and a refused POST is
written to the audit log. Supervision (督办) pages live in ledger/urls_supervision.py.
"""

from __future__ import annotations

import calendar
import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST, require_safe

from core import audit, workdays
from core.audit import forbid
from core.exports.docx import docx_response
from core.exports.xlsx import xlsx_response
from core.files import store_upload
from core.forms import add_action_errors
from core.listing import cached_fragments, paginate
from core.models import AuditAction
from core.roles import Perm
from core.scoping import access_for, has_perm, is_admin, scope_unit_ids, unit_in_scope
from ledger.actions import (
    ConflictError,
    can_manage,
    can_work_on,
    confirm_completion,
    create_task,
    report_progress,
    return_task,
    update_task,
)
from ledger.choices import OPEN_STATUSES, TaskStatus
from ledger.filters import (
    SCOPE_SORT,
    SCOPES,
    OverviewFilterForm,
    TaskFilterForm,
    UnitChoices,
    overdue_q,
    present,
    scoped_tasks,
)
from ledger.forms import ProgressForm, ReviewForm, TaskCreateForm, TaskEditForm, workday_problem
from ledger.models import Task
from ledger.reports import (
    build_ics,
    build_plan_report,
    build_task_ledger,
    cached_overview_stats,
    ics_token,
    overview_charts,
    report_title,
    user_for_ics_token,
)

CALENDAR_PER_DAY = 4
HOME_PANEL_SIZE = 8
HOME_HORIZON_DAYS = 14
ICS_MAX_EVENTS = 2000
WEEKDAYS = "一二三四五六日"


# --- helpers ----------------------------------------------------------------------------------------


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def can_create_tasks(user: Any) -> bool:
    ids = scope_unit_ids(user, "change")
    return ids is None or bool(ids)


def can_view_overview(user: Any) -> bool:
    return has_perm(user, Perm.LEADER_OVERVIEW)


def plan_item_url(task: Task) -> str:
    """Back to the plan's item: /plans/<plan id>/#item-<number>."""
    if not task.plan_id:
        return ""
    try:
        url = reverse("plans:plan_detail", args=[task.plan_id])
    except NoReverseMatch:
        url = f"/plans/{task.plan_id}/"
    return f"{url}#item-{task.item.number}" if task.item_id and task.item else url


def _tab_context(request: HttpRequest, tab: str) -> dict[str, Any]:
    return {"tab": tab, "can_overview": can_view_overview(request.user), "can_create": can_create_tasks(request.user)}


# --- lists ------------------------------------------------------------------------------------------

LIST_URLS = {"mine": "ledger:my_tasks", "unit": "ledger:unit_tasks", "all": "ledger:task_list"}


def _task_list(request: HttpRequest, scope: str) -> HttpResponse:
    user = request.user
    list_url = reverse(LIST_URLS[scope])

    def build() -> dict[str, Any]:
        today = timezone.localdate()
        form = TaskFilterForm(request.GET or None, user=user, default_sort=SCOPE_SORT[scope])
        filters = form.filters()
        qs = (filters.apply(scoped_tasks(user, scope), today)
              .select_related("unit", "owner").defer("description", "quote"))
        listing = paginate(request, qs)
        params = _clean_query(request)
        params.pop("page", None)
        params["scope"] = scope
        return {
            "scope": scope,
            "list_url": list_url,
            "form": form,
            "filters": filters,
            "tasks": present(listing["object_list"], today),
            "item": form.item_obj,
            "export_url": reverse("ledger:export") + "?" + params.urlencode(),
            "report_url": reverse("ledger:plan_report", args=[filters.plan_id]) if filters.plan_id else "",
            "no_unit": scope in ("mine", "unit") and access_for(user).own_unit_id is None,
            **listing,
        }

    parts = cached_fragments(request, f"ledger.tasks.{scope}", {"filters": "ledger/_task_filters.html",
                                                                 "results": "ledger/_task_results.html"}, build)
    if _partial(request):
        response = HttpResponse(parts["results"])
        # The address bar gets the filters that are set, not every empty field of the form.
        query = _clean_query(request).urlencode()
        response["HX-Push-Url"] = request.path + (f"?{query}" if query else "")
        return response
    context = {"page_title": SCOPES[scope], **_tab_context(request, scope), "scope": scope, **parts}
    return render(request, "ledger/task_list.html", context)


def _clean_query(request: HttpRequest) -> Any:
    params = request.GET.copy()
    for key in list(params):
        values = [v for v in params.getlist(key) if v != ""]
        if values:
            params.setlist(key, values)
        else:
            del params[key]
    return params


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    return _task_list(request, "all")


@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    return _task_list(request, "mine")


@login_required
@require_GET
def unit_tasks(request: HttpRequest) -> HttpResponse:
    return _task_list(request, "unit")


# --- one task ---------------------------------------------------------------------------------------


def _get_task(request: HttpRequest, pk: int) -> Task:
    return (Task.objects.select_related("unit", "owner", "plan", "section", "item", "supervising_leader",
                                        "confirmed_by", "created_by")
            .get_visible_or_404(request.user, "view", pk=pk))


def _with_version(form: Any, version: int) -> None:
    """After a conflict: keep what the user typed, but base the next attempt on the current version."""
    data = form.data.copy()
    data["version"] = str(version)
    form.data = data


def _render_detail(request: HttpRequest, task: Task, *, status: int = 200, conflict: str = "",
                   open_panel: str = "", **forms: Any) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    present([task], today)
    done = task.status == TaskStatus.DONE
    may_work = can_work_on(user, task) and not done
    may_manage = can_manage(user, task)
    may_review = may_manage and task.status == TaskStatus.PENDING_REVIEW
    progress_form = forms.get("progress_form")
    if progress_form is None and may_work:
        progress_form = ProgressForm(initial={"version": task.version, "increment": 0}, task=task, user=user)
    review_form = forms.get("review_form")
    if review_form is None and may_review:
        review_form = ReviewForm(initial={"version": task.version})
    edit_form = forms.get("edit_form")
    if edit_form is None and may_manage:
        edit_form = TaskEditForm(task=task)
    day = workdays.day_info(task.due_date)
    remaining = None
    if not done and task.due_date >= today:
        remaining = workdays.workdays_between(today, task.due_date)
    late = workdays.workdays_between(task.due_date, today) if task.is_overdue else None
    reports = list(task.reports.select_related("author").prefetch_related("files"))
    context = {
        "page_title": task.title,
        **_tab_context(request, ""),
        "task": task,
        "reports": reports,
        "assist_units": list(task.assist_units.order_by("path")),
        "due_day": day,
        "due_weekday": WEEKDAYS[task.due_date.weekday()],
        "remaining_workdays": remaining,
        "late_workdays": late,
        "item_url": plan_item_url(task),
        "progress_form": progress_form,
        "review_form": review_form,
        "edit_form": edit_form,
        "can_work": may_work,
        "can_review": may_review,
        "can_edit": may_manage,
        "conflict": conflict,
        "open_panel": open_panel or ("edit" if edit_form is not None and edit_form.errors else ""),
    }
    return render(request, "ledger/task_detail.html", context, status=status)


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get_task(request, pk))


@login_required
@require_POST
def task_progress(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    user = request.user
    if not can_work_on(user, task):
        forbid(request, "无权报送该任务的进展", obj=task)
    form = ProgressForm(request.POST, request.FILES, task=task, user=user)
    if not form.is_valid():
        return _render_detail(request, task, progress_form=form)
    stored: list[Any] = []
    try:
        for uploaded in form.cleaned_data["files"]:
            stored.append(store_upload(uploaded, unit=task.unit, user=user, purpose="ledger.evidence"))
        report_progress(
            task, text=form.cleaned_data["text"], increment=form.cleaned_data.get("increment") or 0,
            files=[*form.kept, *stored], request_completion=form.cleaned_data["request_completion"],
            acting_user=user, expected_version=form.cleaned_data["version"],
        )
    except ConflictError as exc:
        form.keep(stored)
        fresh = _get_task(request, pk)
        _with_version(form, fresh.version)
        return _render_detail(request, fresh, progress_form=form, conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        form.keep(stored)
        add_action_errors(form, exc)
        return _render_detail(request, _get_task(request, pk), progress_form=form)
    if form.cleaned_data["request_completion"]:
        messages.success(request, "已提交办结申请，等待单位负责人确认")
    else:
        messages.success(request, "进展已报送")
    return redirect("ledger:task_detail", pk=task.pk)


def _review(request: HttpRequest, pk: int, *, confirm: bool) -> HttpResponse:
    task = _get_task(request, pk)
    user = request.user
    if not can_manage(user, task):
        forbid(request, "仅责任单位负责人或分管领导可确认或退回", obj=task)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, task, review_form=form)
    comment = form.cleaned_data["comment"].strip()
    try:
        if confirm:
            confirm_completion(task, acting_user=user, comment=comment, expected_version=form.cleaned_data["version"])
        else:
            return_task(task, acting_user=user, comment=comment, expected_version=form.cleaned_data["version"])
    except ConflictError as exc:
        fresh = _get_task(request, pk)
        _with_version(form, fresh.version)
        return _render_detail(request, fresh, review_form=form, conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_detail(request, _get_task(request, pk), review_form=form)
    messages.success(request, "已确认完成" if confirm else "已退回，责任单位将继续办理")
    return redirect("ledger:task_detail", pk=task.pk)


@login_required
@require_POST
def task_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, confirm=True)


@login_required
@require_POST
def task_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, confirm=False)


@login_required
@require_POST
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task(request, pk)
    user = request.user
    if not can_manage(user, task):
        forbid(request, "无权修改该任务", obj=task)
    form = TaskEditForm(request.POST, task=task)
    if not form.is_valid():
        return _render_detail(request, task, edit_form=form, open_panel="edit")
    try:
        update_task(task, acting_user=user, expected_version=form.cleaned_data["version"], **form.changes())
    except ConflictError as exc:
        fresh = _get_task(request, pk)
        form = TaskEditForm(request.POST, task=fresh)
        form.is_valid()
        _with_version(form, fresh.version)
        return _render_detail(request, fresh, edit_form=form, conflict=exc.messages[0], status=409,
                              open_panel="edit")
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_detail(request, _get_task(request, pk), edit_form=form, open_panel="edit")
    messages.success(request, "任务已保存")
    return redirect("ledger:task_detail", pk=task.pk)


@login_required
@require_GET
def workday_hint(request: HttpRequest) -> HttpResponse:
    """The hint under a due-date field (htmx): whether the chosen day is a working day."""
    raw = request.GET.get("due_date", "")
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        day = None
    return render(request, "ledger/_workday_hint.html", {"day": day, "problem": workday_problem(day)})


# --- create -----------------------------------------------------------------------------------------


@login_required
def task_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_create_tasks(user):
        forbid(request, "仅单位负责人、领导班子成员和系统管理员可交办任务")
    access = access_for(user)
    initial: dict[str, Any] = {"target_count": 1}
    if access.own_unit_id and unit_in_scope(user, access.own_unit_id, "change"):
        initial["unit"] = access.own_unit_id
    form = TaskCreateForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = create_task(
                    unit=data["unit"], title=data["title"], due_date=data["due_date"], acting_user=user,
                    owner=data.get("owner"), description=data.get("description", ""),
                    source_kind=data["source_kind"], origin=data.get("origin", ""),
                    target_count=data["target_count"], supervising_leader=data.get("supervising_leader"),
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已交办任务“{task.title}”")
                return redirect("ledger:task_detail", pk=task.pk)
        _log_forged(request, form)
    return render(request, "ledger/task_form.html", {
        "page_title": "新建任务", **_tab_context(request, ""), "form": form,
        "cancel_url": reverse("ledger:my_tasks"),
    })


def _log_forged(request: HttpRequest, form: Any) -> None:
    from org.actions import log_forged_units
    from org.forms import forged_unit_ids

    log_forged_units(request.user, forged_unit_ids(form, "unit"), path=request.path, object_type="ledger.task")


# --- leader overview --------------------------------------------------------------------------------


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_view_overview(user):
        raise PermissionDenied("仅领导班子成员和系统管理员可查看领导总览")

    def build() -> dict[str, Any]:
        today = timezone.localdate()
        form = OverviewFilterForm(request.GET or None, user=user, today=today)
        plan_id, year = form.values()
        qs = Task.objects.visible_to(user, "view")
        if plan_id:
            qs = qs.filter(plan_id=plan_id)
        if year:
            qs = qs.filter(due_date__year=year)
        stats = cached_overview_stats(user, qs, today, plan_id=plan_id, year=year)
        return {
            "form": form,
            "stats": stats,
            "charts": overview_charts(stats),
            "plan_id": plan_id,
            "year": year,
            "report_url": reverse("ledger:plan_report", args=[plan_id]) if plan_id else "",
            "list_query": urlencode({k: v for k, v in (("plan", plan_id or ""),) if v}),
        }

    # The figures are shared per scope (cached_overview_stats); the rendered page, charts included,
    # per user and filter.
    parts = cached_fragments(request, "ledger.overview", {"filters": "ledger/_overview_filters.html",
                                                          "body": "ledger/_overview_body.html"}, build)
    if _partial(request):
        return HttpResponse(parts["body"])
    return render(request, "ledger/overview.html", {"page_title": "领导总览", **_tab_context(request, "overview"),
                                                    **parts})


# --- calendar ---------------------------------------------------------------------------------------


def _month(value: str, today: datetime.date) -> tuple[int, int, bool]:
    try:
        year, month = (int(x) for x in value.split("-"))
        datetime.date(year, month, 1)
        if not 2000 <= year <= 2100:
            raise ValueError
        return year, month, True
    except (ValueError, TypeError):
        return today.year, today.month, not value


@login_required
@require_GET
def task_calendar(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    year, month, valid = _month(request.GET.get("month", ""), today)
    if not valid:
        messages.warning(request, "月份格式应为 2026-09，已显示本月")
    scope = request.GET.get("scope", "all")
    scope = scope if scope in SCOPES else "all"
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    qs = scoped_tasks(user, scope).filter(due_date__range=(first, last))
    counts = dict(qs.order_by().values_list("due_date").annotate(n=Count("id")))
    top = present(
        qs.annotate(rn=Window(RowNumber(), partition_by=[F("due_date")], order_by=[F("id").asc()]))
        .filter(rn__lte=CALENDAR_PER_DAY).select_related("unit").defer("description", "quote")
        .order_by("due_date", "id"),
        today,
    )
    by_day: dict[datetime.date, list[Task]] = {}
    for task in top:
        by_day.setdefault(task.due_date, []).append(task)
    list_url = reverse(LIST_URLS[scope])
    cells: list[dict[str, Any] | None] = [None] * first.weekday()
    for info in workdays.month_days(year, month):
        n = counts.get(info.date, 0)
        cells.append({
            "info": info, "tasks": by_day.get(info.date, []), "count": n,
            "more": max(0, n - CALENDAR_PER_DAY), "is_today": info.date == today,
            "list_url": f"{list_url}?{urlencode({'due': info.date.isoformat()})}",
        })
    cells += [None] * (-len(cells) % 7)
    prev_month = first - datetime.timedelta(days=1)
    next_month = last + datetime.timedelta(days=1)
    month_stats = qs.aggregate(total=Count("id"), done=Count("id", filter=Q(status=TaskStatus.DONE)),
                               overdue=Count("id", filter=overdue_q(today)))
    context = {
        "page_title": "任务日历",
        **_tab_context(request, "calendar"),
        "scope": scope,
        "scopes": SCOPES,
        "year": year,
        "month": month,
        "month_value": f"{year:04d}-{month:02d}",
        "weeks": [cells[i:i + 7] for i in range(0, len(cells), 7)],
        "weekdays": WEEKDAYS,
        "prev_month": f"{prev_month:%Y-%m}",
        "next_month": f"{next_month:%Y-%m}",
        "this_month": f"{today:%Y-%m}",
        "month_stats": month_stats,
        "covered": workdays.covered(year),
        "ics_url": request.build_absolute_uri(reverse("ledger:ics_feed", args=[ics_token(user)])),
    }
    return render(request, "ledger/calendar.html", context)


# --- exports ----------------------------------------------------------------------------------------


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The current filtered list as the .xlsx ledger offices keep; audited."""
    user = request.user
    scope = request.GET.get("scope", "all")
    scope = scope if scope in SCOPES else "all"
    today = timezone.localdate()
    form = TaskFilterForm(request.GET or None, user=user, default_sort=SCOPE_SORT[scope])
    filters = form.filters()
    qs = filters.apply(scoped_tasks(user, scope), today)
    now = timezone.localtime()
    described = "；".join(f"{k}：{v}" for k, v in filters.described.items()) or "无"
    subtitle = f"范围：{SCOPES[scope]}　筛选条件：{described}　导出人：{user}　导出时间：{now:%Y-%m-%d %H:%M}"
    data, rows = build_task_ledger(qs, title="意识形态工作任务台账", subtitle=subtitle, today=today)
    audit.record(AuditAction.EXPORT, object_type="ledger.task", object_repr="任务台账导出",
                 changes={"scope": scope, "filters": filters.described, "rows": rows})
    return xlsx_response(f"任务台账_{SCOPES[scope]}_{today:%Y%m%d}.xlsx", data)


@require_safe
def ics_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """A user's open tasks as an iCalendar feed. Calendar apps fetch it without cookies: the secret
    in the address is the credential (see ledger.reports.ics_token)."""
    user = user_for_ics_token(secret)
    if user is None:
        raise Http404("订阅地址无效或已失效")
    tasks = (scoped_tasks(user, "mine").filter(status__in=OPEN_STATUSES)
             .select_related("unit", "owner").defer("description", "quote").order_by("due_date", "id")[:ICS_MAX_EVENTS])
    data = build_ics(tasks, calendar_name=f"意识 · {user} 的任务")
    today = timezone.localdate()
    # Calendar apps poll every hour or so: one audit entry per user and day is enough.
    if cache.add(f"ledger-ics-audit:{user.pk}:{today:%Y%m%d}", 1, timeout=24 * 3600):
        with audit.audit_context(actor=user, via="web"):
            audit.record(AuditAction.EXPORT, object_type="ledger.task", object_repr="任务日历订阅",
                         actor=user, changes={"format": "ics"})
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="yishi-tasks.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def plan_report(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan's progress report (.docx), over the tasks the user may see; audited."""
    from org.models import Unit
    from plans.models import Plan

    user = request.user
    plan = Plan.objects.select_related("unit").filter(pk=plan_id).first()
    if plan is None:
        raise Http404("记录不存在或无权访问")
    qs = Task.objects.visible_to(user, "view").filter(plan=plan)
    whole = is_admin(user) or unit_in_scope(user, plan.unit_id, "view")
    if not whole and not qs.exists():
        raise Http404("记录不存在或无权访问")
    scope_note = ""
    if not whole:
        units = UnitChoices(user)
        names = [row[1] for row in units.rows]
        listed = "、".join(names[:8]) + (f"等{len(names)}个单位" if len(names) > 8 else "")
        scope_note = f"（本报告按导出人{user}的权限范围统计，包括：{listed}。）"
    today = timezone.localdate()
    signer = plan.organization or (Unit.objects.filter(pk=plan.unit_id).values_list("name", flat=True).first() or "")
    data = build_plan_report(plan, qs, today=today, scope_note=scope_note, signer=signer)
    audit.record(AuditAction.EXPORT, obj=plan, object_repr=report_title(plan)[:255], changes={"format": "docx"})
    return docx_response(f"{report_title(plan)}_{today:%Y%m%d}.docx", data)


# --- 工作台 panel -------------------------------------------------------------------------------------


def home_panel_context(request: HttpRequest) -> dict[str, Any]:
    """“我的待办” on the 工作台: my overdue tasks and those due within two weeks."""
    user = request.user
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=HOME_HORIZON_DAYS)
    qs = scoped_tasks(user, "mine", where=Q(status__in=OPEN_STATUSES, due_date__lte=horizon))
    counts = qs.aggregate(overdue=Count("id", filter=Q(due_date__lt=today)),
                          soon=Count("id", filter=Q(due_date__gte=today)))
    tasks = present(qs.select_related("unit").defer("description", "quote")
                    .order_by("due_date", "id")[:HOME_PANEL_SIZE], today)
    return {"tasks": tasks, "overdue": counts["overdue"], "soon": counts["soon"],
            "horizon_days": HOME_HORIZON_DAYS, "has_unit": access_for(user).own_unit_id is not None,
            "site_url": settings.YISHI_SITE_URL}
