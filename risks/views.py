"""Risk pages: the register (filters, .xlsx), the heat map and trend, one risk with its loop (steps,
挂牌督办, 申请销号, 验收, 回头看), screening campaigns and self-checks, and the settings (matrix,
domains, checklist points).

Thin: rows come from `visible_to` / `get_visible_or_404`, writes go through risks.actions, refusals
are 403 (logged) and bad input is shown on the form in Chinese.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import audit
from core.audit import forbid
from core.exports.xlsx import xlsx_response
from core.files import store_upload
from core.forms import add_action_errors
from core.listing import cached_fragments, paginate
from core.models import AuditAction
from risks import actions, reports
from risks.choices import LEVEL_COLORS, AnswerResult, CheckStatus, RiskLevel, RiskStatus
from risks.forms import (
    CampaignForm,
    CloseRequestForm,
    DomainForm,
    FlagForm,
    FollowUpForm,
    PointForm,
    ReviewForm,
    RiskFilterForm,
    RiskForm,
    StepForm,
)
from risks.models import (
    SCALE,
    Risk,
    RiskDomain,
    RiskEvent,
    RiskPoint,
    RiskSettings,
    RiskStep,
    ScreeningCampaign,
    SelfCheck,
)
from risks.selectors import (
    SORTS,
    STATUS_FILTERS,
    campaign_progress,
    domain_choices,
    heatmap,
    open_risks,
    parse_filters,
    register,
    trend,
    unit_choices,
)

HOME_PANEL_SIZE = 6


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _clean_query(request: HttpRequest) -> Any:
    params = request.GET.copy()
    for key in list(params):
        values = [v for v in params.getlist(key) if v != ""]
        if values:
            params.setlist(key, values)
        else:
            del params[key]
    return params


# --- the register -----------------------------------------------------------------------------------


def _filter_form(request: HttpRequest, units: list[tuple[int, str, str]]) -> RiskFilterForm:
    return RiskFilterForm(request.GET, domains=domain_choices(), units=units,
                          sorts=[(k, f"按{label}") for k, (label, _) in SORTS.items()],
                          statuses=[(v, str(t)) for v, t in STATUS_FILTERS.items()])


@login_required
@require_GET
def risk_list(request: HttpRequest) -> HttpResponse:
    user = request.user

    def build() -> dict[str, Any]:
        today = timezone.localdate()
        units = unit_choices(user)
        filters = parse_filters(request.GET, user, units)
        listing = paginate(request, register(user, filters, today))
        params = _clean_query(request)
        params.pop("page", None)
        return {
            "filters": filters,
            "values": {k: request.GET.get(k, "") for k in ("q", "domain", "level", "status", "source", "unit",
                                                           "flagged", "sort")},
            "risks": _present(listing["object_list"], today),
            "export_url": reverse("risks:export") + ("?" + params.urlencode() if params else ""),
            "filter_form": _filter_form(request, units),
            **listing,
        }

    parts = cached_fragments(request, "risks.register", {"filter_bar": "risks/_risk_filters.html",
                                                         "results": "risks/_risk_results.html"}, build)
    if _partial(request):
        response = HttpResponse(parts["results"])
        query = _clean_query(request)
        query.pop("page", None)
        response["HX-Push-Url"] = request.path + (f"?{query.urlencode()}" if query else "")
        return response
    context = {"page_title": "风险隐患台账", "tab": "register", "can_coordinate": actions.is_coordinator(user), **parts}
    return render(request, "risks/risk_list.html", context)


def _present(risks: Any, today: Any) -> list[Risk]:
    rows = list(risks)
    for risk in rows:
        risk.level_color = LEVEL_COLORS.get(risk.level, "secondary")
        risk.is_overdue = risk.status != RiskStatus.CLOSED and risk.deadline < today
    return rows


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = parse_filters(request.GET, user)
    data, count = reports.build_register(register(user, filters), user=user, filters=filters)
    audit.record(AuditAction.EXPORT, object_type="risks.risk", object_repr="风险隐患台账.xlsx",
                 changes={"rows": count, "filters": _clean_query(request).dict()}, actor=user)
    return xlsx_response(f"风险隐患台账_{timezone.localdate():%Y%m%d}.xlsx", data)


# --- heat map and trend -----------------------------------------------------------------------------


@login_required
@require_GET
def risk_heatmap(request: HttpRequest) -> HttpResponse:
    parts = cached_fragments(request, "risks.heatmap", {"cards": "risks/_heatmap_cards.html"},
                             lambda: _heatmap_context(request))
    return render(request, "risks/heatmap.html", {"page_title": "风险研判：热力图与趋势", "tab": "heatmap", **parts})


def _heatmap_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    include_closed = request.GET.get("closed") == "1"
    data = heatmap(user, include_closed=include_closed)
    quarters = trend(user)
    base = reverse("risks:risk_list")
    status = "" if include_closed else "open"
    chart = {
        "domains": [row["domain"] for row in data["domains"]],
        "domain_ids": [row["domain_id"] for row in data["domains"]],
        "levels": [label for _, label in data["levels"]],
        "level_codes": [code for code, _ in data["levels"]],
        "cells": [[j, i, cell["count"]] for i, row in enumerate(data["domains"]) for j, cell in enumerate(row["cells"])],
        "max": max([c["count"] for row in data["domains"] for c in row["cells"]] or [0]),
        "href": f"{base}?status={status}" if status else f"{base}?",
    }
    trend_chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["新增", "销号"]},
        "grid": {"left": 40, "right": 20, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": [q["label"] for q in quarters]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": "新增", "type": "bar", "data": [q["new"] for q in quarters], "itemStyle": {"color": "#d63939"}},
            {"name": "销号", "type": "bar", "data": [q["closed"] for q in quarters], "itemStyle": {"color": "#2fb344"}},
        ],
    }
    return {"heat": data, "heat_chart": chart, "trend_chart": trend_chart, "quarters": quarters,
            "include_closed": include_closed, "list_base": base, "status_param": status}


# --- one risk ---------------------------------------------------------------------------------------


def _get_risk(request: HttpRequest, pk: int) -> Risk:
    return (Risk.objects.select_related("unit", "owner__user", "domain", "closed_by", "created_by")
            .get_visible_or_404(request.user, "view", pk=pk))


def _with_version(form: Any, version: int) -> None:
    if form is None or not form.is_bound:
        return
    data = form.data.copy()
    data[form.add_prefix("version")] = str(version)
    form.data = data


def _render_detail(request: HttpRequest, risk: Risk, *, status: int = 200, conflict: str = "",
                   **forms: Any) -> HttpResponse:
    user = request.user
    steps = list(RiskStep.objects.filter(risk=risk).select_related("task__unit", "task__owner").order_by("id"))
    events = list(RiskEvent.objects.filter(risk=risk).select_related("author").prefetch_related("files"))
    flag = getattr(risk, "flag", None) if risk.is_flagged else None
    group = list(flag.group.select_related("unit")) if flag else []
    if conflict:
        for form in forms.values():
            _with_version(form, risk.version)
    initial = {"version": risk.version}
    edit_form = forms.get("edit_form") or RiskForm(user=user, risk=risk, initial={
        **initial, "title": risk.title, "domain": risk.domain_id, "source": risk.source,
        "description": risk.description, "likelihood": risk.likelihood, "impact": risk.impact,
        "owner": risk.owner_id, "measures": risk.measures, "deadline": risk.deadline})
    context = {
        "page_title": risk.title,
        "risk": risk,
        "level_color": LEVEL_COLORS.get(risk.level, "secondary"),
        "is_overdue": risk.status != RiskStatus.CLOSED and risk.deadline < timezone.localdate(),
        "steps": steps,
        "events": events,
        "flag": flag,
        "group": group,
        "conflict": conflict,
        "can_manage": actions.can_manage(user, risk),
        "can_flag": actions.can_flag(user, risk) and risk.level == RiskLevel.MAJOR and not risk.is_flagged
        and risk.status != RiskStatus.CLOSED,
        "can_request": actions.can_request_close(user, risk) and risk.status in (RiskStatus.OPEN, RiskStatus.RECTIFYING),
        "can_verify": actions.can_verify(user, risk) and risk.status == RiskStatus.PENDING_REVIEW,
        "can_follow_up": actions.can_verify(user, risk) and risk.status == RiskStatus.CLOSED,
        "is_owner": actions._is_owner(user, risk),
        "edit_form": edit_form,
        "step_form": forms.get("step_form") or StepForm(user=user, risk=risk, initial=initial),
        "flag_form": forms.get("flag_form") or (FlagForm(user=user, risk=risk, initial=initial)
                                                 if risk.level == RiskLevel.MAJOR else None),
        "close_form": forms.get("close_form") or CloseRequestForm(initial=initial),
        "review_form": forms.get("review_form") or ReviewForm(initial=initial),
        "follow_form": forms.get("follow_form") or FollowUpForm(initial=initial),
    }
    return render(request, "risks/risk_detail.html", context, status=status)


@login_required
@require_GET
def risk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get_risk(request, pk))


def _refused(request: HttpRequest, risk: Risk, form_name: str, form: Any, exc: ValidationError) -> HttpResponse:
    if isinstance(exc, actions.RiskConflict):
        fresh = _get_risk(request, risk.pk)
        return _render_detail(request, fresh, status=409, conflict=exc.messages[0], **{form_name: form})
    add_action_errors(form, exc)
    return _render_detail(request, risk, status=400, **{form_name: form})


def _post(request: HttpRequest, pk: int, form_name: str, form_class: Any, run: Any, done: str,
          allowed: Any, denied: str, **form_kwargs: Any) -> HttpResponse:
    """One POST step of the detail page: visible (404), allowed (403, logged), valid (400), done."""
    risk = _get_risk(request, pk)
    if not allowed(request.user, risk):
        forbid(request, denied, obj=risk)
    form = form_class(request.POST, request.FILES, **form_kwargs) if form_class is CloseRequestForm else \
        form_class(request.POST, **form_kwargs)
    if not form.is_valid():
        return _render_detail(request, risk, status=400, **{form_name: form})
    try:
        run(risk, form.cleaned_data)
    except ValidationError as exc:
        return _refused(request, risk, form_name, form, exc)
    messages.success(request, done)
    return redirect("risks:risk_detail", pk=risk.pk)


@login_required
@require_http_methods(["GET", "POST"])
def risk_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = RiskForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            risk = actions.create_risk(
                unit=data["unit"], title=data["title"], description=data["description"], domain=data["domain"],
                likelihood=data["likelihood"], impact=data["impact"], deadline=data["deadline"],
                owner=data["owner"], measures=data["measures"], source=data["source"], acting_user=user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"已登记风险，等级：{risk.get_level_display()}")
            return redirect("risks:risk_detail", pk=risk.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "risks/risk_form.html", {"page_title": "登记风险隐患", "form": form,
                                                    "matrix": _matrix_rows()}, status=status)


@login_required
@require_POST
def risk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _get_risk(request, pk)

    def run(r: Risk, d: dict) -> None:
        fields = {k: d[k] for k in ("title", "domain", "source", "description", "likelihood", "impact", "owner",
                                    "measures", "deadline")}
        actions.do_update_risk(r, acting_user=request.user, expected_version=d.get("version"), **fields)

    return _post(request, pk, "edit_form", RiskForm, run, "已保存", actions.can_manage,
                 "仅责任单位负责人或分管领导可修改风险", user=request.user, risk=risk)


@login_required
@require_POST
def risk_step(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _get_risk(request, pk)

    def run(r: Risk, d: dict) -> None:
        actions.do_add_step(r, title=d["title"], due_date=d["due_date"], owner=d["owner"], description=d["description"],
                            acting_user=request.user, expected_version=d.get("version"))

    return _post(request, pk, "step_form", StepForm, run, "已交办整改任务（已进入任务台账）", actions.can_manage,
                 "仅责任单位负责人或分管领导可交办整改任务", user=request.user, risk=risk)


@login_required
@require_POST
def risk_flag(request: HttpRequest, pk: int) -> HttpResponse:
    risk = _get_risk(request, pk)

    def run(r: Risk, d: dict) -> None:
        actions.do_flag_risk(r, leader=d["leader"], group=list(d["group"]), group_name=d["group_name"],
                             cadence=d["cadence"], order=d["order"], acting_user=request.user,
                             expected_version=d.get("version"))

    return _post(request, pk, "flag_form", FlagForm, run, "已挂牌督办", actions.can_flag,
                 "仅分管该单位的领导可以挂牌督办", user=request.user, risk=risk)


@login_required
@require_POST
def risk_request_close(request: HttpRequest, pk: int) -> HttpResponse:
    def run(r: Risk, d: dict) -> None:
        files = [store_upload(f, unit=r.unit, user=request.user, purpose="risks.evidence") for f in d["files"]]
        actions.do_request_close(r, text=d["text"], files=files, acting_user=request.user,
                                 expected_version=d.get("version"))

    return _post(request, pk, "close_form", CloseRequestForm, run, "已申请销号，等待验收", actions.can_request_close,
                 "仅责任单位人员可以申请销号")


@login_required
@require_POST
def risk_verify(request: HttpRequest, pk: int) -> HttpResponse:
    reject = request.POST.get("decision") == "reject"

    def run(r: Risk, d: dict) -> None:
        if reject:
            actions.do_reject_close(r, comment=d["comment"], acting_user=request.user, expected_version=d.get("version"))
        else:
            actions.do_verify_close(r, comment=d["comment"], acting_user=request.user, expected_version=d.get("version"))

    return _post(request, pk, "review_form", ReviewForm, run, "已退回重新整改" if reject else "已验收销号",
                 actions.can_verify, "风险责任人不能验收自己负责的风险；仅分管领导、牵头协调单位或系统管理员可以验收")


@login_required
@require_POST
def risk_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    def run(r: Risk, d: dict) -> None:
        actions.do_follow_up(r, passed=d["passed"], text=d["text"], task_title=d["task_title"], task_due=d["task_due"],
                             acting_user=request.user, expected_version=d.get("version"))

    return _post(request, pk, "follow_form", FollowUpForm, run, "已记录回头看", actions.can_verify,
                 "仅分管领导、牵头协调单位或系统管理员可以开展回头看")


# --- screening --------------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    listing = paginate(request, ScreeningCampaign.objects.order_by("-start_date", "-id"))
    campaigns = list(listing["object_list"])
    mine = {c.campaign_id: c for c in SelfCheck.objects.visible_to(user, "work")
            .filter(campaign__in=campaigns).select_related("unit")}
    for campaign in campaigns:
        campaign.my_check = mine.get(campaign.pk)
    return render(request, "risks/campaign_list.html", {
        "page_title": "风险排查", "tab": "screening", "campaigns": campaigns,
        "can_coordinate": actions.is_coordinator(user), **listing})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not actions.is_coordinator(user):
        forbid(request, "仅牵头协调单位负责人或管理员可发起排查", object_type="risks.screeningcampaign")
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = actions.do_launch_campaign(
                kind=d["kind"], title=d["title"], description=d["description"], start_date=d["start_date"],
                due_date=d["due_date"], units=list(d["units"]), domains=list(d["domains"]), acting_user=user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "已发起排查，各单位可开始填报自查")
            return redirect("risks:campaign_detail", pk=campaign.pk)
    return render(request, "risks/campaign_form.html", {"page_title": "发起排查", "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(ScreeningCampaign, pk=pk)
    progress = campaign_progress(campaign, request.user)
    fillable = set(SelfCheck.objects.visible_to(request.user, "view").filter(campaign=campaign)
                   .values_list("pk", flat=True))
    return render(request, "risks/campaign_detail.html", {
        "page_title": campaign.title, "tab": "screening", "campaign": campaign, "progress": progress,
        "openable": fillable, "can_coordinate": actions.is_coordinator(request.user),
        "domains": list(campaign.domains.all()),
    })


@login_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(ScreeningCampaign, pk=pk)
    actions.do_close_campaign(campaign, acting_user=request.user)
    messages.success(request, "排查已结束")
    return redirect("risks:campaign_detail", pk=pk)


def _answers_from_post(post: Any, answer_ids: list[int]) -> dict[int, dict[str, Any]]:
    return {pk: {"result": post.get(f"a{pk}-result", ""), "note": post.get(f"a{pk}-note", ""),
                 "likelihood": post.get(f"a{pk}-likelihood", ""), "impact": post.get(f"a{pk}-impact", "")}
            for pk in answer_ids}


@login_required
@require_http_methods(["GET", "POST"])
def self_check(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    check = (SelfCheck.objects.select_related("campaign", "unit", "submitted_by")
             .prefetch_related(Prefetch("answers__domain"))
             .get_visible_or_404(user, "view", pk=pk))
    errors: list[str] = []
    status = 200
    answers = list(check.answers.select_related("domain", "risk").order_by("order", "id"))
    posted: dict[int, dict[str, Any]] = {}
    if request.method == "POST":
        if not actions.can_fill(user, check):
            forbid(request, "仅本单位人员可以填报自查", obj=check)
        posted = _answers_from_post(request.POST, [a.pk for a in answers])
        submit = request.POST.get("action") == "submit"
        version = request.POST.get("version", "")
        try:
            actions.do_save_self_check(check, answers=posted, summary=request.POST.get("summary", ""), submit=submit,
                                       acting_user=user, expected_version=int(version) if version.isdigit() else None)
        except ValidationError as exc:
            errors = exc.messages
            status = 409 if isinstance(exc, actions.RiskConflict) else 400
        else:
            messages.success(request, "自查已提交，发现的风险已登记到风险隐患台账" if submit else "已暂存")
            return redirect("risks:self_check", pk=check.pk)
    for answer in answers:
        data = posted.get(answer.pk)
        answer.form = data or {"result": answer.result, "note": answer.note, "likelihood": answer.likelihood or "",
                               "impact": answer.impact or ""}
        answer.form = {k: str(v) if v is not None else "" for k, v in answer.form.items()}
    check.refresh_from_db(fields=["version"])
    editable = check.status != CheckStatus.SUBMITTED and actions.can_fill(user, check)
    return render(request, "risks/self_check.html", {
        "page_title": f"{check.campaign.title} · {check.unit.name}自查", "tab": "screening", "check": check,
        "answers": answers, "errors": errors, "editable": editable, "results": AnswerResult.choices,
        "scale": list(range(1, SCALE + 1)), "summary": request.POST.get("summary", check.summary),
    }, status=status)


# --- settings ---------------------------------------------------------------------------------------


def _matrix_rows(settings: RiskSettings | None = None) -> list[dict[str, Any]]:
    settings = settings or RiskSettings.current()
    labels = dict(RiskLevel.choices)
    return [{"likelihood": i + 1, "cells": [{"impact": j + 1, "level": lv, "label": labels[lv],
                                             "color": LEVEL_COLORS[lv]} for j, lv in enumerate(row)]}
            for i, row in enumerate(settings.matrix)]


@login_required
@require_http_methods(["GET", "POST"])
def risk_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not actions.is_coordinator(user):
        forbid(request, "仅牵头协调单位负责人、第一责任人或系统管理员可维护风险设置", object_type="risks.risksettings")
    errors: list[str] = []
    status = 200
    current = RiskSettings.current()
    domain_form, point_form = DomainForm(prefix="domain"), PointForm(prefix="point")
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "matrix":
                matrix = [[request.POST.get(f"m{i}_{j}", "") for j in range(1, SCALE + 1)] for i in range(1, SCALE + 1)]
                version = request.POST.get("version", "")
                actions.do_update_matrix(matrix, acting_user=user,
                                         expected_version=int(version) if version.isdigit() else None)
                messages.success(request, "风险等级矩阵已保存，未销号风险已按新矩阵重新定级")
                return redirect("risks:settings")
            if what == "domain":
                domain_form = DomainForm(request.POST, prefix="domain")
                if domain_form.is_valid():
                    d = domain_form.cleaned_data
                    domain = get_object_or_404(RiskDomain, pk=request.POST["domain_id"]) \
                        if request.POST.get("domain_id", "").isdigit() else None
                    actions.do_save_domain(domain, name=d["name"], sort_order=d["sort_order"], is_active=d["is_active"],
                                           acting_user=user)
                    messages.success(request, "风险领域已保存")
                    return redirect("risks:settings")
                status = 400
            if what == "point":
                point_form = PointForm(request.POST, prefix="point")
                domain = get_object_or_404(RiskDomain, pk=request.POST.get("point_domain") or 0)
                if point_form.is_valid():
                    d = point_form.cleaned_data
                    point = get_object_or_404(RiskPoint, pk=request.POST["point_id"]) \
                        if request.POST.get("point_id", "").isdigit() else None
                    actions.do_save_point(point, domain=domain, text=d["text"], sort_order=d["sort_order"],
                                          is_active=d["is_active"], acting_user=user)
                    messages.success(request, "排查清单已保存")
                    return redirect("risks:settings")
                status = 400
        except ValidationError as exc:
            errors, status = exc.messages, (409 if isinstance(exc, actions.RiskConflict) else 400)
    domains = list(RiskDomain.objects.prefetch_related("points").order_by("sort_order", "id"))
    return render(request, "risks/settings.html", {
        "page_title": "风险设置：等级矩阵与排查清单", "tab": "settings", "matrix": _matrix_rows(current),
        "settings_version": current.version, "levels": RiskLevel.choices, "errors": errors, "domains": domains,
        "domain_form": domain_form, "point_form": point_form, "scale": list(range(1, SCALE + 1)),
    }, status=status)


# --- 工作台 panel -----------------------------------------------------------------------------------


def home_panel_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    qs = open_risks(user).select_related("unit").only("id", "title", "level", "deadline", "is_flagged", "unit__name",
                                                      "status")
    rows = _present(qs[:HOME_PANEL_SIZE], timezone.localdate())
    return {"risks": rows}
