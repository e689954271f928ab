"""Plan pages: the list, a plan's structure, and the import (upload → preview → edit → confirm).

Rows are read through `visible_to` / `get_visible_or_404` (core.scoping): a plan or draft outside the
user's scope is a 404, like a missing one. Every write goes through plans.actions; the preview's
edits are saved with the draft's version (optimistic locking), so two people editing one draft
never silently overwrite each other. Only importers (plans.actions.PLAN_PERM) see the import pages.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, NoReturn

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.audit import forbid
from core.listing import paginate
from core.scoping import scope_unit_ids
from ledger.models import Duty, Task
from org.actions import log_forged_units
from org.models import Unit
from plans import actions
from plans.choices import AssignmentRole, Frequency, ImportStatus
from plans.forms import ImportForm, ItemTitleForm, MetaForm, ObligationForm, PlanFilterForm
from plans.models import Assignment, Item, Obligation, Plan, PlanImport, Section, Target
from yishi_text.cn_numbers import int_to_cn

CONFLICT = "该导入已被他人修改，请刷新页面查看最新内容后再操作"
FREQUENCY_LABELS = dict(Frequency.choices)


# --- reading (shared with plans.api) --------------------------------------------------------------------


def count_of(model: type, field: str, **extra: Any) -> Coalesce:
    """A correlated COUNT(*) of `model` rows whose `field` is the outer row: no join, no N+1."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")}, **extra)  # type: ignore[attr-defined]
        .order_by().values(field).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def plans_with_counts(user: Any) -> QuerySet[Plan]:
    return (
        Plan.objects.visible_to(user, "view")  # type: ignore[attr-defined]
        .select_related("unit", "imported_by")
        .annotate(
            item_count=count_of(Item, "plan"),
            obligation_count=count_of(Obligation, "plan"),
            flagged_count=count_of(Obligation, "plan", unresolved=True),
            task_count=count_of(Task, "plan"),
        )
    )


def plan_outline(plan: Plan) -> list[Section]:
    """Sections → items → obligations (with units and task counts) in a fixed number of queries.

    Sets `section.item_list`, `item.obligation_list`, `item.target_list`, `item.task_count`,
    `obligation.task_count`, `obligation.duty_count`, `obligation.leads` and `obligation.assists`.
    """
    sections = list(Section.objects.filter(plan=plan).order_by("number"))
    items = list(Item.objects.filter(plan=plan).annotate(task_count=count_of(Task, "item")).order_by("number"))
    obligations = list(
        Obligation.objects.filter(plan=plan)
        .annotate(task_count=count_of(Task, "obligation"), duty_count=count_of(Duty, "obligation", is_active=True))
        .prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("unit").order_by("unit__path"))
        )
        .order_by("item__number", "number")
    )
    targets = list(Target.objects.filter(item__plan=plan).order_by("item_id", "id"))
    by_section: dict[int, list[Item]] = {}
    by_item: dict[int, list[Obligation]] = {}
    targets_by_item: dict[int, list[Target]] = {}
    for obligation in obligations:
        rows = list(obligation.assignments.all())
        obligation.leads = [a.unit for a in rows if a.role == AssignmentRole.LEAD]  # type: ignore[attr-defined]
        obligation.assists = [a.unit for a in rows if a.role == AssignmentRole.ASSIST]  # type: ignore[attr-defined]
        by_item.setdefault(obligation.item_id, []).append(obligation)
    for target in targets:
        targets_by_item.setdefault(target.item_id, []).append(target)
    for item in items:
        item.obligation_list = by_item.get(item.pk, [])  # type: ignore[attr-defined]
        item.target_list = targets_by_item.get(item.pk, [])  # type: ignore[attr-defined]
        by_section.setdefault(item.section_id, []).append(item)
    for section in sections:
        section.item_list = by_section.get(section.pk, [])  # type: ignore[attr-defined]
        section.label = f"{int_to_cn(section.number)}、{section.title}"  # type: ignore[attr-defined]
    return sections


# --- helpers --------------------------------------------------------------------------------------------


