"""Every write to the organization: units, people, roles, aliases and the org-chart import.

Views, the API and the importer call these `do_<verb>_<noun>` functions and nothing else writes org
rows. Each one checks permission and scope first, validates (raising ValidationError with Chinese
messages), then writes inside one transaction and one audit context; the models are AuditedModel,
so every save and delete lands in the audit log with its diff.

A refused write is logged as DENIED *before* any transaction opens: a record written inside the
rolled-back block would vanish with it.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction

from core import audit
from core.audit import deny
from core.models import AuditAction, User
from core.roles import Perm, Role
from core.scoping import forget_access, has_perm, scope_unit_ids, unit_in_scope
from org.choices import UnitKind
from org.models import Person, RoleAssignment, Unit, UnitAlias

# Accounts are typed at a login prompt on any keyboard: keep them to ASCII.
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{1,150}$")
USERNAME_HINT = "登录账号只能包含英文字母、数字和 @ . + - _，最长 150 个字符"
MANAGE_DENIED = "仅系统管理员可管理组织机构（单位、别名、角色与导入）"
CONFLICT = "保存失败：数据与现有记录冲突（可能刚被他人修改），请刷新后重试"

UNIT_FIELDS = frozenset({"name", "short_name", "code", "kind", "parent", "sort_order", "is_active", "is_coordinator"})
PERSON_FIELDS = frozenset({"name", "unit", "title", "phone", "email", "employee_no", "sort_order", "is_active"})


# --- permission helpers -----------------------------------------------------------------------------


def can_manage_org(user: Any) -> bool:
    return has_perm(user, Perm.ORG_MANAGE)


def can_change_person_in(user: Any, unit_id: int | None) -> bool:
    return has_perm(user, Perm.ORG_CHANGE_PERSON) and unit_in_scope(user, unit_id, "change")


def can_add_people(user: Any) -> bool:
    """May the user add people to at least one unit (the form then offers exactly those units)?"""
    return has_perm(user, Perm.ORG_CHANGE_PERSON) and scope_unit_ids(user, "change") != set()


def log_forged_units(user: Any, fields: dict[str, Any], *, path: str, object_type: str = "org.unit",
                     object_id: Any = "") -> None:
    """Existing units outside the user's scope were submitted (typed or forged): log the attempt."""
    if fields:
        audit.record(AuditAction.DENIED, object_type=object_type, object_id=object_id, actor=user,
                     changes={"reason": "提交了不在权限范围内的单位", "fields": fields, "path": path})


def _require_manage(user: Any, obj: models.Model | None = None, object_type: str = "org.unit") -> None:
    if not can_manage_org(user):
        deny(user, MANAGE_DENIED, obj=obj, object_type="" if obj else object_type)


def _conflict(exc: IntegrityError) -> ValidationError:
    return ValidationError(CONFLICT, code="conflict")


# --- accounts ---------------------------------------------------------------------------------------


def temporary_password() -> str:
    """A one-time password that meets the same rules as the one its owner must choose."""
    # "Ys-" brings an upper, a lower letter and a symbol; the final digit completes the classes.
    return f"Ys-{secrets.token_urlsafe(9)}{secrets.randbelow(10)}"


def check_username(username: str, *, field: str = "username") -> str:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise ValidationError({field: USERNAME_HINT})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({field: f"登录账号“{username}”已存在"})
    return username


def create_account(username: str, *, display_name: str, email: str = "",
                   credentials: tuple[str, str] | None = None) -> tuple[User, str]:
    """A new login that must change its temporary password at first login.

    `credentials` is a (password, hash) pair computed ahead of time: the importer hashes many
    passwords in parallel before its transaction, since PBKDF2 is deliberately slow.
    """
    if credentials is None:
        password = temporary_password()
        hashed = make_password(password)
    else:
        password, hashed = credentials
    user = User(username=username, display_name=display_name, email=email, must_change_password=True)
    user.password = hashed
    user.save()
    return user, password


# --- units ------------------------------------------------------------------------------------------


def _clean_unit(unit: Unit) -> None:
    unit.name = (unit.name or "").strip()
    unit.short_name = (unit.short_name or "").strip()
    unit.code = (unit.code or "").strip() or None
    errors: dict[str, str] = {}
    if not unit.name:
        errors["name"] = "单位名称不能为空"
    if unit.kind not in UnitKind.values:
        errors["kind"] = "单位类型无效"
    if unit.code:
        holder = Unit.objects.filter(code=unit.code).exclude(pk=unit.pk).first()
        if holder:
            errors["code"] = f"编码“{unit.code}”已被单位“{holder.name}”使用"
    if unit.name:
        siblings = Unit.objects.filter(name=unit.name).exclude(pk=unit.pk)
        siblings = siblings.filter(parent_id=unit.parent_id) if unit.parent_id else siblings.filter(parent__isnull=True)
        if siblings.exists():
            where = f"“{unit.parent.name}”下" if unit.parent_id else "顶层"
            errors["name"] = f"{where}已有名为“{unit.name}”的单位"
    if unit.parent_id and not unit.parent.is_active and unit.is_active:
        errors["parent"] = "上级单位已停用"
    if errors:
        raise ValidationError(errors)
    unit.full_clean(exclude=["path", "depth", "parent"], validate_unique=False, validate_constraints=False)


