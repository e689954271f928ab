"""Every write of the responsibility system (压实主体责任): lists, letters, duty reports, contact points.

Same rules as org.actions: each `do_<verb>_<noun>` checks permission and scope first (a refusal is
written to the audit log as DENIED before any transaction opens), validates with Chinese messages,
then writes in one transaction and one audit context. Edited rows carry a `version`; a write based
on an older one raises `ResponsibilityConflict` (a ledger ConflictError) and writes nothing.

Duty reports raise their deadlines in the ledger through `ledger.actions.create_task` and are
completed through `ledger.actions`, so the ledger's reminders, overdue notices and escalation
follow late reports like any other task.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from core import audit, workdays
from core.audit import deny
from core.files import store_upload
from core.models import AuditAction
from core.notify import notify
from core.roles import LEADERSHIP_ROLES, LEADING_ROLES, Role
from core.scoping import has_role, is_admin, scope_unit_ids, unit_in_scope
from ledger.actions import ConflictError, confirm_completion, create_task, report_progress
from ledger.choices import SourceKind, TaskStatus
from org.models import (
    ContactPoint,
    DutyReport,
    DutyReportComment,
    DutyReportSchedule,
    LetterTemplate,
    Person,
    ResponsibilityEntry,
    ResponsibilityLetter,
    ResponsibilityList,
    ResponsibilityListRevision,
    RoleAssignment,
    Unit,
)
from org.responsibility_choices import (
    LEADERSHIP_POSTS,
    Cadence,
    DutyReportStatus,
    LetterStatus,
    Post,
    RevisionStatus,
)

PLACEHOLDERS = ("{单位}", "{负责人}", "{年度}", "{责任清单}")
_PLACEHOLDER_RE = re.compile(r"\{([^{}\s]{1,20})\}")
FROZEN_LIST = "已公示的版本已冻结，不能修改；请先点击“修订”生成新的草稿版本"
FROZEN_LETTER = "责任书已签署并冻结，不能修改"
COORDINATE_DENIED = "仅系统管理员或第一责任人可以管理责任书、履职报告安排和联系点"

# What each post answers for in every list, before the plan's own obligations.
POST_DUTIES: dict[str, str] = {
    Post.FIRST_RESPONSIBLE: "履行意识形态工作第一责任人职责，对本单位意识形态工作负总责，重要工作亲自部署、重要问题亲自过问、"
                            "重大事件亲自处置。",
    Post.DIRECT_RESPONSIBLE: "履行意识形态工作直接责任人职责，协助第一责任人抓好统筹协调指导，推动各项任务落实。",
    Post.LEADER_MEMBER: "落实“一岗双责”，抓好分管领域意识形态工作，做到业务工作与意识形态工作同部署、同落实、同检查、同考核。",
    Post.UNIT_HEAD: "履行本科室意识形态工作责任，落实工作要点分解到本科室的各项任务，及时报告风险隐患。",
}


class ResponsibilityConflict(ConflictError):
    """Someone else changed the record since it was loaded."""

    def __init__(self) -> None:
        ValidationError.__init__(self, "该记录已被他人修改，请刷新页面查看最新内容后再提交", code="conflict")


# --- permissions ------------------------------------------------------------------------------------


def can_coordinate(user: Any) -> bool:
    """The coordinating side: administrators (the office) and the 第一责任人."""
    return is_admin(user) or has_role(user, Role.FIRST_RESPONSIBLE)


def can_edit_list(user: Any, unit_id: int) -> bool:
    """Draft, edit and publish lists: the unit's head, leaders over the unit, administrators."""
    return is_admin(user) or (has_role(user, *LEADING_ROLES) and unit_in_scope(user, unit_id, "change"))


def can_manage_unit(user: Any, unit_id: int) -> bool:
    return can_coordinate(user) and unit_in_scope(user, unit_id, "change")


