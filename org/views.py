"""Org pages: the unit tree, units, people, roles, aliases and the org-chart import.

Every row is read through `visible_to` / `get_visible_or_404` (core.scoping): a unit or person
outside the user's scope is a 404, exactly like a missing one. Every write goes through
org.actions. Permission refusals on POST are logged (DENIED); a GET is just refused.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from core.audit import forbid
from core.forms import add_action_errors
from core.listing import cached_fragments, paginate
from core.roles import Role
from core.scoping import access_for, scope_unit_ids
from org.actions import (
    can_add_people,
    can_change_person_in,
    can_manage_org,
    do_assign_role,
    do_create_alias,
    do_create_person,
    do_create_unit,
    do_deactivate_unit,
    do_delete_alias,
    do_import_org_chart,
    do_remove_role,
    do_update_person,
    do_update_unit,
    log_forged_units,
)
from org.forms import (
    AliasForm,
    ImportForm,
    PeopleFilterForm,
    PersonForm,
    RoleAssignmentForm,
    UnitFilterForm,
    UnitForm,
    aliases_for,
    filter_people,
    forged_unit_ids,
    people_for,
)
from org.importers import COLUMN_HELP, COLUMNS, ImportRejected, build_template
from org.models import Person, RoleAssignment, Unit, UnitAlias

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ----------------------------------------------------------------------------------------


def _require_manage(request: HttpRequest, obj: Any = None) -> None:
    if not can_manage_org(request.user):
        forbid(request, "仅系统管理员可管理组织机构", obj=obj)


def _log_forged(request: HttpRequest, form: forms.BaseForm, *fields: str) -> None:
    log_forged_units(
        request.user, forged_unit_ids(form, *fields), path=request.path,
        object_type=form._meta.model._meta.label_lower,  # type: ignore[attr-defined]
        object_id=getattr(form.instance, "pk", "") or "",  # type: ignore[attr-defined]
    )


def _tree_order(units: list[Unit]) -> list[Unit]:
    """Units in tree order (siblings by sort order, then creation), each with `level` from the visible roots."""
    ids = {u.pk for u in units}
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in units:
        # A unit whose parent is out of view is shown as a root of what the user sees.
        children[unit.parent_id if unit.parent_id in ids else None].append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda u: (u.sort_order, u.pk), reverse=True)  # reversed: popped from a stack
    ordered: list[Unit] = []
    stack: list[tuple[Unit, int]] = [(u, 0) for u in children[None]]
    while stack:
        unit, level = stack.pop()
        unit.level = level  # type: ignore[attr-defined]
        ordered.append(unit)
        stack.extend((child, level + 1) for child in children.get(unit.pk, []))
    return ordered


# --- units ------------------------------------------------------------------------------------------


@login_required
@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    form = UnitFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = Unit.objects.visible_to(request.user, "view").annotate(
        people_count=Count("people", filter=Q(people__is_active=True), distinct=True),
    )
    if not data.get("inactive"):
        qs = qs.filter(is_active=True)
    units = list(qs)
    names = {u.pk: u.name for u in units}
    for unit in units:
        # Ancestors' names the user may see, for the flat (filtered) view.
        unit.trail = " / ".join(names[i] for i in unit.ancestors_ids()[:-1] if i in names)  # type: ignore[attr-defined]
    q, kind = data.get("q", "").strip(), data.get("kind", "")
    filtered = bool(q or kind)
    if filtered:
        needle = q.casefold()
        units = [u for u in units if (not kind or u.kind == kind)
                 and (not q or any(needle in (v or "").casefold() for v in (u.name, u.short_name, u.code)))]
        units.sort(key=lambda u: (u.depth, u.sort_order, u.pk))
        for unit in units:
            unit.level = 0  # type: ignore[attr-defined]
    else:
        units = _tree_order(units)
    context = {
        "page_title": "组织机构",
        "tab": "units",
        "form": form,
        "filtered": filtered,
        "can_manage": can_manage_org(request.user),
        **paginate(request, units, per_page=100),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "org/_unit_tree.html", context)
    return render(request, "org/unit_list.html", context)


@login_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = Unit.objects.get_visible_or_404(request.user, "view", pk=pk)
    people = people_for(request.user).filter(unit=unit)
    children = (
        unit.children.visible_to(request.user, "view")
        .annotate(people_count=Count("people", filter=Q(people__is_active=True)))
        .order_by("sort_order", "pk")
    )
    holders = RoleAssignment.objects.filter(unit=unit).select_related("person__unit").order_by("role", "person__name")
    aliases = UnitAlias.objects.filter(Q(unit=unit) | Q(unit_kind=unit.kind))
    context = {
        "page_title": unit.name,
        "tab": "units",
        "unit": unit,
        "ancestors": Unit.objects.visible_to(request.user, "view").filter(pk__in=unit.ancestors_ids()[:-1]),
        "children": children,
        "holders": holders,
        "aliases": aliases,
        "can_manage": can_manage_org(request.user),
        "can_add_person": can_change_person_in(request.user, unit.pk),
        **paginate(request, people),
    }
    return render(request, "org/unit_detail.html", context)


_UNIT_FIELDS = ("name", "short_name", "code", "kind", "parent", "sort_order", "is_coordinator")


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    initial = {}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit():
        initial["parent"] = parent_id
    form = UnitForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                unit = do_create_unit(acting_user=request.user, **{f: form.cleaned_data[f] for f in _UNIT_FIELDS})
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已新增单位“{unit.name}”")
                return redirect("org:unit_detail", pk=unit.pk)
        _log_forged(request, form, "parent")
    return render(request, "org/form.html", {
        "page_title": "新增单位", "tab": "units", "form": form, "cancel_url": reverse("org:unit_list"),
    })


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = Unit.objects.get_visible_or_404(request.user, "view", pk=pk)
    _require_manage(request, unit)
    form = UnitForm(request.POST or None, instance=unit, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                do_update_unit(unit, acting_user=request.user, **{f: form.cleaned_data[f] for f in _UNIT_FIELDS})
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已保存单位“{unit.name}”")
                return redirect("org:unit_detail", pk=unit.pk)
        _log_forged(request, form, "parent")
    return render(request, "org/form.html", {
        "page_title": f"编辑单位：{unit.name}", "tab": "units", "form": form,
        "cancel_url": reverse("org:unit_detail", args=[unit.pk]),
    })


@login_required
@require_POST
def unit_toggle_active(request: HttpRequest, pk: int) -> HttpResponse:
    unit = Unit.objects.get_visible_or_404(request.user, "view", pk=pk)
    _require_manage(request, unit)
    try:
        if unit.is_active:
            do_deactivate_unit(unit, acting_user=request.user)
            messages.success(request, f"已停用单位“{unit.name}”")
        else:
            do_update_unit(unit, acting_user=request.user, is_active=True)
            messages.success(request, f"已重新启用单位“{unit.name}”")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("org:unit_detail", pk=unit.pk)


# --- people -----------------------------------------------------------------------------------------


@login_required
@require_GET
def person_list(request: HttpRequest) -> HttpResponse:
    def build() -> dict[str, Any]:
        form = PeopleFilterForm(request.GET or None, user=request.user)
        if form.is_bound:
            form.is_valid()  # a bad filter (say, a unit out of scope) is dropped and shown as an error
        data = getattr(form, "cleaned_data", {})
        active = data.get("active") or "1"
        qs = filter_people(people_for(request.user), q=data.get("q", ""), unit=data.get("unit"),
                           role=data.get("role", ""), active=None if active == "all" else active == "1")
        return {"form": form, **paginate(request, qs)}

    parts = cached_fragments(request, "org.people", {"filters": "org/_people_filters.html",
                                                     "results": "org/_people_table.html"}, build)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(parts["results"])
    context = {"page_title": "人员", "tab": "people", "can_add": can_add_people(request.user), **parts}
    return render(request, "org/person_list.html", context)


def _person_context(request: HttpRequest, person: Person, **extra: Any) -> dict[str, Any]:
    can_manage = can_manage_org(request.user)
    return {
        "page_title": person.name,
        "tab": "people",
        "person": person,
        "roles": person.roles.select_related("unit").order_by("unit__path", "role"),
        "can_manage": can_manage,
        "can_edit": can_change_person_in(request.user, person.unit_id),
        "role_form": extra.pop("role_form", None) or (RoleAssignmentForm(user=request.user) if can_manage else None),
        **extra,
    }


@login_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = Person.objects.select_related("unit", "user").get_visible_or_404(request.user, "view", pk=pk)
    return render(request, "org/person_detail.html", _person_context(request, person))


_PERSON_FIELDS = ("name", "unit", "title", "phone", "email", "employee_no", "sort_order")


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_add_people(user):
        forbid(request, "无权新增人员")
    initial = {}
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        initial["unit"] = unit_id
    form = PersonForm(request.POST or None, initial=initial, user=user, can_open_account=can_manage_org(user))
    if request.method == "POST":
        if form.is_valid():
            try:
                person, password = do_create_person(
                    acting_user=user,
                    username=form.cleaned_data.get("username", ""),
                    **{f: form.cleaned_data[f] for f in _PERSON_FIELDS},
                )
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                if password:
                    # The temporary password is shown on this response only and never stored.
                    return render(request, "org/person_detail.html", _person_context(
                        request, person, temporary_password=password, page_title=f"已新增：{person.name}"
                    ))
                messages.success(request, f"已新增人员“{person.name}”")
                return redirect("org:person_detail", pk=person.pk)
        _log_forged(request, form, "unit")
    return render(request, "org/form.html", {
        "page_title": "新增人员", "tab": "people", "form": form, "cancel_url": reverse("org:person_list"),
    })


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = Person.objects.select_related("unit", "user").get_visible_or_404(request.user, "view", pk=pk)
    if not can_change_person_in(request.user, person.unit_id):
        forbid(request, "无权修改该人员", obj=person)
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                do_update_person(person, acting_user=request.user,
                                 **{f: form.cleaned_data[f] for f in (*_PERSON_FIELDS, "is_active")})
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已保存“{person.name}”")
                return redirect("org:person_detail", pk=person.pk)
        _log_forged(request, form, "unit")
    return render(request, "org/form.html", {
        "page_title": f"编辑人员：{person.name}", "tab": "people", "form": form,
        "cancel_url": reverse("org:person_detail", args=[person.pk]),
    })


# --- roles (htmx in place on the person page) ---------------------------------------------------------


def _roles_response(request: HttpRequest, person: Person, **extra: Any) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "org/_person_roles.html", _person_context(request, person, **extra))
    if extra.get("role_form") is not None and extra["role_form"].errors:
        for errors in extra["role_form"].errors.values():
            messages.error(request, "；".join(errors))
    return redirect("org:person_detail", pk=person.pk)


@login_required
@require_POST
def role_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = Person.objects.select_related("unit").get_visible_or_404(request.user, "view", pk=pk)
    _require_manage(request, person)
    form = RoleAssignmentForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            assignment = do_assign_role(person, form.cleaned_data["role"], form.cleaned_data["unit"],
                                        note=form.cleaned_data["note"], acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"已任命：{assignment}")
            return _roles_response(request, person)
    _log_forged(request, form, "unit")
    return _roles_response(request, person, role_form=form)


@login_required
@require_POST
def role_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = RoleAssignment.objects.select_related("person", "unit").get_visible_or_404(request.user, "view", pk=pk)
    person = assignment.person
    _require_manage(request, assignment)
    try:
        do_remove_role(assignment, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已免去：{assignment}")
    return _roles_response(request, person)


# --- aliases ----------------------------------------------------------------------------------------


@login_required
def alias_list(request: HttpRequest) -> HttpResponse:
    can_manage = can_manage_org(request.user)
    form = AliasForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            forbid(request, "仅系统管理员可管理单位别名")
        if form.is_valid():
            try:
                alias = do_create_alias(acting_user=request.user, name=form.cleaned_data["name"],
                                        unit=form.cleaned_data.get("unit"),
                                        unit_kind=form.cleaned_data.get("unit_kind") or "")
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已新增别名“{alias.name}”")
                return redirect("org:alias_list")
    q = request.GET.get("q", "").strip()[:50]
    return render(request, "org/alias_list.html", {
        "page_title": "单位别名", "tab": "aliases", "form": form, "q": q, "can_manage": can_manage,
        **paginate(request, aliases_for(request.user, q)),
    })


@login_required
@require_POST
def alias_delete(request: HttpRequest, pk: int) -> HttpResponse:
    alias = UnitAlias.objects.filter(pk=pk).first()
    if alias is None or (alias.unit_id and not Unit.objects.visible_to(request.user).filter(pk=alias.unit_id).exists()):
        raise Http404("记录不存在或无权访问")
    _require_manage(request, alias)
    do_delete_alias(alias, acting_user=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")  # the row swaps itself out
    messages.success(request, f"已删除别名“{alias.name}”")
    return redirect("org:alias_list")


# --- import -----------------------------------------------------------------------------------------


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "page_title": "导入组织机构", "tab": "import", "form": form, "columns": COLUMNS, "column_help": COLUMN_HELP,
    }
    if request.method == "POST" and form.is_valid():
        try:
            context["summary"] = do_import_org_chart(form.cleaned_data["file"], acting_user=request.user)
        except ImportRejected as rejected:
            context["errors"] = rejected.errors
            context["file_name"] = form.cleaned_data["file"].name
        else:
            context["form"] = ImportForm()
    return render(request, "org/import.html", context)


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(build_template(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "组织机构导入模板.xlsx")
    return response


# --- 工作台 panel -----------------------------------------------------------------------------------


def home_panel_context(request: HttpRequest) -> dict[str, Any]:
    """“我的单位” on the 工作台: the unit, its head, how many people, and the user's own roles."""
    access = access_for(request.user)
    if not access.own_unit_id:
        return {"unit": None}
    unit = (Unit.objects.filter(pk=access.own_unit_id)
            .annotate(active_people=Count("people", filter=Q(people__is_active=True))).first())
    heads = (
        Person.objects.filter(roles__unit=unit, roles__role=Role.UNIT_HEAD, is_active=True).distinct().order_by("name")
    )
    roles = RoleAssignment.objects.filter(person_id=access.person_id).select_related("unit").order_by("unit__path")
    return {
        "unit": unit,
        "heads": list(heads),
        "people_count": unit.active_people if unit else 0,
        "roles": list(roles),
        "subtree_count": len(scope_unit_ids(request.user, "view") or ()) if not access.is_admin else None,
    }
