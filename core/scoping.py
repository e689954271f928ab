"""Unit scoping: the ONE mechanism that decides which unit-owned rows a user may see or change.

Every view, form choice list, API endpoint and export asks `Model.objects.visible_to(user, action)`
(or `scope_unit_ids`) instead of filtering by hand. Actions:

- ``view``   — staff see their own unit; holders of a leading role see the subtree of the unit they
               are assigned to; system administrators see everything.
- ``work``   — report progress on the unit's own records: the own unit plus the change scope.
- ``change`` — manage records: only the subtrees of leading roles, or everything for administrators.

Permissions (what kind of thing a user may do) come from roles in core.roles; scoping (where) from
here. A check is both: ``has_perm(user, perm)`` and the row being in ``visible_to(user, action)``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Literal

from django.db import models
from django.http import Http404

from core.caching import forget_generation, reuse
from core.roles import LEADING_ROLES, ROLE_PERMISSIONS, Role

if TYPE_CHECKING:
    from core.models import User

Action = Literal["view", "work", "change"]
ACTIONS: tuple[str, ...] = ("view", "work", "change")
_CACHE_ATTR = "_yishi_access"


class _Access:
    """What one user may reach, computed once per user object (i.e. once per request)."""

    def __init__(self, user: Any) -> None:
        from org.models import Person, RoleAssignment, Unit

        self.is_admin = False
        self.roles: set[str] = set()
        self.own_unit_id: int | None = None
        self.own_unit_name = ""
        self.person_id: int | None = None
        self.head_paths: list[str] = []  # units (subtrees) the user heads as 科室负责人
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            self.view: set[int] | None = set()
            self.change: set[int] | None = set()
            self.work: set[int] | None = set()
            self.perms: frozenset[str] = frozenset()
            return
        person = Person.objects.filter(user_id=user.pk, is_active=True).values("id", "unit_id", "unit__name").first()
        if person:
            self.person_id, self.own_unit_id = person["id"], person["unit_id"]
            self.own_unit_name = person["unit__name"]
        assignments = list(
            RoleAssignment.objects.filter(person__user_id=user.pk, person__is_active=True)
            .values_list("role", "unit__path")
        )
        self.roles = {role for role, _ in assignments}
        self.head_paths = sorted({path for role, path in assignments if role == Role.UNIT_HEAD and path})
        self.is_admin = bool(user.is_superuser) or Role.SYSADMIN in self.roles
        perms: set[str] = set()
        for role in self.roles:
            perms |= ROLE_PERMISSIONS.get(role, frozenset())
        self.perms = frozenset(perms)
        if self.is_admin:
            self.view = self.change = self.work = None
            return
        lead_paths = sorted({path for role, path in assignments if role in LEADING_ROLES and path})
        change: set[int] = set()
        if lead_paths:
            query = models.Q()
            for path in lead_paths:
                query |= models.Q(path__startswith=path)
            change = set(Unit.objects.filter(query).values_list("id", flat=True))
        own = {self.own_unit_id} if self.own_unit_id else set()
        self.change = change
        self.work = change | own
        self.view = change | own


def access_for(user: Any) -> _Access:
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        if getattr(user, "is_authenticated", False) and user.pk is not None:
            # Roles and units change by audited writes only, so the scope is reused across requests
            # until the next change (core.caching); two to three queries saved on every page.
            key = f"access:{user.pk}:{int(user.is_active)}{int(user.is_superuser)}"
            cached = reuse(key, lambda: _Access(user), holder=user)
        else:
            cached = _Access(user)
        if user is not None and hasattr(user, "__dict__"):
            setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_access(user: Any) -> None:
    """Drop the cached scope, after roles or the user's unit change within one request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    forget_generation(user)


def scope_unit_ids(user: Any, action: Action = "view") -> set[int] | None:
    """Unit ids the user reaches for `action`; None means every unit (administrators)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return getattr(access_for(user), action)


def scope_key(user: Any, action: Action = "view") -> str:
    """A short stable name for the units the user reaches: figures cached per scope are shared by
    everyone with the same scope."""
    ids = scope_unit_ids(user, action)
    raw = "all" if ids is None else ",".join(str(i) for i in sorted(ids))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def is_admin(user: Any) -> bool:
    return access_for(user).is_admin


def has_perm(user: Any, perm: str) -> bool:
    access = access_for(user)
    return access.is_admin or "*" in access.perms or perm in access.perms


def has_role(user: Any, *roles: str) -> bool:
    return bool(access_for(user).roles & set(roles))


def unit_in_scope(user: Any, unit_id: int | None, action: Action = "view") -> bool:
    ids = scope_unit_ids(user, action)
    return ids is None or (unit_id is not None and unit_id in ids)


class ScopedQuerySet(models.QuerySet):
    """QuerySet for unit-owned models; the model names the path to its unit in `scope_unit_field`."""

    def visible_to(self, user: User | Any, action: Action = "view") -> ScopedQuerySet:
        ids = scope_unit_ids(user, action)
        if ids is None:
            return self
        field = getattr(self.model, "scope_unit_field", "unit")
        lookup = f"{field}__in" if field else "pk__in"
        return self.filter(**{lookup: sorted(ids)})

    def get_visible_or_404(self, user: Any, action: Action = "view", **lookup: Any) -> Any:
        """Fetch one row the user may reach; rows out of scope look exactly like missing ones."""
        try:
            return self.visible_to(user, action).get(**lookup)
        except self.model.DoesNotExist as exc:
            raise Http404("记录不存在或无权访问") from exc