def can_sign(user: Any, letter: ResponsibilityLetter) -> bool:
    return letter.status == LetterStatus.SENT and letter.addressee.user_id == getattr(user, "pk", None)


def can_submit(user: Any, report: DutyReport) -> bool:
    return report.status == DutyReportStatus.PENDING and report.author.user_id == getattr(user, "pk", None)


def oversees(user: Any, unit: Unit) -> bool:
    """Holds a leadership role (书记、分管领导、班子成员) over the unit."""
    return RoleAssignment.objects.filter(
        person__user_id=getattr(user, "pk", None), person__is_active=True, role__in=LEADERSHIP_ROLES,
        unit_id__in=unit.ancestors_ids(),
    ).exists()


def can_review(user: Any, report: DutyReport) -> bool:
    if report.status == DutyReportStatus.PENDING:
        return False
    return is_admin(user) or oversees(user, report.unit)


def _require(condition: bool, user: Any, message: str, obj: models.Model | None = None,
             object_type: str = "") -> None:
    if not condition:
        deny(user, message, obj=obj, object_type="" if obj is not None else object_type)


def _locked(model: type[models.Model], pk: int, expected_version: int | None) -> Any:
    """Re-read the row under a lock; refuse if it moved on since the caller loaded it."""
    current = model.objects.select_for_update().get(pk=pk)
    if expected_version is not None and current.version != expected_version:
        raise ResponsibilityConflict()
    return current


def _bump(obj: Any, **fields: Any) -> Any:
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.version += 1
    obj.save()
    return obj


# --- responsibility lists ---------------------------------------------------------------------------


def current_plan(unit: Unit, year: int) -> Any:
    """The newest active plan of that year owned by the unit or one above it."""
    from plans.choices import PlanStatus
    from plans.models import Plan

    return (Plan.objects.filter(year=year, status=PlanStatus.ACTIVE, unit_id__in=unit.ancestors_ids())
            .order_by("-id").first())


def holder_of(unit: Unit, post: str) -> Person | None:
    assignment = (RoleAssignment.objects.filter(unit=unit, role=post, person__is_active=True)
                  .select_related("person").order_by("person__sort_order", "id").first())
    return assignment.person if assignment else None


def _led_units(holder: Person | None, post: str, unit: Unit) -> list[int]:
    """Units whose work a leadership post answers for: the subtrees of the holder's assignments."""
    roots = [unit]
    if holder is not None:
        roots = [a.unit for a in RoleAssignment.objects.filter(person=holder, role=post).select_related("unit")] or roots
    query = models.Q()
    for root in roots:
        query |= models.Q(path__startswith=root.path)
    return list(Unit.objects.filter(query).values_list("id", flat=True))


def draft_entries(unit: Unit, post: str, holder: Person | None, plan: Any) -> list[dict[str, Any]]:
    """The first draft: the post's standing duty, then the plan's obligations assigned to the unit
    (quoted) and, for leadership posts, the plan items carried by the units they lead."""
    from plans.models import Assignment, Item

    entries: list[dict[str, Any]] = [{"text": POST_DUTIES[post], "quote": "", "obligation_id": None}]
    if plan is None:
        return entries
    assigned = (Assignment.objects.filter(unit=unit, obligation__plan=plan).select_related("obligation__item")
                .order_by("obligation__item__number", "obligation__number"))
    for a in assigned:
        ob = a.obligation
        entries.append({"text": f"{ob.activity}（{a.get_role_display()}）", "quote": ob.quote, "obligation_id": ob.pk})
    if post in LEADERSHIP_POSTS:
        units = _led_units(holder, post, unit)
        items = (Item.objects.filter(plan=plan, obligations__assignments__unit_id__in=units)
                 .distinct().order_by("number"))
        for item in items:
            entries.append({"text": f"督促指导：{item.title}", "quote": item.text[:2000], "obligation_id": None})
    return entries


