"""Org endpoints of the API: units, people, roles, aliases and the org-chart import.

Rows are read through the same `visible_to` as the UI: an id outside the caller's scope is a 404,
like a missing one. Writes go through org.actions. Statuses:

- 404 — the row, or a unit named in the body (`unit_id`, `parent_id`), is missing or out of scope;
  a unit id that exists but is out of scope is also logged as DENIED;
- 403 — the row is visible but the caller may not change it (logged as DENIED);
- 409 — well-formed input the current data refuses (a duplicate name, code, 工号 or account; a move
  under the unit's own subtree; the last administrator);
- 422 — input that does not match the schema; 400 — a body that is not JSON, or an org-chart file
  that cannot be imported.

Every input string excludes control characters in its schema, so the spec promises exactly what
the server accepts (PostgreSQL, for one, cannot store NUL).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, File, Path, Query, Router, Schema, Status, UploadedFile
from pydantic import BeforeValidator, ConfigDict, StrictBool, model_validator

from core.roles import Role
from org.actions import (
    can_add_people,
    can_change_person_in,
    can_manage_org,
    deny,
    do_assign_role,
    do_create_person,
    do_create_unit,
    do_import_org_chart,
    do_remove_role,
    do_update_person,
    do_update_unit,
    log_forged_units,
)
from org.choices import UnitKind
from org.forms import aliases_for, filter_people, people_for
from org.importers import ImportRejected
from org.models import Person, RoleAssignment, Unit, UnitAlias

router = Router()

MAX_ID = 2**63 - 1  # bigint primary keys
INT32 = 2**31 - 1  # IntegerField columns are 32-bit on PostgreSQL
# No control characters (C0, DEL, C1); names need one character that is not blank. Blanks are
# listed, not written \s, since regex engines disagree on what \s covers (U+0085, for one).
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_BLANK = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
TEXT = f"^[^{_CONTROL}]*$"
NAME = f"^[^{_CONTROL}]*[^{_CONTROL}{_BLANK}][^{_CONTROL}]*$"
USERNAME = r"^[A-Za-z0-9_.@+-]+$"
# The ASCII subset of what django.core.validators.validate_email accepts, or nothing.
EMAIL = (
    r"^$|^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$"
)

Kind = Literal[tuple(UnitKind.values)]  # type: ignore[valid-type]
RoleCode = Literal[tuple(Role.values)]  # type: ignore[valid-type]


def _not_bool(value: Any) -> Any:
    # Lax integers take true/false; the spec says integer, and JSON's booleans are not integers.
    if isinstance(value, bool):
        raise ValueError("须为整数")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_not_bool)]
Int32 = Annotated[int, Field(ge=-INT32, le=INT32), BeforeValidator(_not_bool)]


def _name(max_length: int) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length, pattern=NAME)]


def _text(max_length: int) -> Any:
    return Annotated[str, Field(max_length=max_length, pattern=TEXT)]


class QuerySchema(Schema):
    # Python's regex engine, as the generators of clients and tests read patterns the same way.
    model_config = ConfigDict(regex_engine="python-re")


class BodySchema(QuerySchema):
    """A JSON body. Its booleans are StrictBool: lax parsing would take 0 or "no", which the spec
    does not allow (integers stay lax, since JSON calls 5.0 an integer too)."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: Any, info: Any) -> Any:
        # Replaces ninja's root validator for bodies: with `from_attributes` on, a JSON array
        # would otherwise pass as an object that sent no fields.
        if not isinstance(values, dict):
            raise ValueError("请求体须为 JSON 对象")
        return handler(values)


# --- output -----------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str | dict[str, Any] | list[Any] = Field(..., description="错误说明；字段错误时为 {字段: [说明]}")


class RowErrorOut(Schema):
    row: int = Field(..., description="表格中的行号；0 表示整个文件")
    column: str
    message: str


class ImportErrorOut(Schema):
    detail: str
    errors: list[RowErrorOut]


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    code: str | None
    kind: Kind
    kind_label: str
    parent_id: int | None
    depth: int
    sort_order: int
    is_active: bool
    is_coordinator: bool
    people_count: int

    @staticmethod
    def resolve_kind_label(obj: Unit) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_people_count(obj: Unit) -> int:
        return getattr(obj, "people_count", 0)


class RoleOut(Schema):
    id: int
    person_id: int
    person_name: str
    role: RoleCode
    role_label: str
    unit_id: int
    unit_name: str
    note: str

    @staticmethod
    def resolve_person_name(obj: RoleAssignment) -> str:
        return obj.person.name

    @staticmethod
    def resolve_role_label(obj: RoleAssignment) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_unit_name(obj: RoleAssignment) -> str:
        return obj.unit.name


class PersonOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str
    title: str
    phone: str
    email: str
    employee_no: str | None
    sort_order: int
    is_active: bool
    username: str | None
    roles: list[RoleOut]

    @staticmethod
    def resolve_unit_name(obj: Person) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_username(obj: Person) -> str | None:
        return obj.user.username if obj.user_id else None

    @staticmethod
    def resolve_roles(obj: Person) -> list[RoleAssignment]:
        return list(obj.roles.all())


class PersonCreatedOut(PersonOut):
    temporary_password: str | None = Field(None, description="新开设账号的临时密码，只返回这一次")


class AliasOut(Schema):
    id: int
    name: str
    unit_id: int | None
    unit_name: str | None
    unit_kind: str

    @staticmethod
    def resolve_unit_name(obj: UnitAlias) -> str | None:
        return obj.unit.name if obj.unit_id else None


class UnitPage(Schema):
    items: list[UnitOut]
    count: int
    limit: int
    offset: int


class PersonPage(Schema):
    items: list[PersonOut]
    count: int
    limit: int
    offset: int


class RolePage(Schema):
    items: list[RoleOut]
    count: int
    limit: int
    offset: int


class AliasPage(Schema):
    items: list[AliasOut]
    count: int
    limit: int
    offset: int


class NewAccountOut(Schema):
    username: str
    name: str
    unit: str
    temporary_password: str


class ImportOut(Schema):
    rows: int
    units_created: int
    units_updated: int
    people_created: int
    people_updated: int
    roles_added: int
    accounts: list[NewAccountOut] = Field(..., description="新开设的账号及临时密码，只返回这一次")


# --- input ------------------------------------------------------------------------------------------


class PageQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200, description="每页条数")
    offset: int = Field(0, ge=0, le=INT32, description="跳过的条数")


class UnitQuery(PageQuery):
    q: _text(100) = Field("", description="名称、简称或编码包含")  # type: ignore[valid-type]
    kind: Kind | None = None
    parent_id: Id | None = Field(None, description="只列出该单位的直接下级")
    active: bool | None = Field(True, description="true 仅启用；false 仅停用；不传为启用")


class PersonQuery(PageQuery):
    q: _text(64) = Field("", description="姓名、职务、电话、工号或账号包含")  # type: ignore[valid-type]
    unit_id: Id | None = Field(None, description="该单位及其下级单位的人员")
    role: RoleCode | None = None
    active: bool | None = Field(True, description="true 仅在岗；false 仅离岗")


class RoleQuery(PageQuery):
    person_id: Id | None = None
    unit_id: Id | None = None
    role: RoleCode | None = None


class AliasQuery(PageQuery):
    q: _text(50) = ""  # type: ignore[valid-type]


class UnitIn(BodySchema):
    name: _name(100)  # type: ignore[valid-type]
    short_name: _text(50) = ""  # type: ignore[valid-type]
    code: _text(32) | None = None  # type: ignore[valid-type]
    kind: Kind = UnitKind.SECTION.value
    parent_id: Id | None = None
    sort_order: Int32 = 0
    is_coordinator: StrictBool = False


class UnitPatch(BodySchema):
    """Only the fields sent are changed. `parent_id: null` moves the unit to the top level."""

    name: _name(100) = None  # type: ignore[valid-type]
    short_name: _text(50) = None  # type: ignore[valid-type]
    code: _text(32) | None = None  # type: ignore[valid-type]
    kind: Kind = None  # type: ignore[assignment]
    parent_id: Id | None = None
    sort_order: Int32 = None  # type: ignore[assignment]
    is_active: StrictBool = None  # type: ignore[assignment]
    is_coordinator: StrictBool = None  # type: ignore[assignment]


class PersonIn(BodySchema):
    name: _name(64)  # type: ignore[valid-type]
    unit_id: Id
    title: _text(64) = ""  # type: ignore[valid-type]
    phone: _text(32) = ""  # type: ignore[valid-type]
    email: Annotated[str, Field(max_length=254, pattern=EMAIL)] = ""
    employee_no: _text(32) | None = None  # type: ignore[valid-type]
    sort_order: Int32 = 0
    username: Annotated[str, Field(min_length=1, max_length=150, pattern=USERNAME)] | None = Field(
        None, description="填写则同时开设登录账号（仅系统管理员），临时密码只在响应中返回一次"
    )


class PersonPatch(BodySchema):
    """Only the fields sent are changed."""

    name: _name(64) = None  # type: ignore[valid-type]
    unit_id: Id = None  # type: ignore[assignment]
    title: _text(64) = None  # type: ignore[valid-type]
    phone: _text(32) = None  # type: ignore[valid-type]
    email: Annotated[str, Field(max_length=254, pattern=EMAIL)] = None  # type: ignore[assignment]
    employee_no: _text(32) | None = None  # type: ignore[valid-type]
    sort_order: Int32 = None  # type: ignore[assignment]
    is_active: StrictBool = None  # type: ignore[assignment]


