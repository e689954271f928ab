"""Pages of alerts, alert rules, incidents (the 处置台账), reports and the duty handover log.

Thin: rows come from `visible_to` / `get_visible_or_404`, writes go through opinion.actions,
refusals are 403 (POSTs logged as DENIED) and bad input is shown on the form in Chinese.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import audit
from core.audit import forbid
from core.exports import DOCX_CONTENT_TYPE, attachment_response
from core.exports.xlsx import xlsx_response
from core.forms import add_action_errors
from core.listing import paginate
from core.models import AuditAction
from ledger.actions import ConflictError, tasks_raised_by
from opinion import actions, reports
from opinion import incidents as rules
from opinion.alerting import weekdays_label
from opinion.forms_incidents import (
    AdvanceForm,
    AlertIncidentForm,
    AlertRuleForm,
    HandoverForm,
    IncidentCreateForm,
    ManualAlertForm,
    NoteForm,
    ReportForm,
    SettingsForm,
    StatementForm,
    TaskForm,
)
from opinion.models import Alert, AlertRule, DutyHandover, Incident, IncidentLog, OpinionReport
from opinion.models.alerts import LEVEL_COLORS, AlertLevel, AlertStatus
from opinion.models.incidents import IncidentStage
from opinion.models.reports import ReportStatus


def _require_view(request: HttpRequest) -> None:
    if not rules.can_view(request.user):
        forbid(request, "无权查看舆情信息（需要舆情查看权限）")


def _require_manage(request: HttpRequest) -> None:
    if not rules.can_manage(request.user):
        forbid(request, "仅舆情分析员可执行此操作")


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


# --- alerts -----------------------------------------------------------------------------------------


def _alert_queryset(request: HttpRequest, tab: str) -> Any:
    user = request.user
    qs = Alert.objects.select_related("rule", "unit", "event", "incident")
    if tab == "all" and rules.can_manage(user):
        return qs.visible_to(user, "view")
    return qs.filter(recipients=user)


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    # No opinion.view needed: the people an alert pages (unit heads by default) see what they got.
    tab = request.GET.get("tab", "mine")
    tab = tab if tab in ("mine", "all") else "mine"
    status = request.GET.get("status", "")
    qs = _alert_queryset(request, tab)
    if status in AlertStatus.values:
        qs = qs.filter(status=status)
    level = request.GET.get("level", "")
    if level in AlertLevel.values:
        qs = qs.filter(level=level)
    listing = paginate(request, qs.order_by("-created_at", "-id"))
    return render(request, "opinion/alerts/alert_list.html", {
        "page_title": "舆情预警", "tab": "alerts", "alert_tab": tab, "status": status, "level": level,
        "statuses": AlertStatus.choices, "levels": AlertLevel.choices, "can_manage": rules.can_manage(request.user),
        "alerts": listing["object_list"], **listing})


def _get_alert(request: HttpRequest, pk: int) -> Alert:
    alert = Alert.objects.select_related("rule", "unit", "event", "item", "incident").filter(pk=pk).first()
    if alert is None:
        raise Http404("预警不存在")
    user = request.user
    mine = alert.recipients.filter(pk=user.pk).exists()
    in_scope = rules.can_view(user) and Alert.objects.visible_to(user, "view").filter(pk=pk).exists()
    if not (mine or in_scope):
        raise Http404("预警不存在或无权访问")
    return alert


@login_required
@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _get_alert(request, pk)
    can_open = not alert.incident_id and alert.unit_id and rules.can_handle(request.user, alert.unit_id)
    form = None
    if can_open:
        form = AlertIncidentForm(user=request.user, initial={
            "title": alert.title, "level": alert.level, "unit": alert.unit_id, "description": alert.reason})
    return render(request, "opinion/alerts/alert_detail.html", {
        "page_title": f"预警：{alert.title}", "tab": "alerts", "alert": alert, "form": form,
        "recipients": list(alert.recipients.all()), "can_act": actions.can_handle_alert(request.user, alert)})


def _alert_action(request: HttpRequest, pk: int, run: Any, done: str) -> HttpResponse:
    alert = _get_alert(request, pk)
    if not actions.can_handle_alert(request.user, alert):
        forbid(request, "仅预警接收人或舆情分析员可处理该预警", obj=alert)
    try:
        run(alert)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(request.POST.get("next") or reverse("opinion:alert_detail", args=[pk]))


@login_required
@require_POST
def alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(request, pk, lambda a: actions.do_ack_alert(a, acting_user=request.user), "已签收")


@login_required
@require_POST
def alert_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(request, pk, lambda a: actions.do_dismiss_alert(a, acting_user=request.user), "已忽略")


@login_required
@require_POST
def alert_incident(request: HttpRequest, pk: int) -> HttpResponse:
    """受理: turn the alert into an incident."""
    _require_manage(request)
    alert = _get_alert(request, pk)
    form = AlertIncidentForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        if not rules.can_handle(request.user, data["unit"].pk):
            forbid(request, "仅受理单位的舆情分析员可受理", obj=alert)
        try:
            incident = actions.do_open_incident(alert=alert, title=data["title"], level=data["level"],
                                                unit=data["unit"], owner=data["owner"],
                                                description=data["description"], acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "已受理，进入处置台账")
            return redirect("opinion:incident_detail", pk=incident.pk)
    return render(request, "opinion/alerts/alert_detail.html", {
        "page_title": f"预警：{alert.title}", "tab": "alerts", "alert": alert, "form": form,
        "recipients": list(alert.recipients.all()), "can_act": True}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def alert_raise(request: HttpRequest) -> HttpResponse:
    """人工预警: an analyst pages chosen people about an event."""
    _require_manage(request)
    if request.method == "POST":
        form = ManualAlertForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                alert = actions.do_raise_alert(data["event"], level=data["level"], reason=data["reason"],
                                               recipients=list(data["recipients"]), acting_user=request.user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "人工预警已发出")
                return redirect("opinion:alert_detail", pk=alert.pk)
    else:
        form = ManualAlertForm(user=request.user, initial={"event": request.GET.get("event"), "level": "yellow"})
    return render(request, "opinion/alerts/alert_raise.html", {"page_title": "人工预警", "tab": "alerts",
                                                                "form": form},
                  status=400 if form.is_bound else 200)


# --- alert rules ------------------------------------------------------------------------------------


@login_required
@require_GET
def alert_rule_list(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    qs = (AlertRule.objects.visible_to(request.user, "view").select_related("unit", "keyword_rule", "source")
          .prefetch_related("recipients").order_by("unit__path", "name"))
    rows = list(qs)
    for rule in rows:
        rule.weekdays_text = weekdays_label(rule.weekdays)
        rule.level_color = LEVEL_COLORS.get(rule.level, "secondary")
    return render(request, "opinion/alerts/rule_list.html", {"page_title": "预警规则", "tab": "alerts",
                                                              "rules": rows})


def _rule_data(form: AlertRuleForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    data["weekdays"] = [int(d) for d in data.get("weekdays") or []]
    return data


@login_required
@require_http_methods(["GET", "POST"])
def alert_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_manage(request)
    rule = AlertRule.objects.get_visible_or_404(request.user, "work", pk=pk) if pk else None
    if request.method == "POST":
        form = AlertRuleForm(request.POST, user=request.user)
        if form.is_valid():
            data = _rule_data(form)
            unit, recipients = data.pop("unit"), data.pop("recipients")
            try:
                actions.do_save_alert_rule(rule, unit=unit, recipients=recipients, acting_user=request.user,
                                           expected_version=form.cleaned_data.get("version"), **data)
            except PermissionDenied:
                raise
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "预警规则已保存")
                return redirect("opinion:alert_rule_list")
        status = 400
    else:
        initial: dict[str, Any] = {"enabled": True, "window_minutes": 60, "min_confidence": 0.6, "level": "yellow"}
        if rule is not None:
            initial = {name: getattr(rule, name) for name in actions.RULE_FIELDS}
            initial.update(unit=rule.unit_id, recipients=list(rule.recipients.all()), version=rule.version,
                           weekdays=[str(d) for d in rule.weekdays])
        form = AlertRuleForm(initial=initial, user=request.user)
        status = 200
    return render(request, "opinion/alerts/rule_form.html", {
        "page_title": "修改预警规则" if rule else "新建预警规则", "tab": "alerts", "form": form, "rule": rule},
        status=status)


@login_required
@require_POST
def alert_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    rule = AlertRule.objects.get_visible_or_404(request.user, "view", pk=pk)
    actions.do_delete_alert_rule(rule, acting_user=request.user)
    messages.success(request, "预警规则已删除")
    return redirect("opinion:alert_rule_list")


# --- incidents --------------------------------------------------------------------------------------


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    filters = rules.parse_filters(request.GET)
    now = timezone.now()
    listing = paginate(request, rules.incident_list(request.user, filters, now))
    rows = list(listing["object_list"])
    for incident in rows:
        incident.late = rules.is_late(incident, now)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page_title": "舆情处置台账", "tab": "incidents", "incidents": rows, "filters": filters,
        "stages": IncidentStage.choices, "levels": AlertLevel.choices, "can_manage": rules.can_manage(request.user),
        "export_url": reverse("opinion:incident_export") + (f"?{params.urlencode()}" if params else ""),
        **listing,
    }
    if _partial(request):
        return render(request, "opinion/incidents/_incident_results.html", context)
    return render(request, "opinion/incidents/incident_list.html", context)


@login_required
@require_GET
def incident_export(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    qs = rules.incident_list(request.user, rules.parse_filters(request.GET))
    data, count = reports.build_ledger(qs, user=request.user)
    audit.record(AuditAction.EXPORT, object_type="opinion.incident", object_repr="舆情处置台账.xlsx",
                 changes={"rows": count}, actor=request.user)
    return xlsx_response(f"舆情处置台账_{timezone.localdate():%Y%m%d}.xlsx", data)


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    if request.method == "POST":
        form = IncidentCreateForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = actions.do_open_incident(event=data["event"], title=data["title"], level=data["level"],
                                                    unit=data["unit"], owner=data["owner"],
                                                    description=data["description"], acting_user=request.user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "已受理")
                return redirect("opinion:incident_detail", pk=incident.pk)
    else:
        own = getattr(getattr(request.user, "person", None), "unit_id", None)
        form = IncidentCreateForm(user=request.user, initial={"level": "yellow", "unit": own,
                                                              "event": request.GET.get("event")})
    return render(request, "opinion/incidents/incident_form.html",
                  {"page_title": "登记舆情处置事项", "tab": "incidents", "form": form},
                  status=400 if form.is_bound else 200)


def _get_incident(request: HttpRequest, pk: int) -> Incident:
    return (Incident.objects.select_related("unit", "owner", "event", "alert", "created_by")
            .get_visible_or_404(request.user, "view", pk=pk))


def _advance_form(incident: Incident, data: Any = None) -> AdvanceForm | None:
    target = rules.next_stage(incident.stage)
    if target is None:
        return None
    initial = {"to_stage": target, "version": incident.version, "analysis": incident.analysis,
               "level": incident.level, "measures": incident.measures, "outcome": incident.outcome}
    form = AdvanceForm(data, initial=initial) if data is not None else AdvanceForm(initial=initial)
    # Show only what this transition asks for.
    keep = {"to_stage", "version", "note"} | {name for name, _ in rules.REQUIRED_TO_LEAVE.get(incident.stage, ())}
    for name in list(form.fields):
        if name not in keep:
            del form.fields[name]
    for name, _label in rules.REQUIRED_TO_LEAVE.get(incident.stage, ()):
        form.fields[name].required = True
    return form


def _render_detail(request: HttpRequest, incident: Incident, *, status: int = 200, forms: dict | None = None,
                   conflict: str = "") -> HttpResponse:
    forms = forms or {}
    can_handle = rules.can_handle(request.user, incident.unit_id)
    tasks = list(tasks_raised_by(incident).select_related("unit").order_by("id"))
    logs = list(IncidentLog.objects.filter(incident=incident).select_related("actor"))
    target = rules.next_stage(incident.stage)
    context = {
        "page_title": incident.title, "tab": "incidents", "incident": incident, "steps": rules.stepper(incident),
        "late": rules.is_late(incident), "logs": logs, "tasks": tasks, "statements": list(incident.statements.all()),
        "can_handle": can_handle and incident.is_open, "conflict": conflict,
        "advance_label": rules.ACTION_LABELS.get(target, "") if target else "",
        "advance_form": forms.get("advance") or (_advance_form(incident) if can_handle else None),
        "note_form": forms.get("note") or NoteForm(), "statement_form": forms.get("statement") or StatementForm(),
        "task_form": forms.get("task") or (TaskForm(user=request.user, initial={"unit": incident.unit_id})
                                           if can_handle else None),
    }
    return render(request, "opinion/incidents/incident_detail.html", context, status=status)


@login_required
@require_GET
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    return _render_detail(request, _get_incident(request, pk))


def _guard_write(request: HttpRequest, pk: int) -> Incident:
    _require_view(request)
    incident = _get_incident(request, pk)
    if not rules.can_handle(request.user, incident.unit_id):
        forbid(request, "仅受理单位的舆情分析员可办理该事项", obj=incident)
    return incident


@login_required
@require_POST
def incident_advance(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _guard_write(request, pk)
    form = _advance_form(incident, request.POST)
    if form is None:
        messages.error(request, "该事项已办结")
        return redirect("opinion:incident_detail", pk=pk)
    # The stage the user meant to move to comes from the form they saw, not from the current row.
    form.fields["to_stage"].required = True
    if form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in ("analysis", "level", "measures", "outcome") if name in data}
        try:
            actions.do_advance_incident(incident, to_stage=request.POST.get("to_stage", ""),
                                        acting_user=request.user, expected_version=data["version"],
                                        note=data.get("note", ""), **fields)
        except ConflictError as exc:
            incident.refresh_from_db()
            return _render_detail(request, incident, status=409, conflict=exc.messages[0])
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "已流转")
            return redirect("opinion:incident_detail", pk=pk)
    return _render_detail(request, incident, status=400, forms={"advance": form})


def _post_text(request: HttpRequest, pk: int, form_class: Any, key: str, action: Any, done: str) -> HttpResponse:
    """A note or a response statement: one text field, one action, back to the incident."""
    incident = _guard_write(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(incident, text=form.cleaned_data["text"], acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            if done:
                messages.success(request, done)
            return redirect("opinion:incident_detail", pk=pk)
    return _render_detail(request, incident, status=400, forms={key: form})


@login_required
@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_text(request, pk, NoteForm, "note", actions.do_add_note, "")


@login_required
@require_POST
def incident_statement(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_text(request, pk, StatementForm, "statement", actions.do_add_statement, "回应口径已记录")


@login_required
@require_POST
def incident_task(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _guard_write(request, pk)
    form = TaskForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_assign_incident_task(incident, unit=data["unit"], title=data["title"], due=data["due"],
                                            description=data["description"], acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "任务已交办，进入任务台账")
            return redirect("opinion:incident_detail", pk=pk)
    return _render_detail(request, incident, status=400, forms={"task": form})


@login_required
@require_http_methods(["GET", "POST"])
def incident_settings(request: HttpRequest) -> HttpResponse:
    """工作时段, 免打扰 and the per-level stage deadlines."""
    from opinion.forms_incidents import STAGE_KEYS
    from opinion.models import OpinionSettings

    _require_manage(request)
    current = OpinionSettings.current()
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.do_update_settings(acting_user=request.user, expected_version=data.get("version"),
                                           working_hours=data["working_hours"], deadlines=form.deadlines(),
                                           quiet_start=data["quiet_start"], quiet_end=data["quiet_end"])
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, "设置已保存")
                return redirect("opinion:incident_settings")
    else:
        initial: dict[str, Any] = {
            "working_hours": ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in current.windows()),
            "quiet_start": current.quiet_start, "quiet_end": current.quiet_end, "version": current.version}
        for level in AlertLevel.values:
            for stage, _label in STAGE_KEYS:
                initial[f"{level}_{stage}"] = current.stage_hours(level, stage)
        form = SettingsForm(initial=initial)
    grid = [(label, [form[f"{level}_{stage}"] for stage, _ in STAGE_KEYS]) for level, label in AlertLevel.choices]
    return render(request, "opinion/incidents/settings.html", {
        "page_title": "处置时限与免打扰设置", "tab": "incidents", "form": form, "grid": grid,
        "stage_labels": [label for _, label in STAGE_KEYS]}, status=400 if form.is_bound else 200)


# --- reports ----------------------------------------------------------------------------------------


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    listing = paginate(request, OpinionReport.objects.select_related("event", "created_by").order_by("-created_at",
                                                                                                    "-id"))
    return render(request, "opinion/reports/report_list.html", {
        "page_title": "舆情报告", "tab": "reports", "reports": listing["object_list"],
        "form": ReportForm() if rules.can_manage(request.user) else None, **listing})


@login_required
@require_POST
def report_generate(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    form = ReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reports.do_request_report(kind=data["kind"], event=data["event"], start=data["start"], end=data["end"],
                                      acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "报告已提交生成，稍候刷新即可下载")
            return redirect("opinion:report_list")
    listing = paginate(request, OpinionReport.objects.select_related("event", "created_by"))
    return render(request, "opinion/reports/report_list.html", {
        "page_title": "舆情报告", "tab": "reports", "reports": listing["object_list"], "form": form, **listing},
        status=400)


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    report = OpinionReport.objects.filter(pk=pk, status=ReportStatus.DONE).first()
    if report is None or not report.file:
        raise Http404("报告不存在或尚未生成")
    with report.file.open("rb") as handle:
        data = handle.read()
    audit.record(AuditAction.EXPORT, obj=report, changes={"format": "docx"}, actor=request.user)
    return attachment_response(f"{report.title}.docx", data, DOCX_CONTENT_TYPE)


# --- duty handover ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def duty(request: HttpRequest) -> HttpResponse:
    """The monitoring duty roster (ledger Duty/DutyShift) and its handover log."""
    from ledger.models import Duty, DutyShift
    from org.models import Person

    _require_view(request)
    duties = list(Duty.objects.visible_to(request.user, "view").filter(is_active=True).select_related("unit"))
    chosen = next((d for d in duties if str(d.pk) == request.GET.get("duty", "")), duties[0] if duties else None)
    form = None
    if chosen is not None:
        people = Person.objects.filter(unit_id=chosen.unit_id, is_active=True).select_related("unit").order_by("name")
        form = HandoverForm(request.POST or None, people=people, initial={"shift_date": timezone.localdate()})
        if request.method == "POST":
            me = Person.objects.filter(user=request.user, is_active=True).first()
            if me is None:
                forbid(request, "您没有人员档案，不能交班")
            if form.is_valid():
                data = form.cleaned_data
                try:
                    actions.do_hand_over(chosen, shift_date=data["shift_date"], from_person=me,
                                         to_person=data["to_person"], notes=data["notes"], acting_user=request.user)
                except ValidationError as exc:
                    add_action_errors(form, exc)
                else:
                    messages.success(request, "已交班，等待接班人确认")
                    return redirect(f"{reverse('opinion:duty')}?duty={chosen.pk}")
    today = timezone.localdate()
    shifts = (list(DutyShift.objects.filter(duty=chosen, date__gte=today - timezone.timedelta(days=3))
                   .select_related("person").order_by("date", "id")[:30]) if chosen else [])
    handovers = (list(DutyHandover.objects.filter(duty=chosen).select_related("from_person", "to_person",
                                                                               "acknowledged_by")[:50])
                 if chosen else [])
    return render(request, "opinion/duty/duty.html", {
        "page_title": "值班与交接班", "tab": "duty", "duties": duties, "chosen": chosen, "shifts": shifts,
        "handovers": handovers, "form": form, "today": today, "open_summary": actions.open_summary(request.user),
        "my_user_id": request.user.pk}, status=400 if form is not None and form.is_bound and form.errors else 200)


@login_required
@require_POST
def duty_ack(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    handover = DutyHandover.objects.select_related("to_person").get_visible_or_404(request.user, "view", pk=pk)
    if handover.to_person.user_id != request.user.pk:
        forbid(request, "仅接班人本人可确认接班", obj=handover)
    try:
        actions.do_acknowledge_handover(handover, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已确认接班")
    return redirect(f"{reverse('opinion:duty')}?duty={handover.duty_id}")


# --- the alert badge count for templates --------------------------------------------------------------


def open_alert_count(user: Any) -> int:
    return Alert.objects.filter(recipients=user, status=AlertStatus.NEW).count()

