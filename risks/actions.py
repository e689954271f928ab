"""Every write of the risks module: `do_<verb>_<noun>` functions, one transaction each, audited.

The loop (早发现、早预警、早处置):

    screening self-check ─▶ risk (likelihood × impact → level) ─▶ 挂牌督办 for 重大 risks
        ─▶ rectification steps (ledger tasks, source_kind RISK) ─▶ 申请销号 with evidence
        ─▶ 验收 by a reviewer who is not the owner ─▶ 已销号 ─▶ 回头看: passed, or re-opened with new tasks

A refused write is logged as DENIED (core.audit.deny) *before* any transaction opens, so the entry
survives. A write based on an older `version` is refused with RiskConflict (a ledger ConflictError).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core import audit, workdays
from core.audit import deny
from core.caching import reuse
from core.models import AuditAction, StoredFile
from core.notify import notify
from core.roles import LEADERSHIP_ROLES, LEADING_ROLES, Role
from core.scoping import access_for, has_role, is_admin, unit_in_scope
from ledger.actions import ConflictError, complete_by_source, create_task, tasks_raised_by
from ledger.choices import SourceKind, SupervisionLevel, TaskStatus
from risks.choices import (
    CADENCE_DAYS,
    LEVEL_RANK,
    OPEN_STATUSES,
    AnswerResult,
    Cadence,
    CampaignKind,
    CampaignStatus,
    CheckStatus,
    EventKind,
    RiskLevel,
    RiskSource,
    RiskStatus,
    StepKind,
)
from risks.models import (
    SCALE,
    Risk,
    RiskDomain,
    RiskEvent,
    RiskFlag,
    RiskPoint,
    RiskSettings,
    RiskStep,
    ScreeningCampaign,
    SelfCheck,
    SelfCheckAnswer,
)

RISK_FIELDS = frozenset({"title", "description", "domain", "likelihood", "impact", "owner", "measures", "deadline",
                         "source"})
MAX_GROUP = 30


class RiskConflict(ConflictError):
    """Someone else changed the risk (or the self-check, or the matrix) since it was loaded."""

    def __init__(self, what: str = "该风险") -> None:
        ValidationError.__init__(self, f"{what}已被他人修改，请刷新页面查看最新内容后再提交", code="conflict")


# --- who may do what --------------------------------------------------------------------------------


def is_coordinator(user: Any) -> bool:
    """The coordinating office (its heads), the 第一责任人 and administrators run screening and the matrix."""
    access = access_for(user)
    if access.is_admin or Role.FIRST_RESPONSIBLE in access.roles:
        return True

    def compute() -> bool:
        from org.models import RoleAssignment

        return RoleAssignment.objects.filter(
            person__user_id=getattr(user, "pk", None), person__is_active=True, role__in=LEADING_ROLES,
            unit__is_coordinator=True,
        ).exists()

    return reuse(f"risks:coordinator:{getattr(user, 'pk', None)}", compute, holder=user)


def can_register(user: Any, unit_id: int | None) -> bool:
    """Register a risk: anyone of the unit, its heads and leaders."""
    return unit_in_scope(user, unit_id, "work")


def can_manage(user: Any, risk: Risk) -> bool:
    """Edit, raise rectification steps: the unit's heads, leaders over it, administrators."""
    return is_admin(user) or (has_role(user, *LEADING_ROLES) and unit_in_scope(user, risk.unit_id, "change"))


def can_flag(user: Any, risk: Risk) -> bool:
    """挂牌督办: a leader over the unit (第一责任人, 分管领导, 班子成员) or an administrator."""
    return is_admin(user) or (has_role(user, *LEADERSHIP_ROLES) and unit_in_scope(user, risk.unit_id, "change"))


def _leads(user: Any, unit_id: int) -> bool:
    return is_admin(user) or (has_role(user, *LEADERSHIP_ROLES) and unit_in_scope(user, unit_id, "change"))


def can_request_close(user: Any, risk: Risk) -> bool:
    return unit_in_scope(user, risk.unit_id, "work")


def _is_owner(user: Any, risk: Risk) -> bool:
    return bool(risk.owner_id) and risk.owner is not None and risk.owner.user_id == getattr(user, "pk", None)


def can_verify(user: Any, risk: Risk) -> bool:
    """验收销号 and 回头看: never the owner; a leader over the unit, the coordinating office's heads
    (for the risks they see) or an administrator. The unit's own heads and staff do not verify their
    own rectification."""
    if _is_owner(user, risk):
        return False
    if is_admin(user):
        return True
    if not unit_in_scope(user, risk.unit_id, "view"):
        return False
    if has_role(user, *LEADERSHIP_ROLES) and unit_in_scope(user, risk.unit_id, "change"):
        return True
    return is_coordinator(user) and access_for(user).own_unit_id != risk.unit_id