class RoleIn(BodySchema):
    person_id: Id
    role: RoleCode
    unit_id: Id
    note: _text(200) = ""  # type: ignore[valid-type]


# --- helpers ----------------------------------------------------------------------------------------

READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
# 400: a body that is not JSON at all (ninja: "Cannot parse request body").
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _page(qs: QuerySet, query: PageQuery) -> dict[str, Any]:
    return {
        "items": list(qs[query.offset: query.offset + query.limit]),
        "count": qs.count(),
        "limit": query.limit,
        "offset": query.offset,
    }


def _detail(exc: ValidationError) -> dict[str, Any] | list[str]:
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def _units() -> Any:
    return Unit.objects.annotate(people_count=Count("people", filter=Q(people__is_active=True)))


def _unit_in_scope(request: HttpRequest, unit_id: int, field: str, action: str) -> Unit | Status:
    """The active unit `unit_id` if the caller may act on it; else a 404 answer (a forged id is logged)."""
    unit = Unit.objects.visible_to(request.auth, action).filter(pk=unit_id, is_active=True).first()  # type: ignore[arg-type]
    if unit is not None:
        return unit
    if Unit.objects.filter(pk=unit_id).exists():
        log_forged_units(request.auth, {field: unit_id}, path=request.path, object_id=unit_id)
    return Status(404, {"detail": {field: ["单位不存在、已停用或不在您的权限范围内"]}})


# --- units ------------------------------------------------------------------------------------------


@router.get("/units", response={200: UnitPage, **READ}, summary="单位列表")
def list_units(request: HttpRequest, query: Query[UnitQuery]) -> Any:
    qs = _units().visible_to(request.auth, "view").order_by("path")
    q = query.q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__icontains=q))
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.parent_id:
        qs = qs.filter(parent_id=query.parent_id)
    if query.active is not None:
        qs = qs.filter(is_active=query.active)
    return _page(qs, query)