def do_create_unit(*, name: str, acting_user: Any, kind: str = UnitKind.SECTION, parent: Unit | None = None,
                   code: str | None = None, short_name: str = "", sort_order: int = 0,
                   is_coordinator: bool = False) -> Unit:
    _require_manage(acting_user)
    unit = Unit(name=name, kind=kind, parent=parent, code=code, short_name=short_name, sort_order=sort_order,
                is_coordinator=is_coordinator)
    _clean_unit(unit)
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            unit.save()
    except IntegrityError as exc:
        raise _conflict(exc) from exc
    forget_access(acting_user)
    return unit


def _check_can_deactivate(unit: Unit) -> None:
    children = unit.children.filter(is_active=True).count()
    people = unit.people.filter(is_active=True).count()
    if children or people:
        parts = [f"{children} 个启用的下级单位" if children else "", f"{people} 名在岗人员" if people else ""]
        raise ValidationError(f"“{unit.name}”下仍有{'、'.join(p for p in parts if p)}，请先调整后再停用")


def do_update_unit(unit: Unit, *, acting_user: Any, **changes: Any) -> Unit:
    """Change fields; moving the unit re-paths its whole subtree (Unit.save)."""
    _require_manage(acting_user, unit)
    unknown = set(changes) - UNIT_FIELDS
    if unknown:
        raise TypeError(f"unknown unit fields: {sorted(unknown)}")
    if "parent" in changes:
        parent = changes["parent"]
        fresh_path = Unit.objects.filter(pk=unit.pk).values_list("path", flat=True).first() or unit.path
        if parent is not None and (parent.pk == unit.pk or parent.path.startswith(fresh_path)):
            raise ValidationError({"parent": "不能把单位移到其自身或其下级单位之下"})
    if changes.get("is_active") is False and unit.is_active:
        _check_can_deactivate(unit)
    for field, value in changes.items():
        setattr(unit, field, value)
    _clean_unit(unit)
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            unit.save()
    except IntegrityError as exc:
        raise _conflict(exc) from exc
    forget_access(acting_user)
    return unit


def do_deactivate_unit(unit: Unit, *, acting_user: Any) -> Unit:
    """Units are never deleted (plans and records point at them); they are switched off."""
    _require_manage(acting_user, unit)
    if not unit.is_active:
        return unit
    _check_can_deactivate(unit)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        unit.is_active = False
        unit.save()
    forget_access(acting_user)
    return unit


# --- people -----------------------------------------------------------------------------------------


def _is_last_admin(person: Person) -> bool:
    """True when switching this person off would leave nobody able to administer the system."""
    if not person.pk or not person.roles.filter(role=Role.SYSADMIN).exists():
        return False
    if User.objects.filter(is_superuser=True, is_active=True).exists():
        return False
    others = RoleAssignment.objects.filter(role=Role.SYSADMIN, person__is_active=True, person__user__is_active=True)
    return not others.exclude(person=person).exists()


def _clean_person(person: Person) -> None:
    for field in ("name", "title", "phone", "email"):
        setattr(person, field, (getattr(person, field) or "").strip())
    person.employee_no = (person.employee_no or "").strip() or None
    errors: dict[str, str] = {}
    if not person.name:
        errors["name"] = "姓名不能为空"
    if person.email:
        try:
            validate_email(person.email)
        except ValidationError:
            errors["email"] = f"邮箱“{person.email}”格式不正确"
    if person.employee_no:
        holder = Person.objects.filter(employee_no=person.employee_no).exclude(pk=person.pk).first()
        if holder:
            errors["employee_no"] = f"工号“{person.employee_no}”已被“{holder.name}”使用"
    if person.unit_id and not person.unit.is_active:
        errors["unit"] = "所在单位已停用"
    if not person.is_active and _is_last_admin(person):
        errors["is_active"] = "不能停用最后一名系统管理员"
    if errors:
        raise ValidationError(errors)
    person.full_clean(exclude=["user", "unit"], validate_unique=False, validate_constraints=False)