def _forbid(request: HttpRequest, message: str = actions.IMPORT_DENIED, obj: Any = None) -> NoReturn:
    """Refuse; an attempted write (POST) is also written to the audit log."""
    forbid(request, message, obj=obj, object_type="" if obj else "plans.planimport")


def _require_importer(request: HttpRequest, obj: Any = None) -> None:
    if not actions.can_import(request.user):
        _forbid(request, obj=obj)


def _draft_or_404(request: HttpRequest, pk: int) -> PlanImport:
    draft = PlanImport.objects.select_related("unit", "base_plan", "created_by").get_visible_or_404(  # type: ignore[attr-defined]
        request.user, "change", pk=pk
    )
    _require_importer(request, draft)
    return draft


def _posted_version(request: HttpRequest) -> int | None:
    # `version` comes from the page's one #draft-version input (hx-include, kept current by every
    # response); `form_version` is the form's own copy, for a form submitted without htmx.
    raw = request.POST.get("version") or request.POST.get("form_version") or ""
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _year(data: dict[str, Any]) -> int | None:
    year = data.get("year")
    return year if isinstance(year, int) and not isinstance(year, bool) and 2000 <= year <= 2100 else None


def _find_item(data: dict[str, Any], number: int) -> dict[str, Any]:
    for section in data.get("sections", []):
        for item in section.get("items", []):
            if item.get("number") == number:
                return item
    raise Http404("条目不存在")


def _unit_map(data: dict[str, Any]) -> dict[int, Unit]:
    ids = {
        a.get("unit")
        for section in data.get("sections", [])
        for item in section.get("items", [])
        for ob in item.get("obligations", [])
        for a in ob.get("assignments", [])
    }
    return Unit.objects.in_bulk([i for i in ids if isinstance(i, int) and 0 < i < 2**63])


def _present_item(item: dict[str, Any], units: dict[int, Unit], year: int | None) -> dict[str, Any]:
    start = actions.generation_start(year) if year else None
    obligations = []
    for idx, ob in enumerate(item.get("obligations", []), start=1):
        leads, assists, missing = [], [], []
        for a in ob.get("assignments", []):
            unit = units.get(a.get("unit"))
            if unit is None:
                missing.append(a.get("unit"))
            elif a.get("role") == AssignmentRole.ASSIST:
                assists.append(unit)
            else:
                leads.append(unit)
        obligations.append({
            "idx": idx, "ob": ob, "frequency_label": FREQUENCY_LABELS.get(ob.get("frequency"), "（无效频次）"),
            "leads": leads, "assists": assists, "missing": missing,
            "estimate": actions.estimate_obligation(ob, year, start),
        })
    return {"number": item.get("number"), "title": item.get("title", ""), "text": item.get("text", ""),
            "targets": item.get("targets", []), "obligations": obligations}


def _summary_context(request: HttpRequest, draft: PlanImport) -> dict[str, Any]:
    data = draft.data
    diff = None
    if draft.base_plan_id and _year(data):
        diff = actions.diff_plan(draft.base_plan, data)
    year = _year(data)
    return {
        "summary": actions.summarize_draft(data, scope_unit_ids(request.user, "change")),
        "diff": diff,
        "start": actions.generation_start(year) if year else None,
    }


def _preview_context(request: HttpRequest, draft: PlanImport, **extra: Any) -> dict[str, Any]:
    data = draft.data
    units = _unit_map(data)
    year = _year(data)
    sections = [
        {"number": s.get("number"), "label": f"{int_to_cn(s.get('number') or 0)}、{s.get('title') or '（未命名部分）'}",
         "intro": s.get("intro", ""), "items": [_present_item(i, units, year) for i in s.get("items", [])]}
        for s in data.get("sections", [])
    ]
    meta_form = extra.pop("meta_form", None) or MetaForm(initial={
        "title": data.get("title", ""), "organization": data.get("organization") or "", "year": data.get("year"),
    })
    return {
        "page_title": "修订预览" if draft.base_plan_id else "导入预览",
        "draft": draft, "data": data, "sections": sections, "meta_form": meta_form,
        **_summary_context(request, draft), **extra,
    }


