"""工作日历: the month grid (holidays, make-up days, overrides) and administrators' overrides."""

from __future__ import annotations

import calendar as pycalendar
import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core import audit, workdays
from core.calendar_actions import do_delete_override, do_set_override
from core.forms import StyledForm
from core.listing import paginate
from core.models import AuditAction, CalendarOverride
from core.roles import Perm
from core.scoping import has_perm

WEEKDAYS = "一二三四五六日"
MIN_YEAR, MAX_YEAR = 2000, 2100


def _require_calendar_manage(request: HttpRequest) -> None:
    if not has_perm(request.user, Perm.CALENDAR_MANAGE):
        audit.record(
            AuditAction.DENIED,
            object_type="core.calendaroverride",
            object_repr="工作日历",
            changes={"path": request.path, "method": request.method},
        )
        raise PermissionDenied("仅系统管理员可维护工作日历")


class OverrideForm(StyledForm):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    is_workday = forms.TypedChoiceField(
        label="当天安排",
        choices=[("1", "上班（调休）"), ("0", "放假")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial="0",
    )
    name = forms.CharField(label="名称", max_length=64, required=False, help_text="如：春节、国庆节调休")

    def clean_date(self) -> datetime.date:
        value = self.cleaned_data["date"]
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise forms.ValidationError(f"日期应在 {MIN_YEAR}–{MAX_YEAR} 年之间")
        return value


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def _calendar_url(year: int, month: int) -> str:
    return f"{reverse('core:calendar')}?{urlencode({'year': year, 'month': month})}"


def _month_grid(year: int, month: int) -> list[list[dict[str, Any]]]:
    """Weeks (Monday first) of the month; days of the neighbouring months are shown dimmed."""
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    infos = {info.date: info for info in workdays.days_info(weeks[0][0], weeks[-1][-1])}
    return [[{"info": infos[d], "in_month": d.month == month} for d in week] for week in weeks]


def _override_rows(page_objects: Any) -> list[dict[str, Any]]:
    rows = []
    for override in page_objects:
        statutory = workdays.statutory_day_info(override.date)
        rows.append(
            {
                "override": override,
                "weekday": WEEKDAYS[override.date.weekday()],
                "statutory": statutory,
                "redundant": statutory.is_workday == override.is_workday,
            }
        )
    return rows


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    _require_calendar_manage(request)
    today = timezone.localdate()
    year = _int_param(request, "year", today.year, MIN_YEAR, MAX_YEAR)
    month = _int_param(request, "month", today.month if year == today.year else 1, 1, 12)

    if request.method == "POST":
        form = OverrideForm(request.POST)
        if form.is_valid():
            day = form.cleaned_data["date"]
            override, created = do_set_override(
                day, form.cleaned_data["is_workday"], form.cleaned_data["name"], acting_user=request.user
            )
            kind = "上班（调休）" if override.is_workday else "放假"
            verb = "已设置" if created else "已更新"
            messages.success(request, f"{verb}：{workdays_label(day)} {kind}")
            if not workdays.covered(day.year):
                messages.info(
                    request, f"{day.year} 年不在节假日数据包范围内，请逐日录入该年全部放假与调休安排"
                )
            return redirect(_calendar_url(day.year, day.month))
        messages.error(request, "未保存：请检查表单中的错误")
    else:
        shown_today = (year, month) == (today.year, today.month)
        form = OverrideForm(initial={"date": today if shown_today else datetime.date(year, month, 1)})

    overrides = CalendarOverride.objects.filter(date__year=year).order_by("date")
    listing = paginate(request, overrides)
    first, last = workdays.coverage()
    prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    next_month = (year, month + 1) if month < 12 else (year + 1, 1)
    context = {
        "page_title": "工作日历",
        "form": form,
        "year": year,
        "month": month,
        "weekdays": WEEKDAYS,
        "weeks": _month_grid(year, month),
        "covered": workdays.covered(year),
        "coverage_first": first,
        "coverage_last": last,
        "year_choices": range(min(first, today.year - 1), max(last, today.year) + 3),
        "month_choices": range(1, 13),
        "prev_url": _calendar_url(*prev_month) if prev_month[0] >= MIN_YEAR else "",
        "next_url": _calendar_url(*next_month) if next_month[0] <= MAX_YEAR else "",
        "month_workdays": sum(1 for d in workdays.month_days(year, month) if d.is_workday),
        "last_workday": workdays.last_workday_of_month(year, month),
        **listing,
        "rows": _override_rows(listing["object_list"]),
    }
    return render(request, "core/calendar.html", context)


def workdays_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"


@login_required
@require_POST
def override_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_calendar_manage(request)
    override = get_object_or_404(CalendarOverride, pk=pk)
    day = override.date
    do_delete_override(override, acting_user=request.user)
    messages.success(request, f"已删除 {workdays_label(day)} 的调整，该日恢复按法定安排计算")
    return redirect(_calendar_url(day.year, day.month))