@router.get("/units/{id}", response={200: UnitOut, **READ}, summary="单位详情")
def get_unit(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return _units().get_visible_or_404(request.auth, "view", pk=id)


@router.post("/units", response={201: UnitOut, **WRITE}, summary="新增单位（系统管理员）")
def create_unit(request: HttpRequest, payload: UnitIn) -> Any:
    if not can_manage_org(request.auth):
        deny(request.auth, "仅系统管理员可管理组织机构", object_type="org.unit")
    parent = None
    if payload.parent_id is not None:
        parent = _unit_in_scope(request, payload.parent_id, "parent_id", "change")
        if isinstance(parent, Status):
            return parent
    try:
        unit = do_create_unit(
            acting_user=request.auth, name=payload.name, short_name=payload.short_name, code=payload.code,
            kind=payload.kind, parent=parent, sort_order=payload.sort_order, is_coordinator=payload.is_coordinator,
        )
    except ValidationError as exc:
        return Status(409, {"detail": _detail(exc)})
    return Status(201, _units().get(pk=unit.pk))


@router.patch("/units/{id}", response={200: UnitOut, **WRITE}, summary="修改单位（系统管理员）")
def update_unit(request: HttpRequest, payload: UnitPatch, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    unit = Unit.objects.get_visible_or_404(request.auth, "view", pk=id)
    if not can_manage_org(request.auth):
        deny(request.auth, "仅系统管理员可管理组织机构", obj=unit)
    changes = payload.model_dump(exclude_unset=True)
    if "parent_id" in changes:
        parent_id = changes.pop("parent_id")
        changes["parent"] = None
        if parent_id is not None:
            parent = _unit_in_scope(request, parent_id, "parent_id", "change")
            if isinstance(parent, Status):
                return parent
            changes["parent"] = parent
    try:
        do_update_unit(unit, acting_user=request.auth, **changes)
    except ValidationError as exc:
        return Status(409, {"detail": _detail(exc)})
    return _units().get(pk=unit.pk)


# --- people -----------------------------------------------------------------------------------------


@router.get("/people", response={200: PersonPage, **READ}, summary="人员列表")
def list_people(request: HttpRequest, query: Query[PersonQuery]) -> Any:
    qs = people_for(request.auth)
    unit = None
    if query.unit_id:
        # A unit out of scope filters to nothing: the people are scoped already.
        unit = Unit.objects.filter(pk=query.unit_id).first()
        if unit is None:
            qs = qs.none()
    return _page(filter_people(qs, q=query.q, unit=unit, role=query.role or "", active=query.active), query)


@router.get("/people/{id}", response={200: PersonOut, **READ}, summary="人员详情")
def get_person(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    return people_for(request.auth).get_visible_or_404(request.auth, "view", pk=id)


@router.post("/people", response={201: PersonCreatedOut, **WRITE}, summary="新增人员")
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    user = request.auth
    if not can_add_people(user):
        deny(user, "无权新增人员", object_type="org.person")
    unit = _unit_in_scope(request, payload.unit_id, "unit_id", "change")
    if isinstance(unit, Status):
        return unit
    fields = payload.model_dump(exclude={"unit_id", "username", "name"})
    try:
        person, password = do_create_person(
            acting_user=user, name=payload.name, unit=unit, username=payload.username or "", **fields
        )
    except ValidationError as exc:
        return Status(409, {"detail": _detail(exc)})
    created = people_for(request.auth).get(pk=person.pk)
    created.temporary_password = password
    return Status(201, created)


@router.patch("/people/{id}", response={200: PersonOut, **WRITE}, summary="修改人员")
def update_person(request: HttpRequest, payload: PersonPatch, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    person = Person.objects.get_visible_or_404(request.auth, "view", pk=id)
    if not can_change_person_in(request.auth, person.unit_id):
        deny(request.auth, "无权修改该人员", obj=person)
    changes = payload.model_dump(exclude_unset=True)
    if "unit_id" in changes:
        unit = _unit_in_scope(request, changes.pop("unit_id"), "unit_id", "change")
        if isinstance(unit, Status):
            return unit
        changes["unit"] = unit
    try:
        do_update_person(person, acting_user=request.auth, **changes)
    except ValidationError as exc:
        return Status(409, {"detail": _detail(exc)})
    return people_for(request.auth).get(pk=person.pk)


# --- roles and aliases ------------------------------------------------------------------------------


@router.get("/roles", response={200: RolePage, **READ}, summary="角色任职列表")
def list_roles(request: HttpRequest, query: Query[RoleQuery]) -> Any:
    qs = (
        RoleAssignment.objects.visible_to(request.auth, "view")  # type: ignore[arg-type]
        .select_related("person", "unit")
        .order_by("unit__path", "role", "id")
    )
    if query.person_id:
        qs = qs.filter(person_id=query.person_id)
    if query.unit_id:
        qs = qs.filter(unit_id=query.unit_id)
    if query.role:
        qs = qs.filter(role=query.role)
    return _page(qs, query)


@router.post("/roles", response={201: RoleOut, **WRITE}, summary="任命角色（系统管理员）")
def create_role(request: HttpRequest, payload: RoleIn) -> Any:
    if not can_manage_org(request.auth):
        deny(request.auth, "仅系统管理员可任免角色", object_type="org.roleassignment")
    person = Person.objects.get_visible_or_404(request.auth, "view", pk=payload.person_id)
    unit = _unit_in_scope(request, payload.unit_id, "unit_id", "change")
    if isinstance(unit, Status):
        return unit
    try:
        assignment = do_assign_role(person, payload.role, unit, note=payload.note, acting_user=request.auth)
    except ValidationError as exc:
        return Status(409, {"detail": _detail(exc)})
    return Status(201, assignment)


@router.delete("/roles/{id}", response={204: None, **WRITE}, summary="免去角色（系统管理员）")
def delete_role(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # noqa: A002
    assignment = RoleAssignment.objects.get_visible_or_404(request.auth, "view", pk=id)
    try:
        do_remove_role(assignment, acting_user=request.auth)
    except ValidationError as exc:
        return Status(409, {"detail": _detail(exc)})
    return Status(204, None)


@router.get("/aliases", response={200: AliasPage, **READ}, summary="单位别名列表")
def list_aliases(request: HttpRequest, query: Query[AliasQuery]) -> Any:
    return _page(aliases_for(request.auth, query.q), query)


# --- import -----------------------------------------------------------------------------------------


@router.post(
    "/import",
    response={200: ImportOut, 400: ImportErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="导入组织机构（.xlsx / .csv，系统管理员）",
    description="全部行先校验：有任何错误时不写入任何数据，返回 400 及逐行错误。可重复导入。",
)
def import_org(request: HttpRequest, file: File[UploadedFile]) -> Any:
    try:
        summary = do_import_org_chart(file, acting_user=request.auth)
    except ImportRejected as rejected:
        return Status(400, {
            "detail": f"组织机构文件未导入：发现 {len(rejected.errors)} 处问题，没有写入任何数据",
            "errors": [{"row": e.row, "column": e.column, "message": str(e)} for e in rejected.errors],
        })
    return {
        **summary.counts(),
        "accounts": [
            {"username": a.username, "name": a.name, "unit": a.unit, "temporary_password": a.password}
            for a in summary.accounts
        ],
    }