def _item_view(request: HttpRequest, draft: PlanImport, number: int, *, saved: bool = False,
               **state: Any) -> HttpResponse:
    """The item's card (htmx: just the card, plus the page-wide bits after a save; else a page)."""
    data = draft.data
    item = _present_item(_find_item(data, number), _unit_map(data), _year(data))
    context = {"draft": draft, "item": item, "oob": saved, **state}
    if saved:
        context.update(_summary_context(request, draft))
    if "form" in state:
        context["form_units"] = _unit_rows(state["form"])
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "plans/_item_response.html", context)
    context["page_title"] = f"编辑第 {number} 项"
    return render(request, "plans/item_page.html", context)


def _unit_rows(form: ObligationForm) -> list[dict[str, Any]]:
    """The unit table of the obligation form: each unit with its lead/assist boxes' state."""
    lead = {str(v) for v in (form["lead"].value() or [])}
    assist = {str(v) for v in (form["assist"].value() or [])}
    return [{"unit": u, "lead": str(u.pk) in lead, "assist": str(u.pk) in assist} for u in form.units]


def _refuse_edit(request: HttpRequest, draft: PlanImport, message: str) -> HttpResponse:
    """A stale version, or a draft confirmed or cancelled meanwhile: say so, change nothing."""
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "plans/_alert.html", {"message": message, "draft": draft, "reload": True},
                          status=409)
        response["HX-Retarget"] = "#draft-alerts"
        response["HX-Reswap"] = "innerHTML"
        return response
    messages.error(request, message)
    return redirect("plans:import_preview", pk=draft.pk)


def _save(request: HttpRequest, draft: PlanImport, number: int,
          change: Callable[[dict[str, Any]], None]) -> HttpResponse:
    """Apply `change` to a copy of the draft's data and save it under the posted version."""
    version = _posted_version(request)
    if version is None or version != draft.version:
        return _refuse_edit(request, draft, CONFLICT)
    data = copy.deepcopy(draft.data)
    change(data)
    try:
        draft = actions.update_draft(draft, data, acting_user=request.user, expected_version=version)
    except ValidationError as exc:
        message = CONFLICT if getattr(exc, "code", None) == "conflict" else "；".join(exc.messages)
        return _refuse_edit(request, draft, message)
    draft = PlanImport.objects.select_related("unit", "base_plan", "created_by").get(pk=draft.pk)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, f"已保存第 {number} 项的修改")
        return redirect(reverse("plans:import_preview", args=[draft.pk]) + f"#item-{number}")
    return _item_view(request, draft, number, saved=True)


def _result_message(result: actions.ImportResult, revision: bool) -> str:
    plan = result.plan
    if revision:
        text = (f"已更新《{plan.title}》（第 {plan.revision} 版）：新生成任务 {result.tasks_created} 项，"
                f"更新未开始的任务 {result.tasks_updated} 项，删除未开始的任务 {result.tasks_deleted} 项")
        if result.tasks_kept:
            text += f"，已开始的 {result.tasks_kept} 项任务保留"
    else:
        text = f"已导入《{plan.title}》：生成任务 {result.tasks_created} 项"
    if result.duties:
        text += f"，值守事项 {result.duties} 项"
    if result.flagged:
        text += f"；{result.flagged} 个工作事项的责任单位待确认（已标红），请核对"
    return text + "。"


# --- the list and a plan --------------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    years = sorted(set(Plan.objects.visible_to(user, "view").values_list("year", flat=True)), reverse=True)  # type: ignore[attr-defined]
    form = PlanFilterForm(request.GET or None, years=years)
    plans = plans_with_counts(user)
    if form.is_valid() and form.cleaned_data.get("year"):
        plans = plans.filter(year=form.cleaned_data["year"])
    can_import = actions.can_import(user)
    drafts = []
    if can_import:
        drafts = list(
            PlanImport.objects.visible_to(user, "change")  # type: ignore[attr-defined]
            .filter(status=ImportStatus.OPEN).select_related("created_by", "base_plan", "unit")[:20]
        )
    context = {"page_title": "工作要点", "form": form, "can_import": can_import, "drafts": drafts,
               **paginate(request, plans)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "plans/_plan_table.html", context)
    return render(request, "plans/plan_list.html", context)


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = plans_with_counts(user).get_visible_or_404(user, "view", pk=pk)
    can_revise = actions.can_import(user) and bool(Plan.objects.visible_to(user, "change").filter(pk=plan.pk).exists())  # type: ignore[attr-defined]
    revisions = []
    if can_revise:
        revisions = list(PlanImport.objects.filter(base_plan=plan, status=ImportStatus.OPEN).select_related("created_by"))
    context = {
        "page_title": plan.title, "plan": plan, "sections": plan_outline(plan), "can_revise": can_revise,
        "revisions": revisions,
        "duty_count": Duty.objects.filter(plan=plan, is_active=True).count(),
    }
    return render(request, "plans/plan_detail.html", context)


