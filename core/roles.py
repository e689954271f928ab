"""Posts and roles, and what each may do. The scope each role reaches is decided in core.scoping."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    FIRST_RESPONSIBLE = "first_responsible", "第一责任人"
    DIRECT_RESPONSIBLE = "direct_responsible", "直接责任人（分管领导）"
    LEADER_MEMBER = "leader_member", "班子成员（一岗双责）"
    UNIT_HEAD = "unit_head", "科室负责人"
    LIAISON = "liaison", "信息员"
    COMMENTATOR = "commentator", "网评员"
    OPINION_ANALYST = "opinion_analyst", "舆情分析员"
    SYSADMIN = "sysadmin", "系统管理员"


# Roles whose holders oversee the unit they are assigned to and everything below it.
LEADING_ROLES = frozenset(
    {Role.FIRST_RESPONSIBLE, Role.DIRECT_RESPONSIBLE, Role.LEADER_MEMBER, Role.UNIT_HEAD}
)
LEADERSHIP_ROLES = frozenset({Role.FIRST_RESPONSIBLE, Role.DIRECT_RESPONSIBLE, Role.LEADER_MEMBER})


class Perm:
    """Permission codenames. Checked with core.scoping.has_perm(user, perm)."""

    ORG_MANAGE = "org.manage"  # units, aliases, roles, org-chart import
    ORG_CHANGE_PERSON = "org.change_person"  # edit people of units in the change scope
    AUDIT_VIEW = "core.view_audit"
    CALENDAR_MANAGE = "core.manage_calendar"
    LEADER_OVERVIEW = "core.leader_overview"
    OPINION_VIEW = "opinion.view"  # monitoring wall, items, events, alerts, reports
    OPINION_MANAGE = "opinion.manage"  # sources, rules, alert rules, labels, incidents


EVERYONE: frozenset[str] = frozenset()

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SYSADMIN: frozenset({"*"}),
    Role.FIRST_RESPONSIBLE: frozenset({Perm.ORG_CHANGE_PERSON, Perm.LEADER_OVERVIEW, Perm.OPINION_VIEW}),
    Role.DIRECT_RESPONSIBLE: frozenset({Perm.ORG_CHANGE_PERSON, Perm.LEADER_OVERVIEW, Perm.OPINION_VIEW}),
    Role.LEADER_MEMBER: frozenset({Perm.LEADER_OVERVIEW, Perm.OPINION_VIEW}),
    Role.UNIT_HEAD: frozenset({Perm.ORG_CHANGE_PERSON}),
    Role.LIAISON: frozenset(),
    Role.COMMENTATOR: frozenset({Perm.OPINION_VIEW}),
    Role.OPINION_ANALYST: frozenset({Perm.OPINION_VIEW, Perm.OPINION_MANAGE}),
}