def do_create_person(*, name: str, unit: Unit, acting_user: Any, username: str = "",
                     **fields: Any) -> tuple[Person, str | None]:
    """Returns the person and, when a login was opened, its temporary password (shown once)."""
    unknown = set(fields) - PERSON_FIELDS
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    if not can_change_person_in(acting_user, unit.pk):
        deny(acting_user, "无权在该单位新增人员", obj=unit)
    username = (username or "").strip()
    if username and not can_manage_org(acting_user):
        deny(acting_user, "仅系统管理员可开设登录账号", obj=unit)
    person = Person(name=name, unit=unit, **fields)
    _clean_person(person)
    if username:
        check_username(username)
    password: str | None = None
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            if username:
                person.user, password = create_account(username, display_name=person.name, email=person.email)
            person.save()
    except IntegrityError as exc:
        raise _conflict(exc) from exc
    return person, password


def do_update_person(person: Person, *, acting_user: Any, **changes: Any) -> Person:
    unknown = set(changes) - PERSON_FIELDS
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    # The stored unit decides, not the instance: a bound ModelForm has already copied its input onto it.
    stored = Person.objects.filter(pk=person.pk).values("unit_id", "name").first() or {}
    stored_unit_id = stored.get("unit_id")
    if not can_change_person_in(acting_user, stored_unit_id):
        deny(acting_user, "无权修改该人员", obj=person)
    new_unit = changes.get("unit")
    if new_unit is not None and new_unit.pk != stored_unit_id and not unit_in_scope(acting_user, new_unit.pk, "change"):
        deny(acting_user, "无权把人员调入该单位", obj=person, details={"unit": new_unit.pk})
    old_name = stored.get("name", person.name)
    for field, value in changes.items():
        setattr(person, field, value)
    _clean_person(person)
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            person.save()
            if person.user_id and person.name != old_name:
                account = person.user
                account.display_name = person.name
                account.save(update_fields=["display_name"])
    except IntegrityError as exc:
        raise _conflict(exc) from exc
    forget_access(acting_user)
    return person


# --- roles ------------------------------------------------------------------------------------------


def do_assign_role(person: Person, role: str, unit: Unit, *, acting_user: Any, note: str = "") -> RoleAssignment:
    _require_manage(acting_user, person)
    if role not in Role.values:
        raise ValidationError({"role": "角色无效"})
    if not unit.is_active:
        raise ValidationError({"unit": "负责单位已停用"})
    if RoleAssignment.objects.filter(person=person, role=role, unit=unit).exists():
        raise ValidationError({"role": f"{person.name} 已是“{unit.name}”的{Role(role).label}"})
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            assignment = RoleAssignment.objects.create(person=person, role=role, unit=unit, note=(note or "").strip())
    except IntegrityError as exc:
        raise _conflict(exc) from exc
    forget_access(acting_user)
    return assignment


def do_remove_role(assignment: RoleAssignment, *, acting_user: Any) -> None:
    _require_manage(acting_user, assignment)
    if assignment.role == Role.SYSADMIN:
        remaining = RoleAssignment.objects.filter(
            role=Role.SYSADMIN, person__is_active=True, person__user__is_active=True
        ).exclude(pk=assignment.pk)
        if not remaining.exists() and not User.objects.filter(is_superuser=True, is_active=True).exists():
            raise ValidationError("不能移除最后一名系统管理员")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        assignment.delete()
    forget_access(acting_user)


# --- aliases ----------------------------------------------------------------------------------------


def do_create_alias(*, name: str, acting_user: Any, unit: Unit | None = None, unit_kind: str = "") -> UnitAlias:
    """An alias names either one unit (部党委 → 机关党组) or every unit of a kind (各科室)."""
    _require_manage(acting_user, object_type="org.unitalias")
    name = (name or "").strip()
    unit_kind = (unit_kind or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "别名不能为空"
    elif len(name) > 50:
        errors["name"] = "别名最长 50 个字符"
    elif UnitAlias.objects.filter(name=name).exists():
        errors["name"] = f"别名“{name}”已存在"
    if (unit is None) == (not unit_kind):
        errors["unit"] = "请在“对应单位”和“对应类型（全部）”中选择且只选择一项"
    elif unit_kind and unit_kind not in UnitKind.values:
        errors["unit_kind"] = "单位类型无效"
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            alias = UnitAlias.objects.create(name=name, unit=unit, unit_kind=unit_kind)
    except IntegrityError as exc:
        raise _conflict(exc) from exc
    return alias


def do_delete_alias(alias: UnitAlias, *, acting_user: Any) -> None:
    _require_manage(acting_user, alias)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        alias.delete()


# --- org-chart import -------------------------------------------------------------------------------


def do_import_org_chart(uploaded: Any, *, acting_user: Any) -> Any:
    """Validate the whole file, then write it all or nothing. See org.importers."""
    from org.importers import import_org_chart

    if not can_manage_org(acting_user):
        deny(acting_user, "仅系统管理员可导入组织机构", object_type="org.import",
             details={"file": getattr(uploaded, "name", "")})
    return import_org_chart(uploaded, acting_user=acting_user)