# --- import ---------------------------------------------------------------------------------------------


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_importer(request)
    initial: dict[str, Any] = {}
    base_id = request.GET.get("base", "")
    if base_id.isdigit() and len(base_id) < 19:
        base = Plan.objects.visible_to(user, "change").filter(pk=int(base_id)).first()  # type: ignore[attr-defined]
        if base is not None:
            initial.update(base_plan=base.pk, unit=base.unit_id)
    form = ImportForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            uploaded = data.get("file")
            try:
                draft = actions.start_import(
                    acting_user=user, unit=data["unit"],
                    data=uploaded.read() if uploaded else None, filename=uploaded.name if uploaded else "",
                    text=data.get("text") or "", base_plan=data.get("base_plan"),
                )
            except ValidationError as exc:
                form.add_error("file" if uploaded else "text", exc.messages)
            else:
                messages.success(request, "已读取工作要点，请核对解析结果和责任单位后确认导入")
                return redirect("plans:import_preview", pk=draft.pk)
        raw_unit = request.POST.get("unit", "")
        if "unit" in form.errors and raw_unit.isdigit() and Unit.objects.filter(pk=int(raw_unit[:18])).exists():
            log_forged_units(user, {"unit": raw_unit}, path=request.path, object_type="plans.planimport")
    base = form["base_plan"].value()
    title = "上传修订版" if base else "导入工作要点"
    return render(request, "plans/import.html", {"page_title": title, "form": form})


@login_required
@require_GET
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft_or_404(request, pk)
    if draft.status == ImportStatus.CONFIRMED and draft.plan_id:
        messages.info(request, "该导入已经确认")
        return redirect("plans:plan_detail", pk=draft.plan_id)
    if draft.status != ImportStatus.OPEN:
        messages.info(request, "该导入已取消")
        return redirect("plans:plan_list")
    return render(request, "plans/preview.html", _preview_context(request, draft))


@login_required
@require_POST
def draft_meta(request: HttpRequest, pk: int) -> HttpResponse:
    """Title, organization and year (the year changes every estimate, so the page reloads)."""
    draft = _draft_or_404(request, pk)
    form = MetaForm(request.POST)
    if not form.is_valid():
        return render(request, "plans/preview.html", _preview_context(request, draft, meta_form=form))
    version = _posted_version(request)
    if version is None or version != draft.version:
        return _refuse_edit(request, draft, CONFLICT)
    data = copy.deepcopy(draft.data)
    data.update(title=form.cleaned_data["title"].strip(),
                organization=form.cleaned_data["organization"].strip() or None, year=form.cleaned_data["year"])
    try:
        actions.update_draft(draft, data, acting_user=request.user, expected_version=version)
    except ValidationError as exc:
        return _refuse_edit(request, draft, CONFLICT if getattr(exc, "code", None) == "conflict"
                            else "；".join(exc.messages))
    messages.success(request, "已保存基本信息")
    url = reverse("plans:import_preview", args=[draft.pk])
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