# --- levels and the matrix --------------------------------------------------------------------------


def _rating(value: Any, field: str, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: f"{label}须为 1–{SCALE} 的整数"}) from None
    if isinstance(value, bool) or not 1 <= number <= SCALE:
        raise ValidationError({field: f"{label}须为 1–{SCALE} 的整数"})
    return number


def level_for(likelihood: Any, impact: Any, settings: RiskSettings | None = None) -> str:
    """The level the matrix gives; ValidationError for ratings outside 1..5."""
    likelihood = _rating(likelihood, "likelihood", "可能性")
    impact = _rating(impact, "impact", "影响程度")
    return (settings or RiskSettings.current()).level_for(likelihood, impact)


def clean_matrix(matrix: Any) -> list[list[str]]:
    """Validate the whole matrix: 5×5, known levels, never lower when likelihood or impact rises."""
    if not isinstance(matrix, list) or len(matrix) != SCALE:
        raise ValidationError({"matrix": f"等级矩阵须为 {SCALE}×{SCALE}"})
    rows: list[list[str]] = []
    for i, row in enumerate(matrix, start=1):
        if not isinstance(row, list) or len(row) != SCALE:
            raise ValidationError({"matrix": f"第 {i} 行（可能性 {i}）须有 {SCALE} 个等级"})
        for j, cell in enumerate(row, start=1):
            if cell not in RiskLevel.values:
                raise ValidationError({"matrix": f"可能性 {i} × 影响 {j}：“{cell}”不是有效的风险等级"})
        rows.append(list(row))
    for i in range(SCALE):
        for j in range(SCALE):
            rank = LEVEL_RANK[rows[i][j]]
            if i and LEVEL_RANK[rows[i - 1][j]] < rank:
                raise ValidationError({"matrix": f"可能性 {i + 1} × 影响 {j + 1} 的等级低于可能性 {i} 的，可能性越高等级不应越低"})
            if j and LEVEL_RANK[rows[i][j - 1]] < rank:
                raise ValidationError({"matrix": f"可能性 {i + 1} × 影响 {j + 1} 的等级低于影响 {j} 的，影响越大等级不应越低"})
    return rows


def do_update_matrix(matrix: Any, *, acting_user: Any, expected_version: int | None = None) -> RiskSettings:
    """Save the matrix and re-level the open risks it changes (closed ones keep their history)."""
    if not is_coordinator(acting_user):
        deny(acting_user, "仅牵头协调单位负责人、第一责任人或系统管理员可修改风险等级矩阵",
             object_type="risks.risksettings")
    rows = clean_matrix(matrix)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        settings = RiskSettings.objects.select_for_update().order_by("pk").first()
        if settings is None:
            settings = RiskSettings(matrix=rows)
        elif expected_version is not None and settings.version != expected_version:
            raise RiskConflict("风险等级矩阵")
        else:
            settings.matrix = rows
            settings.version += 1
        settings.save()
        moved = 0
        for i in range(SCALE):
            for j in range(SCALE):
                level = rows[i][j]
                moved += (Risk.objects.filter(status__in=OPEN_STATUSES, likelihood=i + 1, impact=j + 1)
                          .exclude(level=level).update(level=level, level_rank=LEVEL_RANK[level],
                                                       version=models.F("version") + 1))
        if moved:
            audit.record(AuditAction.UPDATE, object_type="risks.risk", object_repr="按新等级矩阵重新定级",
                         changes={"relevelled": moved})
    return settings


# --- domains and checklist points -------------------------------------------------------------------


def _require_coordinator(user: Any, message: str, object_type: str) -> None:
    # The system account is the scheduler launching the monthly 日常排查 (audited as such).
    if not is_coordinator(user) and not getattr(user, "is_system", False):
        deny(user, message, object_type=object_type)


def do_save_domain(domain: RiskDomain | None, *, name: str, sort_order: int = 0, is_active: bool = True,
                   acting_user: Any) -> RiskDomain:
    _require_coordinator(acting_user, "仅牵头协调单位负责人或管理员可维护风险领域", "risks.riskdomain")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "请填写领域名称"})
    if len(name) > 50:
        raise ValidationError({"name": "领域名称不超过 50 个字"})
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            domain = domain or RiskDomain()
            domain.name, domain.sort_order, domain.is_active = name, int(sort_order or 0), bool(is_active)
            domain.save()
    except IntegrityError:
        raise ValidationError({"name": "已有同名的风险领域"}) from None
    return domain