def _write_entries(revision: ResponsibilityListRevision, entries: Sequence[dict[str, Any]]) -> None:
    revision.entries.all().delete()
    ResponsibilityEntry.objects.bulk_create([
        ResponsibilityEntry(revision=revision, order=i, text=e["text"], quote=e.get("quote") or "",
                            obligation_id=e.get("obligation_id"))
        for i, e in enumerate(entries, start=1)
    ])


def _clean_entries(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = [{**e, "text": (e.get("text") or "").strip()} for e in entries]
    cleaned = [e for e in cleaned if e["text"]]
    if not cleaned:
        raise ValidationError({"entries": "责任清单至少需要一条责任内容"})
    return cleaned


def do_create_list(*, unit: Unit, post: str, year: int, acting_user: Any, holder: Person | None = None,
                   plan: Any = None) -> ResponsibilityList:
    """Draft a list (version 1) pre-filled from the current plan; the caller edits it before publishing."""
    _require(can_edit_list(acting_user, unit.pk), acting_user, "无权为该单位起草责任清单", obj=unit)
    if post not in Post.values:
        raise ValidationError({"post": "岗位无效"})
    holder = holder or holder_of(unit, post)
    if ResponsibilityList.objects.filter(unit=unit, post=post, year=year, holder=holder).exists():
        raise ValidationError({"post": f"{unit.name}{year}年度的{Post(post).label}责任清单已存在，请在原清单上修订"})
    plan = plan or current_plan(unit, year)
    entries = draft_entries(unit, post, holder, plan)
    title = f"{unit.name}{Post(post).label}{('（' + holder.name + '）') if holder else ''}意识形态工作责任清单"
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        lst = ResponsibilityList.objects.create(unit=unit, post=post, year=year, holder=holder, plan=plan,
                                                title=title[:200])
        revision = ResponsibilityListRevision.objects.create(responsibility_list=lst, number=1, note="根据工作要点起草")
        _write_entries(revision, entries)
    return lst


def draft_of(lst: ResponsibilityList) -> ResponsibilityListRevision | None:
    return lst.revisions.filter(status=RevisionStatus.DRAFT).first()


def published_of(lst: ResponsibilityList) -> ResponsibilityListRevision | None:
    return lst.revisions.filter(status=RevisionStatus.PUBLISHED).first()


def do_save_list_draft(lst: ResponsibilityList, *, entries: Sequence[dict[str, Any]], acting_user: Any,
                       expected_version: int | None, note: str | None = None) -> ResponsibilityListRevision:
    """Replace the draft's entries. A published version is frozen: it is never edited in place."""
    _require(can_edit_list(acting_user, lst.unit_id), acting_user, "无权修改该责任清单", obj=lst)
    cleaned = _clean_entries(entries)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(ResponsibilityList, lst.pk, expected_version)
        draft = draft_of(current)
        if draft is None:
            raise ValidationError(FROZEN_LIST, code="frozen")
        _write_entries(draft, cleaned)
        if note is not None:
            draft.note = note.strip()[:200]
            draft.save()
        audit.record(AuditAction.UPDATE, obj=draft, changes={"entries": [None, len(cleaned)]})
        _bump(current)
    return draft


def do_publish_list(lst: ResponsibilityList, *, acting_user: Any, expected_version: int | None
                    ) -> ResponsibilityListRevision:
    """公示 the draft: it becomes the current version, frozen; the previous one is kept as history."""
    _require(can_edit_list(acting_user, lst.unit_id), acting_user, "无权公示该责任清单", obj=lst)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(ResponsibilityList, lst.pk, expected_version)
        draft = draft_of(current)
        if draft is None:
            raise ValidationError("没有待公示的草稿版本")
        if not draft.entries.exists():
            raise ValidationError("责任清单至少需要一条责任内容")
        for old in current.revisions.filter(status=RevisionStatus.PUBLISHED):
            old.status = RevisionStatus.SUPERSEDED
            old.save()
        draft.status = RevisionStatus.PUBLISHED
        draft.published_at = timezone.now()
        draft.published_by = acting_user
        draft.save()
        _bump(current)
    return draft


def do_revise_list(lst: ResponsibilityList, *, acting_user: Any, expected_version: int | None
                   ) -> ResponsibilityListRevision:
    """Start a new draft version from the published one (the published one stays as it is)."""
    _require(can_edit_list(acting_user, lst.unit_id), acting_user, "无权修订该责任清单", obj=lst)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(ResponsibilityList, lst.pk, expected_version)
        if draft_of(current) is not None:
            raise ValidationError("已有尚未公示的草稿版本，请直接编辑该草稿")
        published = published_of(current)
        number = (current.revisions.aggregate(m=models.Max("number"))["m"] or 0) + 1
        draft = ResponsibilityListRevision.objects.create(responsibility_list=current, number=number,
                                                          note=f"在第{published.number}版基础上修订" if published else "")
        if published is not None:
            _write_entries(draft, list(published.entries.values("text", "quote", "obligation_id")))
        _bump(current)
    return draft


# --- letters ----------------------------------------------------------------------------------------


def _check_placeholders(body: str) -> None:
    unknown = sorted({f"{{{m}}}" for m in _PLACEHOLDER_RE.findall(body)} - set(PLACEHOLDERS))
    if unknown:
        raise ValidationError({"body": f"未知的占位符：{'、'.join(unknown)}；可用：{' '.join(PLACEHOLDERS)}"})


def list_entries_text(unit: Unit, year: int) -> str:
    """The unit's published responsibility list (科室负责人's first), numbered, for a letter."""
    revision = (ResponsibilityListRevision.objects
                .filter(status=RevisionStatus.PUBLISHED, responsibility_list__unit=unit,
                        responsibility_list__year=year)
                .annotate(head_first=models.Case(models.When(responsibility_list__post=Post.UNIT_HEAD, then=0),
                                                 default=1))
                .order_by("head_first", "-published_at").first())
    if revision is None:
        return "（本单位本年度责任清单尚未公示）"
    return "\n".join(f"{e.order}. {e.text}" for e in revision.entries.all())


def render_letter(body: str, *, unit: Unit, addressee: Person, year: int) -> str:
    values = {"{单位}": unit.name, "{负责人}": addressee.name, "{年度}": str(year)}
    for key, value in values.items():
        body = body.replace(key, value)
    if "{责任清单}" in body:
        body = body.replace("{责任清单}", list_entries_text(unit, year))
    return body


def do_create_letter_template(*, unit: Unit, year: int, title: str, body: str, acting_user: Any) -> LetterTemplate:
    _require(can_manage_unit(acting_user, unit.pk), acting_user, COORDINATE_DENIED, object_type="org.lettertemplate")
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = "请填写标题"
    if not body:
        errors["body"] = "请填写正文"
    if errors:
        raise ValidationError(errors)
    _check_placeholders(body)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        return LetterTemplate.objects.create(unit=unit, year=year, title=title[:200], body=body,
                                             created_by=acting_user)


def letter_recipients(template: LetterTemplate, user: Any) -> list[RoleAssignment]:
    """Every active unit head of an active unit under the template's unit that the sender reaches."""
    qs = (RoleAssignment.objects.filter(role=Role.UNIT_HEAD, person__is_active=True, unit__is_active=True,
                                        unit__path__startswith=template.unit.path)
          .select_related("person__user", "unit").order_by("unit__path", "person__sort_order", "id"))
    ids = scope_unit_ids(user, "change")
    return list(qs if ids is None else qs.filter(unit_id__in=ids))


def do_send_letters(template: LetterTemplate, *, acting_user: Any) -> list[ResponsibilityLetter]:
    """One letter per unit head (heads who already have this year's letter are skipped); each is told."""
    _require(can_manage_unit(acting_user, template.unit_id), acting_user, COORDINATE_DENIED, obj=template)
    recipients = letter_recipients(template, acting_user)
    if not recipients:
        raise ValidationError("没有可发送的单位负责人（请先在组织机构中任命科室负责人）")
    existing = set(template.letters.values_list("unit_id", "addressee_id"))
    created: list[ResponsibilityLetter] = []
    now = timezone.now()
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        for ra in recipients:
            if (ra.unit_id, ra.person_id) in existing:
                continue
            existing.add((ra.unit_id, ra.person_id))
            created.append(ResponsibilityLetter.objects.create(
                template=template, unit=ra.unit, addressee=ra.person, year=template.year, title=template.title,
                body=render_letter(template.body, unit=ra.unit, addressee=ra.person, year=template.year),
                sent_at=now,
            ))
        for letter in created:
            if letter.addressee.user_id:
                notify([letter.addressee.user], f"请签署《{letter.title}》", f"{letter.unit.name}：请阅读并在线签署。",
                       url=reverse("org:letter_detail", args=[letter.pk]), category="responsibility")
    return created


def do_update_letter(letter: ResponsibilityLetter, *, body: str, acting_user: Any,
                     expected_version: int | None) -> ResponsibilityLetter:
    """Correct a letter before it is signed; a signed letter is frozen."""
    _require(can_manage_unit(acting_user, letter.unit_id), acting_user, "无权修改该责任书", obj=letter)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "请填写正文"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(ResponsibilityLetter, letter.pk, expected_version)
        if current.status == LetterStatus.SIGNED:
            raise ValidationError(FROZEN_LETTER, code="frozen")
        return _bump(current, body=body)


def do_sign_letter(letter: ResponsibilityLetter, *, acting_user: Any, expected_version: int | None = None,
                   ip: str | None = None) -> ResponsibilityLetter:
    """The addressee, and only the addressee, signs: time, account and IP are recorded, the text is
    frozen with its hash."""
    if letter.addressee.user_id != getattr(acting_user, "pk", None):
        deny(acting_user, f"只能签署发给本人的责任书；该责任书的签署人是{letter.addressee.name}", obj=letter)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(ResponsibilityLetter, letter.pk, expected_version)
        if current.status == LetterStatus.SIGNED:
            raise ValidationError(f"该责任书已于{timezone.localtime(current.signed_at):%Y-%m-%d %H:%M}签署，不能重复签署",
                                  code="frozen")
        current.status = LetterStatus.SIGNED
        current.signed_at = timezone.now()
        current.signed_by = acting_user
        current.signed_ip = ip or audit.current().ip
        current.signed_text = current.body
        current.signed_hash = current.compute_hash()
        return _bump(current)


# --- duty reports -----------------------------------------------------------------------------------


def periods(year: int, cadence: str) -> list[tuple[str, datetime.date]]:
    """(label, default due date): the last working day of each period."""
    if cadence == Cadence.HALF_YEAR:
        return [(f"{year}年上半年", workdays.last_workday_of_half(year, 1)),
                (f"{year}年下半年", workdays.last_workday_of_half(year, 2))]
    if cadence == Cadence.QUARTER:
        names = "一二三四"
        return [(f"{year}年第{names[q - 1]}季度", workdays.last_workday_of_quarter(year, q)) for q in (1, 2, 3, 4)]
    if cadence == Cadence.YEAR:
        return [(f"{year}年度", workdays.last_workday_of_year(year))]
    raise ValidationError({"cadence": "频次无效"})


def _due_dates(year: int, cadence: str, due_dates: Sequence[datetime.date] | None) -> list[tuple[str, datetime.date]]:
    plan = periods(year, cadence)
    if not due_dates:
        return plan
    if len(due_dates) != len(plan):
        raise ValidationError({"due_dates": f"{Cadence(cadence).label}共 {len(plan)} 期，请填写 {len(plan)} 个提交时限"})
    for day in due_dates:
        if not workdays.is_workday(day):
            raise ValidationError({"due_dates": f"{day:%Y-%m-%d} 不是工作日，提交时限须为工作日"})
    return [(label, day) for (label, _), day in zip(plan, due_dates, strict=True)]


def do_create_duty_schedule(*, unit: Unit, year: int, title: str, cadence: str, acting_user: Any,
                            due_dates: Sequence[datetime.date] | None = None) -> DutyReportSchedule:
    """A schedule, and for each period and each unit head a DutyReport with its ledger task."""
    _require(can_manage_unit(acting_user, unit.pk), acting_user, COORDINATE_DENIED,
             object_type="org.dutyreportschedule")
    title = (title or "").strip() or f"{year}年度意识形态工作履职报告"
    slots = _due_dates(year, cadence, due_dates)
    heads = (RoleAssignment.objects.filter(role=Role.UNIT_HEAD, person__is_active=True, unit__is_active=True,
                                           unit__path__startswith=unit.path)
             .select_related("person", "unit").order_by("unit__path", "id"))
    ids = scope_unit_ids(acting_user, "change")
    heads = [h for h in heads if ids is None or h.unit_id in ids]
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        schedule = DutyReportSchedule.objects.create(unit=unit, year=year, title=title[:200], cadence=cadence,
                                                     created_by=acting_user)
        for label, due in slots:
            for head in heads:
                _open_report(schedule, head, label, due, acting_user)
    return schedule


def _open_report(schedule: DutyReportSchedule, head: RoleAssignment, label: str, due: datetime.date,
                 acting_user: Any) -> DutyReport:
    report = DutyReport.objects.create(schedule=schedule, unit=head.unit, author=head.person, period_label=label,
                                       due_date=due)
    report.task = create_task(
        unit=head.unit, owner=head.person if head.person.unit_id == head.unit_id else None,
        title=f"提交{label}意识形态工作履职报告（{head.person.name}）", due_date=due, acting_user=acting_user,
        source=report, source_kind=SourceKind.DUTY_REPORT, origin=schedule.title,
        description="在“履职报告”中填写并提交后，本任务自动办结。",
    )
    report.save()
    return report


def _report_file(report: DutyReport, content: str, user: Any) -> Any:
    """The submitted report as a .docx: the ledger's evidence that the task was done."""
    from org.responsibility_exports import duty_report_docx

    data = duty_report_docx(report, content)
    upload = SimpleUploadedFile(f"{report.period_label}履职报告-{report.author.name}.docx", data,
                                content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    return store_upload(upload, unit=report.unit, user=user, purpose="org.duty_report")


def do_submit_duty_report(report: DutyReport, *, content: str, acting_user: Any,
                          expected_version: int | None) -> DutyReport:
    """The head submits; the report's ledger task is completed through ledger.actions."""
    if report.author.user_id != getattr(acting_user, "pk", None):
        deny(acting_user, f"只能提交本人的履职报告；该报告的报告人是{report.author.name}", obj=report)
    content = (content or "").strip()
    if len(content) < 10:
        raise ValidationError({"content": "请填写履职报告内容（不少于 10 个字）"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(DutyReport, report.pk, expected_version)
        if current.status != DutyReportStatus.PENDING:
            raise ValidationError("该履职报告已提交，不能重复提交", code="frozen")
        _bump(current, content=content, status=DutyReportStatus.SUBMITTED, submitted_at=timezone.now(),
              submitted_by=acting_user)
        task = current.task
        if task is not None and task.status != TaskStatus.DONE:
            evidence = _report_file(current, content, acting_user)
            report_progress(task, text=f"已提交{current.period_label}履职报告", files=[evidence],
                            request_completion=True, acting_user=acting_user)
            confirm_completion(task, acting_user=acting_user, comment="履职报告已提交，自动办结")
        leaders = [ra.person.user for ra in RoleAssignment.objects.filter(
            role__in=LEADERSHIP_ROLES, person__is_active=True, person__user__isnull=False,
            unit_id__in=current.unit.ancestors_ids()).select_related("person__user")]
        notify(leaders, f"{current.author.name}提交了{current.period_label}履职报告", "请审阅并提出意见。",
               url=reverse("org:duty_report_detail", args=[current.pk]), category="responsibility")
    return current


def do_comment_duty_report(report: DutyReport, *, text: str, acting_user: Any, mark_reviewed: bool = False,
                           expected_version: int | None = None) -> DutyReportComment:
    """A leader over the unit comments; optionally marks the review done. The author is told."""
    if report.status == DutyReportStatus.PENDING:
        raise ValidationError("报告尚未提交，不能审阅")
    _require(can_review(acting_user, report), acting_user, "仅该单位的分管领导、班子成员或第一责任人可以审阅", obj=report)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请填写审阅意见"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(DutyReport, report.pk, expected_version)
        comment = DutyReportComment.objects.create(report=current, author=acting_user, text=text,
                                                   marks_reviewed=mark_reviewed)
        _bump(current, status=DutyReportStatus.REVIEWED if mark_reviewed else current.status)
        if current.author.user_id:
            notify([current.author.user], f"您的{current.period_label}履职报告有新的审阅意见", text[:200],
                   url=reverse("org:duty_report_detail", args=[current.pk]), category="responsibility")
    return comment


# --- contact points ---------------------------------------------------------------------------------


def is_leader(person: Person) -> bool:
    return person.is_active and person.roles.filter(role__in=LEADERSHIP_ROLES).exists()


def _check_contact(leader: Person, unit: Unit, start: datetime.date, end: datetime.date | None,
                   exclude: int | None = None) -> None:
    errors: dict[str, str] = {}
    if not is_leader(leader):
        errors["leader"] = f"{leader.name}没有领导职务（第一责任人、分管领导或班子成员），不能设为联系领导"
    if end is not None and end < start:
        errors["end_date"] = "结束日期不能早于开始日期"
    overlap = ContactPoint.objects.filter(leader=leader, unit=unit).exclude(pk=exclude).filter(
        models.Q(end_date__isnull=True) | models.Q(end_date__gte=start))
    if end is not None:
        overlap = overlap.filter(start_date__lte=end)
    if overlap.exists():
        errors["unit"] = f"{leader.name}在该期间已联系{unit.name}"
    if errors:
        raise ValidationError(errors)


def do_create_contact_point(*, leader: Person, unit: Unit, start_date: datetime.date, acting_user: Any,
                            end_date: datetime.date | None = None, note: str = "") -> ContactPoint:
    _require(can_manage_unit(acting_user, unit.pk), acting_user, COORDINATE_DENIED, object_type="org.contactpoint")
    _check_contact(leader, unit, start_date, end_date)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        return ContactPoint.objects.create(leader=leader, unit=unit, start_date=start_date, end_date=end_date,
                                           note=(note or "").strip()[:300])


def do_update_contact_point(point: ContactPoint, *, acting_user: Any, expected_version: int | None,
                            **fields: Any) -> ContactPoint:
    """Change the period or the note (e.g. end it); leader and unit stay — register a new one instead."""
    _require(can_manage_unit(acting_user, point.unit_id), acting_user, "无权修改该联系点", obj=point)
    unknown = set(fields) - {"start_date", "end_date", "note"}
    if unknown:
        raise ValidationError(f"不能修改：{'、'.join(sorted(unknown))}")
    start = fields.get("start_date", point.start_date)
    end = fields.get("end_date", point.end_date)
    _check_contact(point.leader, point.unit, start, end, exclude=point.pk)
    if "note" in fields:
        fields["note"] = (fields["note"] or "").strip()[:300]
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(ContactPoint, point.pk, expected_version)
        return _bump(current, **fields)