@login_required
@require_GET
def draft_item(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _item_view(request, _draft_or_404(request, pk), number)


@login_required
def draft_item_title(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    draft = _draft_or_404(request, pk)
    item = _find_item(draft.data, number)
    if request.method != "POST":
        return _item_view(request, draft, number, title_form=ItemTitleForm(initial={"title": item.get("title", "")}))
    form = ItemTitleForm(request.POST)
    if not form.is_valid():
        return _item_view(request, draft, number, title_form=form)

    def change(data: dict[str, Any]) -> None:
        _find_item(data, number)["title"] = form.cleaned_data["title"].strip()

    return _save(request, draft, number, change)


def _obligations(item: dict[str, Any], idx: int) -> list[dict[str, Any]]:
    obligations = item.get("obligations", [])
    if not 1 <= idx <= len(obligations):
        raise Http404("工作事项不存在")
    return obligations


@login_required
def draft_obligation_edit(request: HttpRequest, pk: int, number: int, idx: int) -> HttpResponse:
    draft = _draft_or_404(request, pk)
    current = _obligations(_find_item(draft.data, number), idx)[idx - 1]
    if request.method != "POST":
        form = ObligationForm(initial=ObligationForm.initial_for(current), user=request.user)
        return _item_view(request, draft, number, form=form, editing=idx)
    form = ObligationForm(request.POST, user=request.user)
    if not form.is_valid():
        _log_refused_units(request, draft, form)
        return _item_view(request, draft, number, form=form, editing=idx)

    def change(data: dict[str, Any]) -> None:
        obligations = _obligations(_find_item(data, number), idx)
        obligations[idx - 1] = form.to_obligation(obligations[idx - 1])

    return _save(request, draft, number, change)


@login_required
def draft_obligation_add(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    draft = _draft_or_404(request, pk)
    _find_item(draft.data, number)
    if request.method != "POST":
        form = ObligationForm(initial={"frequency": Frequency.MONTHLY, "times": 1}, user=request.user, new=True)
        return _item_view(request, draft, number, form=form, adding=True)
    form = ObligationForm(request.POST, user=request.user, new=True)
    if not form.is_valid():
        _log_refused_units(request, draft, form)
        return _item_view(request, draft, number, form=form, adding=True)

    def change(data: dict[str, Any]) -> None:
        _find_item(data, number).setdefault("obligations", []).append(form.to_obligation())

    return _save(request, draft, number, change)


@login_required
@require_POST
def draft_obligation_delete(request: HttpRequest, pk: int, number: int, idx: int) -> HttpResponse:
    draft = _draft_or_404(request, pk)
    _obligations(_find_item(draft.data, number), idx)

    def change(data: dict[str, Any]) -> None:
        del _obligations(_find_item(data, number), idx)[idx - 1]

    return _save(request, draft, number, change)


def _log_refused_units(request: HttpRequest, draft: PlanImport, form: ObligationForm) -> None:
    refused = form.refused_unit_ids()
    if refused:
        log_forged_units(request.user, refused, path=request.path, object_type="plans.planimport",
                         object_id=draft.pk)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft_or_404(request, pk)
    version = _posted_version(request)
    try:
        result = actions.confirm_import(draft, acting_user=request.user,
                                        expected_version=version if version is not None else -1)
    except ValidationError as exc:
        draft = PlanImport.objects.select_related("unit", "base_plan", "created_by").get(pk=draft.pk)
        if draft.status != ImportStatus.OPEN:
            messages.error(request, "该导入已确认或取消")
            return redirect("plans:plan_detail", pk=draft.plan_id) if draft.plan_id else redirect("plans:plan_list")
        conflict = getattr(exc, "code", None) == "conflict"
        errors = [CONFLICT + "（下方已是最新内容）"] if conflict else exc.messages
        return render(request, "plans/preview.html", _preview_context(request, draft, confirm_errors=errors))
    messages.success(request, _result_message(result, bool(draft.base_plan_id)))
    return redirect("plans:plan_detail", pk=result.plan.pk)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft_or_404(request, pk)
    if draft.status != ImportStatus.OPEN:
        messages.info(request, "该导入已确认或取消")
        return redirect("plans:plan_list")
    actions.cancel_import(draft, acting_user=request.user)
    messages.success(request, f"已取消导入“{draft.source_name}”，没有写入任何数据")
    if draft.base_plan_id:
        return redirect("plans:plan_detail", pk=draft.base_plan_id)
    return redirect("plans:plan_list")