def do_save_point(point: RiskPoint | None, *, domain: RiskDomain, text: str, sort_order: int = 0,
                  is_active: bool = True, acting_user: Any) -> RiskPoint:
    _require_coordinator(acting_user, "仅牵头协调单位负责人或管理员可维护排查清单", "risks.riskpoint")
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": "请填写风险点"})
    if len(text) > 300:
        raise ValidationError({"text": "风险点不超过 300 个字"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        point = point or RiskPoint()
        point.domain, point.text = domain, text
        point.sort_order, point.is_active = int(sort_order or 0), bool(is_active)
        point.save()
    return point


# --- screening --------------------------------------------------------------------------------------


def do_launch_campaign(
    *,
    kind: str,
    title: str,
    start_date: datetime.date,
    due_date: datetime.date,
    units: Sequence[Any],
    domains: Sequence[RiskDomain] = (),
    description: str = "",
    acting_user: Any,
    today: datetime.date | None = None,
) -> ScreeningCampaign:
    """Start a screening round: each target unit gets a self-check with the checklist as it is now."""
    _require_coordinator(acting_user, "仅牵头协调单位负责人或管理员可发起排查", "risks.screeningcampaign")
    today = today or timezone.localdate()
    if kind not in CampaignKind.values:
        raise ValidationError({"kind": "排查类型无效"})
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "请填写排查名称"})
    if due_date < start_date:
        raise ValidationError({"due_date": "填报截止不能早于开始日期"})
    if due_date < today:
        raise ValidationError({"due_date": "填报截止不能早于今天"})
    units = [u for u in dict.fromkeys(units) if u.is_active]
    if not units:
        raise ValidationError({"units": "请选择参加排查的单位"})
    domains = list(domains) or list(RiskDomain.objects.filter(is_active=True))
    points = list(RiskPoint.objects.filter(domain__in=domains, domain__is_active=True, is_active=True)
                  .order_by("domain__sort_order", "domain_id", "sort_order", "id"))
    if not points:
        raise ValidationError({"domains": "所选领域没有启用的风险点，请先维护排查清单"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        campaign = ScreeningCampaign.objects.create(
            kind=kind, title=title[:200], description=description, start_date=start_date, due_date=due_date,
            created_by=acting_user,
        )
        campaign.domains.set(domains)
        checks = SelfCheck.objects.bulk_create([SelfCheck(campaign=campaign, unit=u) for u in units])
        answers = [
            SelfCheckAnswer(check_record=check, point=p, domain_id=p.domain_id, order=n, text=p.text)
            for check in checks for n, p in enumerate(points, start=1)
        ]
        SelfCheckAnswer.objects.bulk_create(answers, batch_size=2000)
        audit.record(AuditAction.CREATE, obj=campaign,
                     changes={"units": [u.pk for u in units], "points": len(points)})
        # Filling in is work with a deadline: each unit's self-check is a ledger task, so reminders,
        # lights and overdue escalation apply; submitting the self-check closes it.
        for check in checks:
            create_task(unit=check.unit, title=f"填报自查：{campaign.title}"[:200], due_date=due_date,
                        acting_user=acting_user, source=check, source_kind=SourceKind.RISK, check_scope=False,
                        origin=campaign.get_kind_display(),
                        description=f"{campaign.get_kind_display()}，填报截止 {due_date:%Y-%m-%d}。")
    return campaign


def launch_monthly_screening(today: datetime.date | None = None) -> ScreeningCampaign | None:
    """日常排查 is monthly per unit: on the month's first working day the system launches it for
    every active office, section and affiliated unit, due on the month's last working day. Once a
    month (a 日常 campaign starting this month means done); nothing without checklist points."""
    from org.models import Unit

    today = today or timezone.localdate()
    if today != workdays.first_workday_of_month(today.year, today.month):
        return None
    month_start = today.replace(day=1)
    if ScreeningCampaign.objects.filter(kind=CampaignKind.DAILY, start_date__gte=month_start).exists():
        return None
    if not RiskPoint.objects.filter(is_active=True, domain__is_active=True).exists():
        return None
    units = list(Unit.objects.filter(is_active=True, kind__in=["office", "section", "affiliate"]).order_by("path"))
    if not units:
        return None
    with audit.system_context(via="task"):
        return do_launch_campaign(
            kind=CampaignKind.DAILY, title=f"{today.year}年{today.month}月日常排查", start_date=today,
            due_date=workdays.last_workday_of_month(today.year, today.month), units=units,
            acting_user=audit.system_user(), today=today,
            description="按工作要点每月开展一次日常排查：逐项自查本单位各风险点，发现问题如实填报。")


def do_close_campaign(campaign: ScreeningCampaign, *, acting_user: Any) -> ScreeningCampaign:
    _require_coordinator(acting_user, "仅牵头协调单位负责人或管理员可结束排查", "risks.screeningcampaign")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        campaign.status = CampaignStatus.CLOSED
        campaign.save()
    return campaign


def _clean_answer(answer: SelfCheckAnswer, data: dict[str, Any], submit: bool) -> dict[str, Any]:
    result = data.get("result") or ""
    if result and result not in AnswerResult.values:
        raise ValidationError({"answers": f"第 {answer.order} 项：自查结论无效"})
    note = " ".join(str(data.get("note") or "").split())[:1000]
    values: dict[str, Any] = {"result": result, "note": note, "likelihood": None, "impact": None}
    if result == AnswerResult.RISK:
        for field, label in (("likelihood", "可能性"), ("impact", "影响程度")):
            raw = data.get(field)
            if raw in (None, ""):
                if submit:
                    raise ValidationError({"answers": f"第 {answer.order} 项存在风险：请评定{label}（1–{SCALE}）"})
                continue
            try:
                values[field] = _rating(raw, field, label)
            except ValidationError:
                raise ValidationError({"answers": f"第 {answer.order} 项：{label}须为 1–{SCALE} 的整数"}) from None
        if submit and not note:
            raise ValidationError({"answers": f"第 {answer.order} 项存在风险：请说明具体情况"})
    if submit and not result:
        raise ValidationError({"answers": f"第 {answer.order} 项（{answer.text[:30]}）尚未填写自查结论"})
    return values


def can_fill(user: Any, check: SelfCheck) -> bool:
    return unit_in_scope(user, check.unit_id, "work")


def do_save_self_check(
    check: SelfCheck,
    *,
    answers: dict[int, dict[str, Any]],
    summary: str = "",
    submit: bool = False,
    acting_user: Any,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> SelfCheck:
    """Save a unit's answers (draft) or submit them; each 存在风险 answer becomes a risk in the register."""
    if not can_fill(acting_user, check):
        deny(acting_user, "仅本单位人员可以填报自查", obj=check)
    today = today or timezone.localdate()
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = SelfCheck.objects.select_for_update().select_related("campaign", "unit").get(pk=check.pk)
        if expected_version is not None and current.version != expected_version:
            raise RiskConflict("该自查表")
        if current.status == CheckStatus.SUBMITTED:
            raise ValidationError("自查已提交，不能再修改")
        if current.campaign.status != CampaignStatus.OPEN:
            raise ValidationError("排查已结束，不能再填报")
        rows = list(current.answers.order_by("order", "id"))
        unknown = set(answers) - {a.pk for a in rows}
        if unknown:
            raise ValidationError({"answers": "提交了不属于该自查表的条目"})
        for answer in rows:
            data = answers.get(answer.pk)
            if data is None:
                if submit and not answer.result:
                    raise ValidationError({"answers": f"第 {answer.order} 项（{answer.text[:30]}）尚未填写自查结论"})
                continue
            values = _clean_answer(answer, data, submit)
            changed = {k: v for k, v in values.items() if getattr(answer, k) != v}
            if changed:
                for key, value in changed.items():
                    setattr(answer, key, value)
                answer.save()
        if submit:
            _raise_screening_risks(current, rows, acting_user, today)
            current.status, current.submitted_at, current.submitted_by = (
                CheckStatus.SUBMITTED, timezone.now(), acting_user)
            for task in tasks_raised_by(current).exclude(status=TaskStatus.DONE):
                complete_by_source(task, acting_user=acting_user, text="自查表已提交")
        else:
            current.status = CheckStatus.DRAFT
        current.summary = (summary or "").strip()[:5000]
        current.version += 1
        current.save()
    return current


def _raise_screening_risks(check: SelfCheck, rows: list[SelfCheckAnswer], user: Any, today: datetime.date) -> None:
    deadline = workdays.add_workdays(today, 20)
    for answer in rows:
        if answer.result != AnswerResult.RISK or answer.risk_id:
            continue
        risk = create_risk(
            unit=check.unit, title=f"{answer.text[:150]}", description=answer.note or answer.text,
            domain=answer.domain, likelihood=answer.likelihood, impact=answer.impact, deadline=deadline,
            source=RiskSource.SCREENING, source_object=answer, acting_user=user, check_scope=False, today=today,
        )
        answer.risk = risk
        answer.save()


# --- the register -----------------------------------------------------------------------------------


def check_deadline(deadline: Any, today: datetime.date | None = None, field: str = "deadline") -> datetime.date:
    """Deadlines are working days, today or later."""
    from ledger.forms import workday_problem

    today = today or timezone.localdate()
    if not isinstance(deadline, datetime.date):
        raise ValidationError({field: "请填写整改时限（YYYY-MM-DD）"})
    if deadline < today:
        raise ValidationError({field: f"时限 {deadline:%Y-%m-%d} 早于今天，请选择今天或以后的工作日"})
    problem = workday_problem(deadline)
    if problem:
        raise ValidationError({field: problem})
    return deadline


def _check_owner(owner: Any, unit: Any) -> None:
    if owner is not None and (owner.unit_id != unit.pk or not owner.is_active):
        raise ValidationError({"owner": "责任人须为责任单位的在岗人员"})


def _event(risk: Risk, kind: str, user: Any, text: str = "", files: Iterable[StoredFile] = ()) -> RiskEvent:
    event = RiskEvent.objects.create(risk=risk, kind=kind, author=user, text=text)
    files = list(files)
    if files:
        event.files.set(files)
    return event


def create_risk(
    *,
    unit: Any,
    title: str,
    description: str,
    domain: RiskDomain,
    likelihood: Any,
    impact: Any,
    deadline: datetime.date,
    acting_user: Any,
    owner: Any = None,
    measures: str = "",
    source: str = RiskSource.OTHER,
    source_object: models.Model | None = None,
    check_scope: bool = True,
    today: datetime.date | None = None,
) -> Risk:
    """Register a risk. Other modules pass `source_object` (an opinion incident, an inspection finding)."""
    if check_scope and not can_register(acting_user, unit.pk):
        deny(acting_user, "无权为该单位登记风险", object_type="risks.risk")
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "请填写风险名称"})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": "请填写风险描述"})
    if source not in RiskSource.values:
        raise ValidationError({"source": "风险来源无效"})
    if domain is None:
        raise ValidationError({"domain": "请选择领域"})
    level = level_for(likelihood, impact)
    check_deadline(deadline, today)
    _check_owner(owner, unit)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        risk = Risk.objects.create(
            unit=unit, title=title[:200], description=description, domain=domain, source=source,
            source_type=ContentType.objects.get_for_model(source_object) if source_object is not None else None,
            source_id=source_object.pk if source_object is not None else None,
            likelihood=int(likelihood), impact=int(impact), level=level, owner=owner, measures=measures or "",
            deadline=deadline, created_by=acting_user if getattr(acting_user, "pk", None) else None,
        )
        _event(risk, EventKind.CREATED, acting_user,
               f"登记为{risk.get_level_display()}风险（可能性 {risk.likelihood} × 影响 {risk.impact}）")
    return risk


do_create_risk = create_risk


def _locked(risk: Risk, expected_version: int | None) -> Risk:
    current = Risk.objects.select_for_update().get(pk=risk.pk)
    if expected_version is not None and current.version != expected_version:
        raise RiskConflict()
    return current


def _save(risk: Risk, **fields: Any) -> Risk:
    for name, value in fields.items():
        setattr(risk, name, value)
    risk.version += 1
    risk.save()
    return risk


def do_update_risk(risk: Risk, *, acting_user: Any, expected_version: int | None = None,
                   today: datetime.date | None = None, **fields: Any) -> Risk:
    """Edit the register entry; a new likelihood or impact re-levels it through the matrix."""
    if not can_manage(acting_user, risk):
        deny(acting_user, "仅责任单位负责人或分管领导可修改风险", obj=risk)
    unknown = set(fields) - RISK_FIELDS
    if unknown:
        raise ValidationError(f"不能修改：{'、'.join(sorted(unknown))}")
    if "title" in fields:
        fields["title"] = " ".join((fields["title"] or "").split())[:200]
        if not fields["title"]:
            raise ValidationError({"title": "请填写风险名称"})
    if "description" in fields and not (fields["description"] or "").strip():
        raise ValidationError({"description": "请填写风险描述"})
    if "source" in fields and fields["source"] not in RiskSource.values:
        raise ValidationError({"source": "风险来源无效"})
    if "domain" in fields and fields["domain"] is None:
        raise ValidationError({"domain": "请选择领域"})
    if "owner" in fields:
        _check_owner(fields["owner"], risk.unit)
    if "deadline" in fields and fields["deadline"] != risk.deadline:
        check_deadline(fields["deadline"], today)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(risk, expected_version)
        if current.status == RiskStatus.CLOSED:
            raise ValidationError("风险已销号，不能修改；如需重新整改请通过回头看")
        likelihood = fields.get("likelihood", current.likelihood)
        impact = fields.get("impact", current.impact)
        fields["level"] = level_for(likelihood, impact)
        if "likelihood" in fields:
            fields["likelihood"] = int(likelihood)
        if "impact" in fields:
            fields["impact"] = int(impact)
        if current.is_flagged and fields["level"] != RiskLevel.MAJOR:
            raise ValidationError({"impact": "挂牌督办中的风险须保持重大等级；请先完成督办销号"})
        changed = [f for f, v in fields.items() if getattr(current, f) != v]
        _save(current, **fields)
        if changed:
            labels = "、".join(str(Risk._meta.get_field(f).verbose_name) for f in changed)
            _event(current, EventKind.UPDATED, acting_user, f"修改了{labels}")
    return current


def _open_steps(risk: Risk) -> models.QuerySet:
    return RiskStep.objects.filter(risk=risk).exclude(task__status=TaskStatus.DONE)


def do_add_step(
    risk: Risk,
    *,
    title: str,
    due_date: datetime.date,
    acting_user: Any,
    owner: Any = None,
    description: str = "",
    kind: str = StepKind.RECTIFY,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> RiskStep:
    """A rectification step: a ledger task of the risk's unit, linked back to the risk."""
    if not can_manage(acting_user, risk):
        deny(acting_user, "仅责任单位负责人或分管领导可交办整改任务", obj=risk)
    check_deadline(due_date, today, field="due_date")
    _check_owner(owner, risk.unit)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(risk, expected_version)
        if current.status not in (RiskStatus.OPEN, RiskStatus.RECTIFYING):
            raise ValidationError(f"风险当前为“{current.get_status_display()}”，不能再交办整改任务")
        step = _new_step(current, kind, title, due_date, acting_user, owner=owner, description=description)
        _save(current, status=RiskStatus.RECTIFYING)
        _event(current, EventKind.STEP, acting_user, f"{step.get_kind_display()}：{step.task.title}（{due_date:%Y-%m-%d}）")
    return step


def _new_step(risk: Risk, kind: str, title: str, due: datetime.date, user: Any, *, owner: Any = None,
              description: str = "", leader: Any = None) -> RiskStep:
    task = create_task(
        unit=risk.unit, title=title, due_date=due, acting_user=user, owner=owner or risk.owner,
        description=description, source=risk, source_kind=SourceKind.RISK,
        origin=f"风险隐患：{risk.title}"[:300], supervising_leader=leader, check_scope=False,
    )
    return RiskStep.objects.create(risk=risk, task=task, kind=kind, round=risk.reopen_count)


# --- 挂牌督办 ---------------------------------------------------------------------------------------


def next_report_due(start: datetime.date, cadence: str) -> datetime.date:
    """A progress report is due one cadence after `start`, on the next working day if that is not one."""
    return workdays.next_workday(start + datetime.timedelta(days=CADENCE_DAYS[cadence]), include_self=True)


def do_flag_risk(
    risk: Risk,
    *,
    leader: Any,
    group: Sequence[Any],
    group_name: str,
    cadence: str,
    order: str,
    acting_user: Any,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> RiskFlag:
    """挂牌督办 a 重大 risk: a ledger 督办 (major, 13710) on the flag task, a working group, and
    progress reports due as ledger tasks at the cadence."""
    from ledger.supervision import do_issue_supervision

    if not can_flag(acting_user, risk):
        deny(acting_user, "仅分管该单位的领导可以挂牌督办", obj=risk)
    if leader is None:
        raise ValidationError({"leader": "请指定督办领导"})
    if leader.pk != acting_user.pk and not is_admin(acting_user):
        deny(acting_user, "只能以本人名义挂牌督办", obj=risk)
    if cadence not in Cadence.values:
        raise ValidationError({"cadence": "进展报告频次无效"})
    group_name = " ".join((group_name or "").split())
    if not group_name:
        raise ValidationError({"group_name": "请填写工作专班名称"})
    group = list(dict.fromkeys(group))
    if not group:
        raise ValidationError({"group": "请选择专班成员"})
    if len(group) > MAX_GROUP:
        raise ValidationError({"group": f"专班成员不超过 {MAX_GROUP} 人"})
    if any(not p.is_active or not unit_in_scope(acting_user, p.unit_id, "view") for p in group):
        raise ValidationError({"group": "专班成员须为在岗且在您权限范围内的人员"})
    order = (order or "").strip()
    if not order:
        raise ValidationError({"order": "请填写督办要求"})
    if not _leads(leader, risk.unit_id):
        raise ValidationError({"leader": "督办领导须为分管该单位的领导"})
    today = today or timezone.localdate()
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(risk, expected_version)
        if current.level != RiskLevel.MAJOR:
            raise ValidationError("仅重大风险可以挂牌督办")
        if current.status == RiskStatus.CLOSED:
            raise ValidationError("风险已销号，无需挂牌督办")
        if current.is_flagged or RiskFlag.objects.filter(risk=current).exists():
            raise ValidationError("该风险已挂牌督办")
        due = max(current.deadline, workdays.next_workday(today, include_self=True))
        step = _new_step(current, StepKind.FLAG, f"挂牌督办：{current.title}", due, acting_user, leader=leader,
                         description=order)
        supervision = do_issue_supervision(step.task, leader=leader, order=order, level=SupervisionLevel.MAJOR,
                                           acting_user=acting_user, today=today)
        flag = RiskFlag.objects.create(risk=current, leader=leader, group_name=group_name[:100], cadence=cadence,
                                       order=order, supervision=supervision)
        flag.group.set(group)
        _add_progress_report(flag, current, today, acting_user)
        _save(current, is_flagged=True, status=RiskStatus.RECTIFYING)
        names = "、".join(p.name for p in group)
        _event(current, EventKind.FLAGGED, acting_user,
               f"督办领导 {leader}；工作专班“{group_name}”（{names}）；{flag.get_cadence_display()}。{order}")
    return flag


def _add_progress_report(flag: RiskFlag, risk: Risk, start: datetime.date, user: Any) -> RiskStep:
    due = next_report_due(start, flag.cadence)
    flag.report_count += 1
    flag.next_report_on = due
    flag.save()
    return _new_step(risk, StepKind.PROGRESS, f"挂牌督办进展报告（第{flag.report_count}期）：{risk.title}", due, user,
                     leader=flag.leader, description=f"{flag.get_cadence_display()}：报送整改进展与下一步措施")


def roll_progress_reports(today: datetime.date | None = None) -> int:
    """The periodic job: when a report period ends, the next report of each flagged open risk is due."""
    today = today or timezone.localdate()
    made = 0
    with audit.system_context(via="task"):
        user = audit.current().actor
        due = (RiskFlag.objects.filter(next_report_on__lte=today, risk__status__in=OPEN_STATUSES)
               .select_related("risk__unit", "risk__owner", "leader"))
        for flag in due:
            with transaction.atomic():
                locked = RiskFlag.objects.select_for_update().get(pk=flag.pk)
                if locked.next_report_on is None or locked.next_report_on > today:
                    continue  # another run took it
                locked.risk = flag.risk
                locked.leader = flag.leader
                _add_progress_report(locked, flag.risk, locked.next_report_on, user)
                made += 1
    return made


# --- close-out (销号) and follow-up (回头看) ---------------------------------------------------------


def _reviewers(risk: Risk) -> list[Any]:
    from ledger.supervision import Directory

    directory = Directory()
    if risk.is_flagged and hasattr(risk, "flag"):
        return [risk.flag.leader]
    return directory.users(directory.leader_ids(risk.unit))


def _unit_side(risk: Risk) -> list[Any]:
    from ledger.supervision import Directory

    directory = Directory()
    users = directory.users(directory.head_ids(risk.unit))
    if risk.owner_id and risk.owner.user_id and risk.owner.user not in users:
        users.insert(0, risk.owner.user)
    return users


def _url(risk: Risk) -> str:
    from django.urls import reverse

    return reverse("risks:risk_detail", args=[risk.pk])


def do_request_close(risk: Risk, *, text: str, files: Sequence[StoredFile], acting_user: Any,
                     expected_version: int | None = None) -> Risk:
    """申请销号: the unit reports the result with evidence, once every step of the risk is done."""
    if not can_request_close(acting_user, risk):
        deny(acting_user, "仅责任单位人员可以申请销号", obj=risk)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请填写整改结果"})
    if not files:
        raise ValidationError({"files": "申请销号须上传整改佐证材料"})
    if any(f.unit_id != risk.unit_id for f in files):
        raise ValidationError({"files": "佐证材料须为本风险上传的文件"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(risk, expected_version)
        if current.status not in (RiskStatus.OPEN, RiskStatus.RECTIFYING):
            raise ValidationError(f"风险当前为“{current.get_status_display()}”，不能申请销号")
        if not RiskStep.objects.filter(risk=current).exists():
            raise ValidationError("尚未交办任何整改任务，不能申请销号")
        still_open = _open_steps(current).count()
        if still_open:
            raise ValidationError(f"尚有 {still_open} 项整改任务未完成，完成后方可申请销号")
        _save(current, status=RiskStatus.PENDING_REVIEW, close_note=text)
        _event(current, EventKind.REQUESTED, acting_user, text, files)
        notify(_reviewers(current), f"风险申请销号：{current.title[:30]}", f"{acting_user}申请销号：{text}",
               url=_url(current), level="reminder", category="risks")
    return current


def _require_verifier(user: Any, risk: Risk, verb: str) -> None:
    if _is_owner(user, risk):
        deny(user, f"风险责任人不能{verb}自己负责的风险", obj=risk)
    if not can_verify(user, risk):
        deny(user, f"仅分管领导、牵头协调单位或系统管理员可以{verb}", obj=risk)


def _last_request(risk: Risk) -> RiskEvent | None:
    return risk.events.filter(kind=EventKind.REQUESTED).order_by("-at", "-id").first()


def do_verify_close(risk: Risk, *, comment: str = "", acting_user: Any, expected_version: int | None = None) -> Risk:
    """验收销号: a reviewer who is not the owner (nor the one who asked) checks the evidence; closed."""
    _require_verifier(acting_user, risk, "验收销号")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(risk, expected_version)
        if current.status != RiskStatus.PENDING_REVIEW:
            raise ValidationError(f"风险当前为“{current.get_status_display()}”，尚未申请销号")
        request = _last_request(current)
        if request is None or not request.files.exists():
            raise ValidationError("销号申请没有佐证材料，不能销号")
        if request.author_id == acting_user.pk:
            raise ValidationError("申请人不能验收自己的销号申请")
        _save(current, status=RiskStatus.CLOSED, closed_at=timezone.now(), closed_by=acting_user)
        _event(current, EventKind.CLOSED, acting_user, (comment or "").strip() or "验收通过，予以销号")
        notify(_unit_side(current), f"风险已销号：{current.title[:30]}", f"{acting_user}验收通过并销号。",
               url=_url(current), category="risks")
    return current


def do_reject_close(risk: Risk, *, comment: str, acting_user: Any, expected_version: int | None = None) -> Risk:
    """验收退回: the evidence does not convince; back to rectification with the reason."""
    _require_verifier(acting_user, risk, "退回销号申请")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "请填写退回理由"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(risk, expected_version)
        if current.status != RiskStatus.PENDING_REVIEW:
            raise ValidationError(f"风险当前为“{current.get_status_display()}”，只有待验收的风险可以退回")
        _save(current, status=RiskStatus.RECTIFYING)
        _event(current, EventKind.REJECTED, acting_user, comment)
        notify(_unit_side(current), f"销号申请被退回：{current.title[:30]}", f"理由：{comment}", url=_url(current),
               level="warning", category="risks")
    return current


def do_follow_up(
    risk: Risk,
    *,
    passed: bool,
    text: str,
    acting_user: Any,
    task_title: str = "",
    task_due: datetime.date | None = None,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Risk:
    """回头看 on a closed risk: passed (recorded), or failed — re-opened with a new rectification task."""
    _require_verifier(acting_user, risk, "开展回头看")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请填写回头看情况"})
    if not passed:
        task_title = " ".join((task_title or "").split())
        if not task_title:
            raise ValidationError({"task_title": "回头看未通过：请填写重新整改的任务"})
        check_deadline(task_due, today, field="task_due")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(risk, expected_version)
        if current.status != RiskStatus.CLOSED:
            raise ValidationError("只有已销号的风险可以回头看")
        if passed:
            _event(current, EventKind.FOLLOW_UP_PASSED, acting_user, text)
            _save(current)
            return current
        _save(current, status=RiskStatus.RECTIFYING, closed_at=None, closed_by=None,
              reopen_count=current.reopen_count + 1)
        _event(current, EventKind.REOPENED, acting_user, text)
        step = _new_step(current, StepKind.FOLLOW_UP, task_title, task_due, acting_user, description=text)
        _event(current, EventKind.STEP, acting_user, f"{step.get_kind_display()}：{step.task.title}（{task_due:%Y-%m-%d}）")
        notify(_unit_side(current), f"回头看未通过，风险重新整改：{current.title[:30]}", text, url=_url(current),
               level="warning", category="risks")
    return current


