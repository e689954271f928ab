"""Pages of 研判会与演练: meeting series and meetings (agenda, record, decisions, .docx report),
contingency plans and drills, the pre-release risk check and its checklist templates.

Thin, as docs/architecture.md asks: rows come from `get_visible_or_404` (out of scope is a 404 like
a missing row), every write goes through risks.meetings.actions (refusals are logged as DENIED
there), and a stale `version` shows the current record with the user's input kept (status 409).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core import audit
from core.exports.docx import docx_response
from core.forms import add_action_errors
from core.listing import paginate
from core.models import AuditAction
from core.scoping import scope_unit_ids
from risks.meetings import actions, selectors
from risks.meetings.choices import CheckStatus, MeetingKind, MeetingStatus, SubjectKind
from risks.meetings.forms import (
    AgendaItemForm,
    CheckAnswersForm,
    CheckStartForm,
    DrillForm,
    DrillRecordForm,
    GenerateForm,
    MeetingEditForm,
    MeetingForm,
    PlanForm,
    RecordForm,
    SeriesForm,
    TaskRaisingForm,
    TemplateForm,
    items_text,
    step_formset,
)
from risks.meetings.models import (
    AgendaItem,
    AnalysisMeeting,
    ChecklistTemplate,
    ContingencyPlan,
    Drill,
    MeetingSeries,
    ReleaseCheck,
)
from risks.meetings.reports import build_meeting_report

TABS = [("meetings", "研判会", "meetings:meeting_list"), ("series", "会议计划", "meetings:series_list"),
        ("plans", "应急预案", "meetings:plan_list"), ("drills", "应急演练", "meetings:drill_list"),
        ("checks", "风险评估前置", "meetings:check_list")]


def _ctx(request: HttpRequest, tab: str, title: str, **extra: Any) -> dict[str, Any]:
    ids = scope_unit_ids(request.user, "change")
    return {"page_title": title, "tab": tab, "tabs": TABS, "can_create": ids is None or bool(ids),
            "is_admin": actions.can_manage_templates(request.user), **extra}


def _with_version(form: Any, version: int) -> None:
    """After a conflict: keep what the user typed, but base the next attempt on the current version."""
    data = form.data.copy()
    data["version"] = str(version)
    form.data = data


def _version(form: Any) -> int | None:
    return form.cleaned_data.get("version")


def _log_forged(request: HttpRequest, form: Any, *names: str) -> None:
    from org.actions import log_forged_units
    from org.forms import forged_unit_ids

    log_forged_units(request.user, forged_unit_ids(form, *names), path=request.path,
                     object_type="meetings.analysismeeting")


def home_panel_context(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    return {"meetings": selectors.upcoming_meetings(request.user, today), "today": today}


# --- meetings ---------------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    status = status if status in MeetingStatus.values else ""
    kind = kind if kind in MeetingKind.values else ""
    listing = paginate(request, selectors.meetings_for(request.user, q=q, status=status, kind=kind))
    return render(request, "meetings/meeting_list.html", _ctx(
        request, "meetings", "研判会与联席会议", q=q, status=status, kind=kind,
        statuses=MeetingStatus.choices, kinds=MeetingKind.choices, **listing))


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = MeetingForm(request.POST or None, user=user, initial={"kind": MeetingKind.ANALYSIS})
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                meeting = actions.do_create_meeting(
                    unit=d["unit"], title=d["title"], kind=d["kind"], scheduled_on=d["scheduled_on"],
                    location=d["location"], attendees=d["attendees"], allow_non_workday=d["allow_non_workday"],
                    acting_user=user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已安排会议“{meeting.title}”")
                return redirect("meetings:meeting_detail", pk=meeting.pk)
        _log_forged(request, form, "unit")
    return render(request, "meetings/form.html", _ctx(request, "meetings", "安排会议", form=form,
                                                       cancel_url=reverse("meetings:meeting_list")))


def _meeting(request: HttpRequest, pk: int) -> AnalysisMeeting:
    return selectors.meeting_detail(request.user, pk)


def _render_meeting(request: HttpRequest, meeting: AnalysisMeeting, *, status: int = 200, conflict: str = "",
                    **forms: Any) -> HttpResponse:
    user = request.user
    manage = actions.can_manage(user, meeting.unit_id)
    planned = meeting.status == MeetingStatus.PLANNED
    held = meeting.status == MeetingStatus.HELD
    context = _ctx(request, "meetings", meeting.title, meeting=meeting, can_manage=manage, conflict=conflict,
                   agenda=list(meeting.agenda.all()), attendees=list(meeting.attendees.all()),
                   decisions=list(meeting.decisions.all()), planned=planned, held=held)
    if manage:
        context["edit_form"] = forms.get("edit_form") or (MeetingEditForm(initial={
            "title": meeting.title, "scheduled_on": meeting.scheduled_on, "location": meeting.location,
            "version": meeting.version}) if planned else None)
        context["agenda_form"] = forms.get("agenda_form") or AgendaItemForm(initial={"version": meeting.version})
        if meeting.status != MeetingStatus.CANCELLED:
            context["record_form"] = forms.get("record_form") or RecordForm(
                user=user, attendees=context["attendees"], initial={
                    "held_on": meeting.held_on or min(meeting.scheduled_on, timezone.localdate()),
                    "chair": meeting.chair, "minutes": meeting.minutes, "version": meeting.version})
        if held:
            context["decision_form"] = forms.get("decision_form") or TaskRaisingForm(user=user)
    context["open_panel"] = forms.get("open_panel", "")
    return render(request, "meetings/meeting_detail.html", context, status=status)


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_meeting(request, _meeting(request, pk))


def _conflict(request: HttpRequest, pk: int, exc: ValidationError, name: str, form: Any, **extra: Any) -> HttpResponse:
    fresh = _meeting(request, pk)
    _with_version(form, fresh.version)
    return _render_meeting(request, fresh, status=409, conflict=exc.messages[0], **{name: form}, **extra)


@login_required
@require_POST
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = MeetingEditForm(request.POST)
    if not form.is_valid():
        return _render_meeting(request, meeting, edit_form=form, open_panel="edit")
    d = form.cleaned_data
    fields = {"title": d["title"], "location": d["location"], "scheduled_on": d["scheduled_on"]}
    if d["cancel"]:
        fields["status"] = MeetingStatus.CANCELLED
    try:
        actions.do_update_meeting(meeting, acting_user=request.user, expected_version=d["version"],
                                  allow_non_workday=d["allow_non_workday"], **fields)
    except actions.MeetingConflict as exc:
        return _conflict(request, pk, exc, "edit_form", form, open_panel="edit")
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_meeting(request, _meeting(request, pk), edit_form=form, open_panel="edit")
    messages.success(request, "会议已取消" if d["cancel"] else "会议信息已保存")
    return redirect("meetings:meeting_detail", pk=pk)


@login_required
@require_POST
def agenda_prefill(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    raw = request.POST.get("version", "")
    try:
        added = actions.do_prefill_agenda(meeting, acting_user=request.user,
                                          expected_version=int(raw) if raw.isdigit() else None)
    except actions.MeetingConflict as exc:
        return _render_meeting(request, _meeting(request, pk), status=409, conflict=exc.messages[0])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("meetings:meeting_detail", pk=pk)
    messages.success(request, f"已预填议程 {added} 项" if added else "没有新的议题可预填")
    return redirect("meetings:meeting_detail", pk=pk)


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = AgendaItemForm(request.POST)
    if not form.is_valid():
        return _render_meeting(request, meeting, agenda_form=form, open_panel="agenda")
    try:
        actions.do_add_agenda_item(meeting, title=form.cleaned_data["title"], detail=form.cleaned_data["detail"],
                                   acting_user=request.user, expected_version=_version(form))
    except actions.MeetingConflict as exc:
        return _conflict(request, pk, exc, "agenda_form", form, open_panel="agenda")
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_meeting(request, meeting, agenda_form=form, open_panel="agenda")
    messages.success(request, "议题已添加")
    return redirect("meetings:meeting_detail", pk=pk)


@login_required
@require_POST
def agenda_item(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    item = AgendaItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None:
        from django.http import Http404

        raise Http404("议题不存在")
    item.meeting = meeting
    form = AgendaItemForm(request.POST)
    delete = request.POST.get("delete") == "1"
    if not delete and not form.is_valid():
        messages.error(request, "请填写议题")
        return redirect("meetings:meeting_detail", pk=pk)
    raw = request.POST.get("version", "")
    try:
        actions.do_update_agenda_item(item, acting_user=request.user, title=request.POST.get("title", ""),
                                      detail=request.POST.get("detail", ""), delete=delete,
                                      expected_version=int(raw) if raw.isdigit() else None)
    except actions.MeetingConflict as exc:
        return _render_meeting(request, _meeting(request, pk), status=409, conflict=exc.messages[0])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("meetings:meeting_detail", pk=pk)
    messages.success(request, "议题已删除" if delete else "议题已保存")
    return redirect("meetings:meeting_detail", pk=pk)


@login_required
@require_POST
def meeting_record(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    attendees = list(meeting.attendees.all())
    form = RecordForm(request.POST, user=request.user, attendees=attendees)
    if not form.is_valid():
        return _render_meeting(request, meeting, record_form=form, open_panel="record")
    d = form.cleaned_data
    try:
        actions.do_record_meeting(meeting, held_on=d["held_on"], minutes=d["minutes"], chair=d["chair"],
                                  attendance=form.rows(), acting_user=request.user, expected_version=d["version"])
    except actions.MeetingConflict as exc:
        return _conflict(request, pk, exc, "record_form", form, open_panel="record")
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_meeting(request, meeting, record_form=form, open_panel="record")
    messages.success(request, "会议召开情况已记录")
    return redirect("meetings:meeting_detail", pk=pk)


@login_required
@require_POST
def decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = TaskRaisingForm(request.POST, user=request.user)
    if not form.is_valid():
        _log_forged(request, form, "unit")
        return _render_meeting(request, meeting, decision_form=form, open_panel="decision")
    d = form.cleaned_data
    try:
        decision = actions.do_add_decision(meeting, text=d["text"], unit=d["unit"], due_date=d["due_date"],
                                           allow_non_workday=d["allow_non_workday"], acting_user=request.user)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_meeting(request, meeting, decision_form=form, open_panel="decision")
    messages.success(request, f"会议决定已登记，并已交办{decision.unit.name}（任务台账）")
    return redirect("meetings:meeting_detail", pk=pk)


@login_required
@require_GET
def meeting_report(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    data = build_meeting_report(meeting, today=timezone.localdate())
    audit.record(AuditAction.EXPORT, obj=meeting, changes={"format": "docx"})
    return docx_response(f"{meeting.title}纪要.docx", data)


# --- series -----------------------------------------------------------------------------------------


@login_required
@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    listing = paginate(request, selectors.series_for(user))
    suggestions = selectors.obligation_suggestions(user) if scope_unit_ids(user, "change") != set() else []
    return render(request, "meetings/series_list.html", _ctx(request, "series", "会议计划（按工作要点定期召开）",
                                                              suggestions=suggestions, **listing))


@login_required
def series_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial: dict[str, Any] = {"cadence": 2, "kind": MeetingKind.ANALYSIS}
    obligation = _suggested(request)
    if obligation is not None:
        initial.update({"title": obligation.activity[:200], "cadence": obligation.suggested_months,
                        "kind": obligation.suggested_kind, "obligation": obligation.pk})
        if obligation.lead_unit is not None:
            initial["unit"] = obligation.lead_unit.pk
    form = SeriesForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                series = actions.do_create_series(
                    unit=d["unit"], title=d["title"], kind=d["kind"], cadence=d["cadence"], acting_user=user,
                    default_attendees=d["default_attendees"], obligation=obligation)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已建立会议计划“{series.title}”，请安排本年度会议")
                return redirect("meetings:series_detail", pk=series.pk)
        _log_forged(request, form, "unit")
    return render(request, "meetings/form.html", _ctx(request, "series", "新建会议计划", form=form,
                                                       obligation=obligation,
                                                       cancel_url=reverse("meetings:series_list")))


def _suggested(request: HttpRequest) -> Any:
    raw = request.POST.get("obligation") or request.GET.get("obligation") or ""
    if not raw.isdigit():
        return None
    return next((o for o in selectors.obligation_suggestions(request.user, limit=500) if o.pk == int(raw)), None)


def _series(request: HttpRequest, pk: int) -> MeetingSeries:
    return (MeetingSeries.objects.select_related("unit", "obligation__plan")
            .prefetch_related("default_attendees").get_visible_or_404(request.user, "view", pk=pk))


def _render_series(request: HttpRequest, series: MeetingSeries, *, status: int = 200, conflict: str = "",
                   **forms: Any) -> HttpResponse:
    user = request.user
    manage = actions.can_manage(user, series.unit_id)
    today = timezone.localdate()
    context = _ctx(request, "series", series.title, series=series, can_manage=manage, conflict=conflict,
                   meetings=list(selectors.meetings_for(user, series_id=series.pk)))
    if manage:
        context["generate_form"] = forms.get("generate_form") or GenerateForm(initial={"year": today.year})
        context["edit_form"] = forms.get("edit_form") or SeriesForm(user=user, editing=True, initial={
            "title": series.title, "kind": series.kind, "cadence": series.cadence, "is_active": series.is_active,
            "default_attendees": [p.pk for p in series.default_attendees.all()], "version": series.version})
    return render(request, "meetings/series_detail.html", context, status=status)


@login_required
@require_GET
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_series(request, _series(request, pk))


@login_required
@require_POST
def series_generate(request: HttpRequest, pk: int) -> HttpResponse:
    series = _series(request, pk)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        return _render_series(request, series, generate_form=form)
    try:
        made = actions.do_generate_meetings(series, year=form.cleaned_data["year"], acting_user=request.user)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_series(request, series, generate_form=form)
    messages.success(request, f"已安排 {len(made)} 次会议" if made else "没有需要新安排的会议（已安排或周期已过）")
    return redirect("meetings:series_detail", pk=pk)


@login_required
@require_POST
def series_edit(request: HttpRequest, pk: int) -> HttpResponse:
    series = _series(request, pk)
    form = SeriesForm(request.POST, user=request.user, editing=True)
    if not form.is_valid():
        return _render_series(request, series, edit_form=form)
    d = form.cleaned_data
    try:
        actions.do_update_series(series, acting_user=request.user, expected_version=d["version"], title=d["title"],
                                 kind=d["kind"], cadence=d["cadence"], is_active=d["is_active"],
                                 default_attendees=d["default_attendees"])
    except actions.MeetingConflict as exc:
        fresh = _series(request, pk)
        _with_version(form, fresh.version)
        return _render_series(request, fresh, edit_form=form, conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_series(request, series, edit_form=form)
    messages.success(request, "会议计划已保存")
    return redirect("meetings:series_detail", pk=pk)


# --- contingency plans ------------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    listing = paginate(request, selectors.plans_for(request.user))
    return render(request, "meetings/plan_list.html", _ctx(request, "plans", "应急预案", **listing))


def _plan(request: HttpRequest, pk: int) -> ContingencyPlan:
    return (ContingencyPlan.objects.select_related("unit").prefetch_related("steps__unit")
            .get_visible_or_404(request.user, "view", pk=pk))


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PlanForm(request.POST or None, user=user)
    steps = step_formset(user, request.POST or None)
    if request.method == "POST":
        if form.is_valid() and steps.is_valid():
            d = form.cleaned_data
            try:
                plan = actions.do_create_plan(unit=d["unit"], title=d["title"], level=d["level"],
                                              trigger=d["trigger"], description=d["description"],
                                              steps=steps.steps(), acting_user=user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已制定预案“{plan.title}”")
                return redirect("meetings:plan_detail", pk=plan.pk)
        _log_forged(request, form, "unit")
    return render(request, "meetings/plan_form.html", _ctx(request, "plans", "制定应急预案", form=form, steps=steps,
                                                            cancel_url=reverse("meetings:plan_list")))


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = _plan(request, pk)
    if not actions.can_manage(user, plan.unit_id):
        audit.forbid(request, "无权修改该预案", obj=plan)
    initial = {"title": plan.title, "level": plan.level, "trigger": plan.trigger, "description": plan.description,
               "is_active": plan.is_active, "version": plan.version}
    form = PlanForm(request.POST or None, user=user, plan=plan, initial=initial)
    steps = step_formset(user, request.POST or None, plan=plan)
    status, conflict = 200, ""
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        d = form.cleaned_data
        try:
            actions.do_update_plan(plan, title=d["title"], level=d["level"], trigger=d["trigger"],
                                   description=d["description"], is_active=d["is_active"], steps=steps.steps(),
                                   acting_user=user, expected_version=d["version"])
        except actions.MeetingConflict as exc:
            plan = _plan(request, pk)
            _with_version(form, plan.version)
            status, conflict = 409, exc.messages[0]
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "预案已保存（新修订）")
            return redirect("meetings:plan_detail", pk=pk)
    return render(request, "meetings/plan_form.html", _ctx(
        request, "plans", f"修订预案：{plan.title}", form=form, steps=steps, plan=plan, conflict=conflict,
        cancel_url=reverse("meetings:plan_detail", args=[pk])), status=status)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan, its steps and drills; a manager records a new drill here (POST)."""
    user = request.user
    plan = _plan(request, pk)
    manage = actions.can_manage(user, plan.unit_id)
    form = None
    if manage:
        form = DrillForm(request.POST or None, user=user,
                         initial={"held_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)})
    if request.method == "POST":
        if not manage:
            audit.forbid(request, "无权为该预案记录演练", obj=plan)
        if form.is_valid():
            d = form.cleaned_data
            try:
                drill = actions.do_create_drill(plan, scenario=d["scenario"], held_at=d["held_at"],
                                                participants=d["participants"], acting_user=user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "演练已登记，请填写各步骤的实际用时")
                return redirect("meetings:drill_detail", pk=drill.pk)
    drills = list(selectors.drills_for(user).filter(plan=plan)[:50])
    return render(request, "meetings/plan_detail.html", _ctx(
        request, "plans", plan.title, plan=plan, steps=list(plan.steps.all()), drills=drills, can_manage=manage,
        drill_form=form))


# --- drills -----------------------------------------------------------------------------------------


@login_required
@require_GET
def drill_list(request: HttpRequest) -> HttpResponse:
    listing = paginate(request, selectors.drills_for(request.user))
    return render(request, "meetings/drill_list.html", _ctx(request, "drills", "应急演练", **listing))


def _render_drill(request: HttpRequest, drill: Drill, *, status: int = 200, conflict: str = "",
                  **forms: Any) -> HttpResponse:
    user = request.user
    manage = actions.can_manage(user, drill.unit_id)
    steps = list(drill.steps.all())
    context = _ctx(request, "drills", f"演练：{drill.plan.title}", drill=drill, steps=steps, can_manage=manage,
                   conflict=conflict, findings=list(drill.findings.all()),
                   participants=list(drill.participants.all()),
                   late_count=sum(1 for s in steps if s.is_late))
    if manage:
        context["record_form"] = forms.get("record_form") or DrillRecordForm(
            steps=steps, initial={"summary": drill.summary, "version": drill.version})
        context["finding_form"] = forms.get("finding_form") or TaskRaisingForm(user=user, text_label="发现问题及整改要求")
    return render(request, "meetings/drill_detail.html", context, status=status)


@login_required
@require_GET
def drill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_drill(request, selectors.drill_detail(request.user, pk))


@login_required
@require_POST
def drill_record(request: HttpRequest, pk: int) -> HttpResponse:
    drill = selectors.drill_detail(request.user, pk)
    form = DrillRecordForm(request.POST, steps=list(drill.steps.all()))
    if not form.is_valid():
        return _render_drill(request, drill, record_form=form)
    try:
        actions.do_record_drill(drill, timings=form.timings(), summary=form.cleaned_data["summary"],
                                acting_user=request.user, expected_version=form.cleaned_data["version"])
    except actions.MeetingConflict as exc:
        fresh = selectors.drill_detail(request.user, pk)
        _with_version(form, fresh.version)
        return _render_drill(request, fresh, record_form=form, conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_drill(request, drill, record_form=form)
    messages.success(request, "演练用时已保存")
    return redirect("meetings:drill_detail", pk=pk)


@login_required
@require_POST
def drill_finding(request: HttpRequest, pk: int) -> HttpResponse:
    drill = selectors.drill_detail(request.user, pk)
    form = TaskRaisingForm(request.POST, user=request.user, text_label="发现问题及整改要求")
    if not form.is_valid():
        _log_forged(request, form, "unit")
        return _render_drill(request, drill, finding_form=form)
    d = form.cleaned_data
    try:
        finding = actions.do_add_finding(drill, text=d["text"], unit=d["unit"], due_date=d["due_date"],
                                         allow_non_workday=d["allow_non_workday"], acting_user=request.user)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _render_drill(request, drill, finding_form=form)
    messages.success(request, f"问题已登记，并已交办{finding.unit.name}整改（任务台账）")
    return redirect("meetings:drill_detail", pk=pk)


# --- pre-release checks -----------------------------------------------------------------------------


@login_required
@require_GET
def check_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()[:100]
    status = status if status in CheckStatus.values else ""
    kind = kind if kind in SubjectKind.values else ""
    listing = paginate(request, selectors.checks_for(request.user, status=status, kind=kind, q=q))
    can_start = scope_unit_ids(request.user, "work") != set()
    return render(request, "meetings/check_list.html", _ctx(
        request, "checks", "风险评估前置", status=status, kind=kind, q=q, statuses=CheckStatus.choices,
        kinds=SubjectKind.choices, can_start=can_start, **listing))


@login_required
def check_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = CheckStartForm(request.POST or None, user=user)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                check = actions.do_start_check(unit=d["unit"], template=d["template"],
                                               subject_title=d["subject_title"], subject_kind=d["subject_kind"],
                                               subject_date=d["subject_date"], acting_user=user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "已建立风险评估，请逐项填写")
                return redirect("meetings:check_detail", pk=check.pk)
        _log_forged(request, form, "unit")
    return render(request, "meetings/form.html", _ctx(request, "checks", "新建风险评估", form=form,
                                                       cancel_url=reverse("meetings:check_list")))


def _check(request: HttpRequest, pk: int) -> ReleaseCheck:
    return (ReleaseCheck.objects.select_related("unit", "template", "completed_by", "created_by")
            .prefetch_related("answers").get_visible_or_404(request.user, "view", pk=pk))


def _render_check(request: HttpRequest, check: ReleaseCheck, *, status: int = 200, conflict: str = "",
                  form: Any = None) -> HttpResponse:
    answers = list(check.answers.all())
    fill = actions.can_fill(request.user, check.unit_id) and check.status == CheckStatus.DRAFT
    if fill and form is None:
        form = CheckAnswersForm(answers=answers, initial={"conclusion": check.conclusion, "version": check.version})
    grouped: dict[str, list[Any]] = {}
    for a in answers:
        grouped.setdefault(a.group, []).append(a)
    return render(request, "meetings/check_detail.html", _ctx(
        request, "checks", str(check), check=check, form=form if fill else None, grouped=list(grouped.items()),
        conflict=conflict, problems=actions.check_problems(check, answers) if fill else [],
        register=actions.risks_register_available()), status=status)


@login_required
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the check; POST saves the answers (and with `complete`, freezes it)."""
    check = _check(request, pk)
    if request.method != "POST":
        return _render_check(request, check)
    if not actions.can_fill(request.user, check.unit_id):
        audit.forbid(request, "无权填报该风险评估", obj=check)
    form = CheckAnswersForm(request.POST, answers=list(check.answers.all()))
    if not form.is_valid():
        return _render_check(request, check, form=form)
    try:
        saved = actions.do_save_answers(check, answers=form.answer_rows(), conclusion=form.cleaned_data["conclusion"],
                                        acting_user=request.user, expected_version=form.cleaned_data["version"])
        if "complete" in request.POST:
            actions.do_complete_check(saved, acting_user=request.user, expected_version=saved.version)
    except actions.MeetingConflict as exc:
        fresh = _check(request, pk)
        _with_version(form, fresh.version)
        return _render_check(request, fresh, form=form, conflict=exc.messages[0], status=409)
    except ValidationError as exc:
        add_action_errors(form, exc)
        fresh = _check(request, pk)
        _with_version(form, fresh.version)
        return _render_check(request, fresh, form=form)
    messages.success(request, "风险评估已完成并存档" if "complete" in request.POST else "已保存")
    return redirect("meetings:check_detail", pk=pk)


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    if not actions.can_manage_templates(request.user):
        audit.forbid(request, "仅系统管理员可维护风险评估清单")
    listing = paginate(request, ChecklistTemplate.objects.order_by("title", "id"))
    return render(request, "meetings/template_list.html", _ctx(request, "checks", "风险评估清单", **listing))


@login_required
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    if not actions.can_manage_templates(user):
        audit.forbid(request, "仅系统管理员可维护风险评估清单")
    template = ChecklistTemplate.objects.filter(pk=pk).first() if pk else None
    if pk and template is None:
        from django.http import Http404

        raise Http404("清单不存在")
    initial = {}
    if template is not None:
        initial = {"title": template.title, "description": template.description, "is_active": template.is_active,
                   "items": items_text(template), "version": template.version}
    form = TemplateForm(request.POST or None, initial=initial)
    status, conflict = 200, ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            template = actions.do_save_template(template, title=d["title"], description=d["description"],
                                                is_active=d["is_active"], items=d["items"], acting_user=user,
                                                expected_version=d["version"])
        except actions.MeetingConflict as exc:
            template = ChecklistTemplate.objects.get(pk=pk)
            _with_version(form, template.version)
            status, conflict = 409, exc.messages[0]
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"清单“{template.title}”已保存")
            return redirect("meetings:template_list")
    return render(request, "meetings/form.html", _ctx(
        request, "checks", "编辑风险评估清单" if template else "新建风险评估清单", form=form, conflict=conflict,
        cancel_url=reverse("meetings:template_list")), status=status)

