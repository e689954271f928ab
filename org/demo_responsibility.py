"""Demo data for the responsibility system: published lists, a year's letters (some signed), a
half-yearly duty-report schedule and contact points. Idempotent: what exists is left alone."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.roles import LEADERSHIP_ROLES, Role
from org.models import (
    ContactPoint,
    DutyReportSchedule,
    LetterTemplate,
    Person,
    ResponsibilityList,
    RoleAssignment,
    Unit,
)
from org.responsibility import (
    do_create_contact_point,
    do_create_duty_schedule,
    do_create_letter_template,
    do_create_list,
    do_publish_list,
    do_send_letters,
    do_sign_letter,
)
from org.responsibility_choices import LetterStatus, Post
from org.responsibility_views import DEFAULT_BODY

LIST_UNITS = 4  # unit heads whose lists are published
SIGNED_LETTERS = 3


def _root() -> Unit | None:
    return Unit.objects.filter(parent__isnull=True, is_active=True).order_by("id").first()


def _lists(admin: Any, root: Unit, year: int) -> None:
    heads = list(RoleAssignment.objects.filter(role=Role.UNIT_HEAD, unit__is_active=True, person__is_active=True)
                 .select_related("unit", "person").order_by("unit__path")[:LIST_UNITS])
    posts = [(h.unit, Post.UNIT_HEAD, h.person) for h in heads]
    first = RoleAssignment.objects.filter(role=Role.FIRST_RESPONSIBLE, unit=root).select_related("person").first()
    if first:
        posts.append((root, Post.FIRST_RESPONSIBLE, first.person))
    for unit, post, holder in posts:
        if ResponsibilityList.objects.filter(unit=unit, post=post, year=year, holder=holder).exists():
            continue
        lst = do_create_list(unit=unit, post=post, year=year, holder=holder, acting_user=admin)
        do_publish_list(lst, acting_user=admin, expected_version=lst.version)


def _letters(admin: Any, root: Unit, year: int) -> None:
    template = LetterTemplate.objects.filter(unit=root, year=year).first()
    if template is None:
        template = do_create_letter_template(unit=root, year=year, title=f"{year}年度意识形态工作责任书",
                                             body=DEFAULT_BODY, acting_user=admin)
    do_send_letters(template, acting_user=admin)
    signed = template.letters.filter(status=LetterStatus.SIGNED).count()
    for letter in template.letters.filter(status=LetterStatus.SENT, addressee__user__isnull=False) \
            .select_related("addressee__user").order_by("unit__path")[:max(0, SIGNED_LETTERS - signed)]:
        do_sign_letter(letter, acting_user=letter.addressee.user, ip="127.0.0.1")


def _contacts(admin: Any, year: int) -> None:
    leaders = (Person.objects.filter(is_active=True, roles__role__in=LEADERSHIP_ROLES)
               .exclude(roles__role=Role.FIRST_RESPONSIBLE).distinct().order_by("sort_order", "id"))
    start = timezone.localdate().replace(year=year, month=1, day=1)
    for leader in leaders:
        assignment = leader.roles.filter(role__in=LEADERSHIP_ROLES).select_related("unit").order_by("id").first()
        if assignment is None or ContactPoint.objects.filter(leader=leader).exists():
            continue
        do_create_contact_point(leader=leader, unit=assignment.unit, start_date=start, acting_user=admin,
                                note="联系指导意识形态工作，每季度至少到联系点调研一次")


def load_demo_responsibility(admin_user: Any) -> None:
    root = _root()
    if root is None:
        return
    year = timezone.localdate().year
    _lists(admin_user, root, year)
    _letters(admin_user, root, year)
    if not DutyReportSchedule.objects.filter(unit=root, year=year).exists():
        do_create_duty_schedule(unit=root, year=year, title=f"{year}年度意识形态工作履职报告", cadence="half_year",
                                acting_user=admin_user)
    _contacts(admin_user, year)
