"""督办 (supervision), response rules, ledger settings and duty rosters: every write goes through here.

A leader's 督办 order runs under a response rule in working days (Shanxi's "13710" by default):
the unit acknowledges (签收) by day 1, reports its measures (报送措施) by day 3 and asks to close
(申请办结) by day 7 — or by the rule's longer limit for a 重大事项 — and the issuing leader grades the
close-out (优秀/良好/合格/不合格) or sends it back (退回). Every step is one transaction that writes a
SupervisionEvent, bumps `Supervision.version` (optimistic locking: a step based on an older version
is refused with a ConflictError) and notifies the other side through core.notify.

Who may do what:

- issue: holders of a leadership role (第一责任人, 分管领导, 班子成员) who can manage the task, or
  administrators (who may also issue in a leader's name);
- acknowledge / report measures / request close: whoever can work on the task (people of the unit,
  its heads and leaders), except the issuing leader (no one supervises their own reply);
- close (with a grade) / return: the issuing leader, or an administrator.

不合格 is a grade like the others: the item is closed and the failing grade is kept for assessment.
When the work should be redone instead, the leader returns it (退回) and the unit handles it again.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core import audit, workdays
from core.audit import deny
from core.models import AuditAction, StoredFile, User
from core.notify import notify
from core.roles import LEADERSHIP_ROLES, LEADING_ROLES, Role
from core.scoping import access_for, has_role, is_admin, unit_in_scope
from ledger.actions import ConflictError, can_manage, can_work_on
from ledger.choices import Grade, SupervisionLevel, SupervisionStatus, TaskStatus
from ledger.models import (
    Duty,
    DutyLog,
    DutyShift,
    LedgerSettings,
    ResponseRule,
    Supervision,
    SupervisionEvent,
    Task,
)

DEFAULT_RULE_NAME = "13710"
DEFAULT_RULE = {"ack_days": 1, "measures_days": 3, "close_days": 7, "major_close_days": 22}
MAX_RULE_DAYS = 250  # about a year of working days
MAX_SETTING_DAYS = 60
MAX_REMIND_OFFSETS = 5
MAX_ROTATION_DAYS = 366

OPEN_STATUSES = (
    SupervisionStatus.ISSUED,
    SupervisionStatus.ACKNOWLEDGED,
    SupervisionStatus.MEASURES,
    SupervisionStatus.CLOSING,
    SupervisionStatus.RETURNED,
)
# The unit is working on it: it may report (more) measures or ask to close.
HANDLING_STATUSES = (SupervisionStatus.ACKNOWLEDGED, SupervisionStatus.MEASURES, SupervisionStatus.RETURNED)


class SupervisionConflict(ConflictError):
    """Someone else moved the supervision on since the page was loaded."""

    def __init__(self) -> None:
        ValidationError.__init__(
            self, "该督办事项已被他人处理或更新，请刷新页面查看最新状态后再提交", code="conflict"
        )


# --- small helpers --------------------------------------------------------------------------------


def _short(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cn_date(d: datetime.date | None) -> str:
    if d is None:
        return "—"
    return f"{d.year}年{d.month}月{d.day}日（周{'一二三四五六日'[d.weekday()]}）"


def supervision_url(sup: Supervision) -> str:
    return reverse("ledger:supervision_detail", args=[sup.pk])


def task_url(task: Task | int) -> str:
    """The task's page when the ledger UI provides one, else the ledger list."""
    pk = task if isinstance(task, int) else task.pk
    try:
        return reverse("ledger:task_detail", args=[pk])
    except NoReverseMatch:
        try:
            return reverse("ledger:task_list")
        except NoReverseMatch:
            return ""


def _active_users(ids: Iterable[int | None]) -> list[User]:
    wanted = [pk for pk in dict.fromkeys(ids) if pk]
    if not wanted:
        return []
    users = User.objects.in_bulk(wanted)
    return [users[pk] for pk in wanted if pk in users and users[pk].is_active]


# --- who heads and who leads a unit ---------------------------------------------------------------


class Directory:
    """Unit heads and leaders of every unit, read once (for one job run, or one action)."""

    ROLES = (Role.UNIT_HEAD, Role.DIRECT_RESPONSIBLE, Role.LEADER_MEMBER, Role.FIRST_RESPONSIBLE)

    def __init__(self) -> None:
        from org.models import RoleAssignment

        self._rows: list[tuple[str, str, int]] = list(
            RoleAssignment.objects.filter(
                role__in=self.ROLES, person__is_active=True, person__user__isnull=False,
                person__user__is_active=True,
            ).values_list("role", "unit__path", "person__user_id")
        )
        self._users: dict[int, User] | None = None
        self._heads: dict[str, list[int]] = {}
        self._leaders: dict[str, list[int]] = {}
        self._members: dict[int, list[User]] = {}

    def users(self, ids: Iterable[int]) -> list[User]:
        if self._users is None:
            self._users = User.objects.in_bulk({uid for _, _, uid in self._rows})
        return [self._users[i] for i in dict.fromkeys(ids) if i in self._users]

    def _over(self, path: str, roles: Iterable[str]) -> list[tuple[str, int]]:
        roles = set(roles)
        return [(p, uid) for role, p, uid in self._rows if role in roles and p and path.startswith(p)]

    def head_ids(self, unit: Any) -> list[int]:
        """科室负责人 of the unit, or of the nearest unit above it that has one."""
        if unit.path not in self._heads:
            rows = self._over(unit.path, [Role.UNIT_HEAD])
            deepest = max((len(p) for p, _ in rows), default=0)
            self._heads[unit.path] = sorted({uid for p, uid in rows if len(p) == deepest})
        return self._heads[unit.path]

    def leader_ids(self, unit: Any) -> list[int]:
        """分管领导 and 班子成员 over the unit; the 第一责任人 when nobody else leads it."""
        if unit.path not in self._leaders:
            ids = {uid for _, uid in self._over(unit.path, [Role.DIRECT_RESPONSIBLE, Role.LEADER_MEMBER])}
            if not ids:
                ids = {uid for _, uid in self._over(unit.path, [Role.FIRST_RESPONSIBLE])}
            self._leaders[unit.path] = sorted(ids)
        return self._leaders[unit.path]

    def leadership_ids(self, unit: Any) -> list[int]:
        """Everyone in a leadership role over the unit (who may issue a 督办 on its tasks)."""
        return sorted({uid for _, uid in self._over(unit.path, LEADERSHIP_ROLES)})

    def members(self, unit: Any) -> list[User]:
        """The people of the unit who have an account (when it has neither owner nor head, e.g. 党组)."""
        if unit.pk not in self._members:
            self._members[unit.pk] = list(
                User.objects.filter(person__unit_id=unit.pk, person__is_active=True, is_active=True).order_by("pk")
            )
        return self._members[unit.pk]

    def owner_or_heads(self, task: Task) -> list[User]:
        """The task's owner when they have an account, else the unit's 科室负责人, else its people."""
        owner = task.owner.user if task.owner_id and task.owner.user_id else None
        if owner is not None and owner.is_active and task.owner.is_active:
            return [owner]
        return self.users(self.head_ids(task.unit)) or self.members(task.unit)

    def handlers(self, task: Task) -> list[User]:
        """Everyone who answers for a supervised task: its owner and the unit's heads (else its people)."""
        owner = task.owner.user if task.owner_id and task.owner.user_id else None
        users = self.users(self.head_ids(task.unit))
        if owner is not None and owner.is_active and owner not in users:
            users.insert(0, owner)
        return users or list(self.members(task.unit))

    def escalation_targets(self, task: Task) -> list[User]:
        """The task's supervising leader, else the leaders over its unit."""
        leader = task.supervising_leader
        if leader is not None and leader.is_active:
            return [leader]
        return self.users(self.leader_ids(task.unit))


# --- rules ------------------------------------------------------------------------------------------


def get_default_rule() -> ResponseRule:
    """The rule marked default; the "13710" rule, created on first use, when none is."""
    rule = ResponseRule.objects.filter(is_default=True).order_by("pk").first()
    if rule is None:
        rule = ResponseRule.objects.filter(name=DEFAULT_RULE_NAME).first()
    if rule is not None:
        return rule
    context = audit.audit_context() if audit.current().actor is not None else audit.system_context()
    try:
        with context, transaction.atomic():
            return ResponseRule.objects.create(name=DEFAULT_RULE_NAME, is_default=True, **DEFAULT_RULE)
    except IntegrityError:  # created meanwhile by another request
        return ResponseRule.objects.get(name=DEFAULT_RULE_NAME)


def deadlines(issued_on: datetime.date, rule: ResponseRule, level: str) -> tuple[datetime.date, ...]:
    """(签收, 报送措施, 办结) deadlines, counted in working days from the day of issue."""
    close_days = rule.major_close_days if level == SupervisionLevel.MAJOR else rule.close_days
    return (
        workdays.add_workdays(issued_on, rule.ack_days),
        workdays.add_workdays(issued_on, rule.measures_days),
        workdays.add_workdays(issued_on, close_days),
    )


def can_configure(user: Any) -> bool:
    """Response rules and ledger settings are the administrators'."""
    return is_admin(user)


def _clean_days(name: str, value: Any, label: str, low: int = 0, high: int = MAX_RULE_DAYS) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: f"{label}须为整数"}) from None
    if not low <= number <= high:
        raise ValidationError({name: f"{label}应在 {low}–{high} 个工作日之间"})
    return number


def do_save_rule(
    rule: ResponseRule | None,
    *,
    name: str,
    ack_days: int,
    measures_days: int,
    close_days: int,
    major_close_days: int,
    is_default: bool = False,
    acting_user: Any,
) -> ResponseRule:
    """Create (rule=None) or change a response rule; marking it default unmarks the others."""
    if not can_configure(acting_user):
        deny(acting_user, "仅系统管理员可维护督办响应规则", obj=rule, object_type="ledger.responserule")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "请填写规则名称"})
    if len(name) > 50:
        raise ValidationError({"name": "规则名称不超过 50 个字"})
    days = {
        "ack_days": _clean_days("ack_days", ack_days, "签收时限"),
        "measures_days": _clean_days("measures_days", measures_days, "报送措施时限"),
        "close_days": _clean_days("close_days", close_days, "一般事项办结时限", low=1),
        "major_close_days": _clean_days("major_close_days", major_close_days, "重大事项办结时限", low=1),
    }
    if days["measures_days"] < days["ack_days"]:
        raise ValidationError({"measures_days": "报送措施时限不能早于签收时限"})
    if days["close_days"] < days["measures_days"]:
        raise ValidationError({"close_days": "办结时限不能早于报送措施时限"})
    if days["major_close_days"] < days["close_days"]:
        raise ValidationError({"major_close_days": "重大事项办结时限不能短于一般事项"})
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            if rule is None:
                rule = ResponseRule(name=name, is_default=bool(is_default), **days)
            else:
                rule = ResponseRule.objects.select_for_update().get(pk=rule.pk)
                rule.name, rule.is_default = name, bool(is_default)
                for field, value in days.items():
                    setattr(rule, field, value)
            rule.save()
            if rule.is_default:
                for other in ResponseRule.objects.filter(is_default=True).exclude(pk=rule.pk):
                    other.is_default = False
                    other.save()  # one audited change each
    except IntegrityError:
        raise ValidationError({"name": "已有同名的响应规则"}) from None
    return rule


# --- ledger settings ------------------------------------------------------------------------------


def parse_remind_days(text: str) -> list[int]:
    """"3,1" → [3, 1]; full-width commas, spaces and 、 are accepted. Raises ValidationError."""
    raw = (text or "").replace("，", ",").replace("、", ",").replace(" ", ",")
    parts = [p for p in raw.split(",") if p.strip()]
    values: set[int] = set()
    for part in parts:
        if not part.strip().isdigit():
            raise ValidationError({"remind_days": f"“{part.strip()}”不是工作日天数，请填写如 3,1"})
        value = int(part)
        if value > MAX_SETTING_DAYS:
            raise ValidationError({"remind_days": f"提醒提前天数不超过 {MAX_SETTING_DAYS} 个工作日"})
        values.add(value)
    if len(values) > MAX_REMIND_OFFSETS:
        raise ValidationError({"remind_days": f"最多设置 {MAX_REMIND_OFFSETS} 个提醒时点"})
    return sorted(values, reverse=True)


def do_update_settings(
    *, yellow_days: int, remind_days: str, escalate_after_days: int, acting_user: Any
) -> LedgerSettings:
    if not can_configure(acting_user):
        deny(acting_user, "仅系统管理员可修改台账设置", object_type="ledger.ledgersettings")
    values = {
        "yellow_days": _clean_days("yellow_days", yellow_days, "临期提前天数", high=MAX_SETTING_DAYS),
        "remind_days": ",".join(str(v) for v in parse_remind_days(remind_days)),
        "escalate_after_days": _clean_days(
            "escalate_after_days", escalate_after_days, "逾期上报天数", high=MAX_SETTING_DAYS
        ),
    }
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        obj = LedgerSettings.objects.select_for_update().order_by("pk").first() or LedgerSettings()
        for field, value in values.items():
            setattr(obj, field, value)
        obj.save()
    return obj


# --- permissions ------------------------------------------------------------------------------------


def can_issue(user: Any, task: Task) -> bool:
    """A leader over the task's unit (第一责任人, 分管领导, 班子成员), or an administrator."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_admin(user) or (has_role(user, *LEADERSHIP_ROLES) and can_manage(user, task))


def can_handle(user: Any, sup: Supervision) -> bool:
    """Acknowledge, report measures, ask to close: the unit's people; never the issuing leader."""
    return user.pk != sup.leader_id and can_work_on(user, sup.task)


def can_review(user: Any, sup: Supervision) -> bool:
    """Grade or return a close-out: the issuing leader, or an administrator."""
    return user.pk == sup.leader_id or is_admin(user)


def allowed_steps(user: Any, sup: Supervision) -> set[str]:
    """The steps `user` may take on `sup` now: acknowledge, measures, request_close, close, return."""
    steps: set[str] = set()
    if sup.status == SupervisionStatus.CLOSED:
        return steps
    if can_handle(user, sup):
        if sup.status == SupervisionStatus.ISSUED:
            steps.add("acknowledge")
        if sup.status in HANDLING_STATUSES:
            steps |= {"measures", "request_close"}
    if sup.status == SupervisionStatus.CLOSING and can_review(user, sup):
        steps |= {"close", "return"}
    return steps


# --- issuing ------------------------------------------------------------------------------------------


def do_issue_supervision(
    task: Task,
    *,
    leader: Any = None,
    order: str,
    level: str = SupervisionLevel.ORDINARY,
    rule: ResponseRule | None = None,
    reply_deadline: datetime.date | None = None,
    acting_user: Any,
    today: datetime.date | None = None,
) -> Supervision:
    """A leader's 督办 order on a task; deadlines in working days from today under the rule."""
    if not can_issue(acting_user, task):
        deny(acting_user, "仅分管该单位的领导可以督办此任务", obj=task)
    leader = leader or acting_user
    if leader.pk != acting_user.pk:
        if not is_admin(acting_user):
            deny(acting_user, "只能以本人名义督办", obj=task)
        if not can_issue(leader, task):
            raise ValidationError({"leader": "督办领导须为分管该单位的领导"})
    order = (order or "").strip()
    if not order:
        raise ValidationError({"order": "请填写督办意见"})
    if level not in SupervisionLevel.values:
        raise ValidationError({"level": "事项类别无效"})
    rule = rule or get_default_rule()
    issued_on = today or timezone.localdate()
    ack_due, measures_due, close_due = deadlines(issued_on, rule, level)
    reply_deadline = reply_deadline or close_due
    if reply_deadline < issued_on:
        raise ValidationError({"reply_deadline": "回复期限不能早于交办日期"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        # Lock the task: two leaders issuing at once must not open two supervisions on it.
        current = Task.objects.select_for_update().get(pk=task.pk)
        if current.status == TaskStatus.DONE:
            raise ValidationError("任务已完成，无需督办")
        if Supervision.objects.filter(task=current).exclude(status=SupervisionStatus.CLOSED).exists():
            raise ValidationError("该任务已有未办结的督办事项，请在原督办中跟进")
        sup = Supervision.objects.create(
            task=current, leader=leader, order=order, level=level, rule=rule, issued_on=issued_on,
            ack_due=ack_due, measures_due=measures_due, close_due=close_due, reply_deadline=reply_deadline,
        )
        SupervisionEvent.objects.create(
            supervision=sup, kind=SupervisionStatus.ISSUED, author=acting_user, text=order
        )
        major = level == SupervisionLevel.MAJOR
        notify(
            Directory().handlers(current),
            f"督办：{_short(current.title)}",
            f"{leader}对「{current.title}」作出督办（{sup.get_level_display()}，{rule.name}规则）：{order}\n"
            f"请于 {cn_date(ack_due)} 前签收，{cn_date(measures_due)} 前报送措施，"
            f"{cn_date(close_due)} 前办结并申请销号；回复期限 {cn_date(reply_deadline)}。",
            url=supervision_url(sup), level="urgent" if major else "warning", category="supervision",
        )
    return sup


# --- the steps ------------------------------------------------------------------------------------


def _locked(sup: Supervision, expected_version: int | None) -> Supervision:
    current = Supervision.objects.select_for_update().get(pk=sup.pk)
    if expected_version is not None and current.version != expected_version:
        raise SupervisionConflict()
    return current


def _finish(sup: Supervision, current: Supervision) -> Supervision:
    sup.refresh_from_db()
    return current


def _require_text(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _step(
    sup: Supervision,
    *,
    acting_user: Any,
    expected_version: int | None,
    allowed: Sequence[str],
    wrong_state: str,
    kind: str,
    text: str,
    files: Sequence[StoredFile] = (),
    changes: dict[str, Any] | Callable[[Supervision], dict[str, Any]],
    recipients: str,
    title: str,
    body: str,
    level: str = "info",
) -> Supervision:
    """One step of the loop: lock, check the version and state, save, record the event, notify."""
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(sup, expected_version)
        if current.status not in allowed:
            raise ValidationError(wrong_state.format(status=current.get_status_display()))
        for field, value in (changes(current) if callable(changes) else changes).items():
            setattr(current, field, value)
        current.version += 1
        current.save()
        event = SupervisionEvent.objects.create(supervision=current, kind=kind, author=acting_user, text=text)
        if files:
            event.files.set(files)
        task = current.task
        if recipients == "leader":
            targets = _active_users([current.leader_id])
        else:  # the unit side, and whoever of it took part
            authors = current.events.exclude(author_id=current.leader_id).values_list("author_id", flat=True)
            targets = Directory().handlers(task) + _active_users(authors)
            targets = [u for u in targets if u.pk != acting_user.pk]
        notify(targets, title, body, url=supervision_url(current), level=level, category="supervision")
    return _finish(sup, current)


def _require_handler(sup: Supervision, acting_user: Any, verb: str) -> None:
    if acting_user.pk == sup.leader_id:
        deny(acting_user, f"督办领导不能代为{verb}", obj=sup)
    if not can_work_on(acting_user, sup.task):
        deny(acting_user, f"无权{verb}该督办事项", obj=sup)


def _require_reviewer(sup: Supervision, acting_user: Any, verb: str) -> None:
    if not can_review(acting_user, sup):
        deny(acting_user, f"仅交办督办的领导可以{verb}", obj=sup)


def do_acknowledge(
    sup: Supervision, *, acting_user: Any, text: str = "", expected_version: int | None = None
) -> Supervision:
    """签收: the unit confirms it received the order."""
    _require_handler(sup, acting_user, "签收")
    text = (text or "").strip() or "已签收，将按要求办理"
    return _step(
        sup, acting_user=acting_user, expected_version=expected_version,
        allowed=[SupervisionStatus.ISSUED], wrong_state="督办事项当前为“{status}”，无需再签收",
        kind=SupervisionStatus.ACKNOWLEDGED, text=text,
        changes={"status": SupervisionStatus.ACKNOWLEDGED, "acknowledged_at": timezone.now()},
        recipients="leader",
        title=f"督办已签收：{_short(sup.task.title)}",
        body=f"{acting_user}已签收督办事项「{sup.task.title}」：{text}",
    )


def do_report_measures(
    sup: Supervision,
    *,
    text: str,
    acting_user: Any,
    files: Sequence[StoredFile] = (),
    expected_version: int | None = None,
) -> Supervision:
    """报送措施: what the unit is doing about it (for a 重大事项, its dated plan); may be repeated."""
    _require_handler(sup, acting_user, "报送措施")
    text = _require_text(text, "text", "请填写整改措施和进展")
    now = timezone.now()
    return _step(
        sup, acting_user=acting_user, expected_version=expected_version,
        allowed=HANDLING_STATUSES,
        wrong_state="督办事项当前为“{status}”，不能报送措施（未签收的请先签收）",
        kind=SupervisionStatus.MEASURES, text=text, files=files,
        changes=lambda current: {"status": SupervisionStatus.MEASURES, "measures_at": current.measures_at or now},
        recipients="leader",
        title=f"督办报送措施：{_short(sup.task.title)}",
        body=f"{acting_user}报送了「{sup.task.title}」的措施和进展：{text}",
    )


def do_request_close(
    sup: Supervision,
    *,
    text: str,
    acting_user: Any,
    files: Sequence[StoredFile] = (),
    expected_version: int | None = None,
) -> Supervision:
    """申请办结: the unit reports the result and asks the leader to close (销号)."""
    _require_handler(sup, acting_user, "申请办结")
    text = _require_text(text, "text", "请填写办理结果")
    return _step(
        sup, acting_user=acting_user, expected_version=expected_version,
        allowed=HANDLING_STATUSES,
        wrong_state="督办事项当前为“{status}”，不能申请办结（未签收的请先签收）",
        kind=SupervisionStatus.CLOSING, text=text, files=files,
        changes={"status": SupervisionStatus.CLOSING, "closing_at": timezone.now()},
        recipients="leader",
        title=f"督办申请办结：{_short(sup.task.title)}",
        body=f"{acting_user}就「{sup.task.title}」申请办结，请审核评定：{text}",
        level="reminder",
    )


def do_close(
    sup: Supervision,
    *,
    grade: str,
    comment: str = "",
    acting_user: Any,
    expected_version: int | None = None,
) -> Supervision:
    """办结: the issuing leader closes the item with a grade (kept for assessment)."""
    _require_reviewer(sup, acting_user, "评定办结")
    if grade not in Grade.values:
        raise ValidationError({"grade": "请选择评定等次：优秀、良好、合格或不合格"})
    comment = (comment or "").strip()
    if grade == Grade.FAIL and not comment:
        raise ValidationError({"comment": "评定为不合格时请填写评定意见"})
    label = Grade(grade).label
    return _step(
        sup, acting_user=acting_user, expected_version=expected_version,
        allowed=[SupervisionStatus.CLOSING], wrong_state="督办事项当前为“{status}”，尚未申请办结，不能评定",
        kind=SupervisionStatus.CLOSED, text=f"评定：{label}" + (f"。{comment}" if comment else ""),
        changes={
            "status": SupervisionStatus.CLOSED, "closed_at": timezone.now(), "grade": grade,
            "grade_comment": comment,
        },
        recipients="unit",
        title=f"督办已办结（{label}）：{_short(sup.task.title)}",
        body=f"{acting_user}对「{sup.task.title}」评定为“{label}”并办结销号。" + (f"意见：{comment}" if comment else ""),
        level="warning" if grade == Grade.FAIL else "info",
    )


def do_return(
    sup: Supervision, *, comment: str, acting_user: Any, expected_version: int | None = None
) -> Supervision:
    """退回: the close-out is not accepted; the unit handles the item again."""
    _require_reviewer(sup, acting_user, "退回")
    comment = _require_text(comment, "comment", "请填写退回理由")
    return _step(
        sup, acting_user=acting_user, expected_version=expected_version,
        allowed=[SupervisionStatus.CLOSING], wrong_state="督办事项当前为“{status}”，只有申请办结的事项可以退回",
        kind=SupervisionStatus.RETURNED, text=comment,
        changes={"status": SupervisionStatus.RETURNED, "closing_at": None},
        recipients="unit",
        title=f"督办被退回：{_short(sup.task.title)}",
        body=f"{acting_user}退回了「{sup.task.title}」的办结申请，请继续办理后重新申请办结。理由：{comment}",
        level="warning",
    )


# --- reading: lists ---------------------------------------------------------------------------------


def handle_unit_ids(user: Any) -> set[int]:
    """Units whose supervisions are the user's to handle: their own, and those they head."""
    from org.models import Unit

    access = access_for(user)
    ids = {access.own_unit_id} - {None}
    paths = access.head_paths
    if paths:
        query = models.Q()
        for path in paths:
            query |= models.Q(path__startswith=path)
        ids |= set(Unit.objects.filter(query).values_list("id", flat=True))
    return ids  # type: ignore[return-value]


def supervisions_for(user: Any, box: str) -> models.QuerySet:
    """`mine` (to handle), `issued` (by me) or `all` (everything I may see)."""
    qs = Supervision.objects.visible_to(user, "view")
    if box == "mine":
        qs = qs.filter(models.Q(task__owner__user_id=user.pk) | models.Q(task__unit_id__in=handle_unit_ids(user)))
        qs = qs.exclude(leader_id=user.pk)
    elif box == "issued":
        qs = qs.filter(leader_id=user.pk)
    return qs


# --- reading: the stages and their colours ----------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    due: datetime.date
    done_on: datetime.date | None
    state: str  # ontime / late / overdue / due / pending
    days: int  # working days late (late, overdue) or left (pending)

    @property
    def color(self) -> str:
        return {"ontime": "green", "late": "orange", "overdue": "red", "due": "yellow", "pending": "azure"}[self.state]

    @property
    def due_text(self) -> str:
        return f"{self.due:%Y-%m-%d}（周{'一二三四五六日'[self.due.weekday()]}）"

    @property
    def text(self) -> str:
        if self.state == "ontime":
            return "按时完成"
        if self.state == "late":
            return f"超时 {self.days} 个工作日完成"
        if self.state == "overdue":
            return f"已超期 {self.days} 个工作日"
        if self.state == "due":
            return "今日到期"
        return f"剩 {self.days} 个工作日"


def _local_date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


def _stage(key: str, label: str, due: datetime.date, done_on: datetime.date | None,
           today: datetime.date) -> Stage:
    if done_on is not None:
        late = workdays.workdays_between(due, done_on) if done_on > due else 0
        return Stage(key, label, due, done_on, "late" if late else "ontime", late)
    if today > due:
        return Stage(key, label, due, None, "overdue", max(workdays.workdays_between(due, today), 1))
    if today == due:
        return Stage(key, label, due, None, "due", 0)
    return Stage(key, label, due, None, "pending", workdays.workdays_between(today, due))


def stages(sup: Supervision, today: datetime.date | None = None) -> list[Stage]:
    """The response rule's deadlines with how each was (or is being) met."""
    today = today or timezone.localdate()
    closing = _local_date(sup.closing_at) or (
        _local_date(sup.closed_at) if sup.status == SupervisionStatus.CLOSED else None
    )
    acked = _local_date(sup.acknowledged_at)
    measured = _local_date(sup.measures_at) or closing
    result = [
        _stage("ack", "签收", sup.ack_due, acked, today),
        _stage("measures", "报送措施", sup.measures_due, measured, today),
        _stage("close", "申请办结", sup.close_due, closing, today),
    ]
    if sup.reply_deadline != sup.close_due:
        result.append(_stage("reply", "回复期限", sup.reply_deadline, closing, today))
    return result


def grades_by_unit(start: datetime.date, end: datetime.date) -> dict[int, dict[str, int]]:
    """{unit id: {grade: count}} of supervisions closed from `start` to `end` (for assessment)."""
    rows = (
        Supervision.objects.filter(status=SupervisionStatus.CLOSED, closed_at__date__gte=start,
                                   closed_at__date__lte=end)
        .values_list("task__unit_id", "grade")
        .annotate(n=models.Count("pk"))
        .order_by()
    )
    result: dict[int, dict[str, int]] = {}
    for unit_id, grade, n in rows:
        result.setdefault(unit_id, {})[grade] = n
    return result


# --- duty rosters and logs ------------------------------------------------------------------------


def can_manage_duty(user: Any, unit_id: int) -> bool:
    """Rosters and duties: the unit's heads and leaders, and administrators."""
    return is_admin(user) or (has_role(user, *LEADING_ROLES) and unit_in_scope(user, unit_id, "change"))


def on_duty(user: Any, duty: Duty, day: datetime.date) -> bool:
    return DutyShift.objects.filter(duty=duty, date=day, person__user_id=user.pk).exists()


def can_write_log(user: Any, duty: Duty, day: datetime.date | None = None) -> bool:
    """Whoever is on duty that day, or anyone of the unit."""
    day = day or timezone.localdate()
    return unit_in_scope(user, duty.unit_id, "work") or on_duty(user, duty, day)


def duty_people(duty: Duty) -> models.QuerySet:
    """Who may be put on the roster: the active people of the duty's unit."""
    from org.models import Person

    return Person.objects.filter(unit_id=duty.unit_id, is_active=True).order_by("sort_order", "id")


def do_create_duty(*, unit: Any, title: str, frequency: str, acting_user: Any, quote: str = "") -> Duty:
    if not can_manage_duty(acting_user, unit.pk):
        deny(acting_user, "仅该单位负责人或管理员可以新增值守事项", object_type="ledger.duty")
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "请填写值守事项"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        return Duty.objects.create(unit=unit, title=title[:300], frequency=frequency, quote=quote)


def do_set_duty_active(duty: Duty, *, active: bool, acting_user: Any) -> Duty:
    if not can_manage_duty(acting_user, duty.unit_id):
        deny(acting_user, "仅该单位负责人或管理员可以停用值守事项", obj=duty)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        duty.is_active = bool(active)
        duty.save()
    return duty


def _check_person(duty: Duty, person: Any) -> None:
    if person is None or person.unit_id != duty.unit_id or not person.is_active:
        raise ValidationError({"person": "值班人须为该单位的在岗人员"})


def do_assign_shift(duty: Duty, *, date: datetime.date, person: Any, acting_user: Any) -> DutyShift:
    if not can_manage_duty(acting_user, duty.unit_id):
        deny(acting_user, "仅该单位负责人或管理员可以排班", obj=duty)
    _check_person(duty, person)
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            shift = DutyShift.objects.create(duty=duty, date=date, person=person)
            audit.record(AuditAction.CREATE, obj=shift,
                         changes={"duty": [None, duty.pk], "date": [None, date.isoformat()],
                                  "person": [None, person.pk]})
    except IntegrityError:
        raise ValidationError({"person": f"{person} 在 {date:%Y-%m-%d} 已排班"}) from None
    return shift


def do_remove_shift(shift: DutyShift, *, acting_user: Any) -> None:
    if not can_manage_duty(acting_user, shift.duty.unit_id):
        deny(acting_user, "仅该单位负责人或管理员可以调整排班", obj=shift.duty)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        label, pk = str(shift), shift.pk
        changes = {"duty": [shift.duty_id, None], "date": [shift.date.isoformat(), None],
                   "person": [shift.person_id, None]}
        shift.delete()
        audit.record(AuditAction.DELETE, object_type="ledger.dutyshift", object_id=pk, object_repr=label,
                     changes=changes)


def do_rotate_shifts(
    duty: Duty,
    *,
    people: Sequence[Any],
    start: datetime.date,
    end: datetime.date,
    workdays_only: bool = True,
    replace: bool = False,
    acting_user: Any,
) -> int:
    """轮流排班: people in turn, one a day from `start` to `end`. Returns the shifts created.

    Days that already have someone on duty are skipped, or cleared first with `replace`.
    """
    if not can_manage_duty(acting_user, duty.unit_id):
        deny(acting_user, "仅该单位负责人或管理员可以排班", obj=duty)
    people = list(dict.fromkeys(people))
    if not people:
        raise ValidationError({"people": "请选择参加轮值的人员"})
    for person in people:
        _check_person(duty, person)
    if end < start:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    if (end - start).days >= MAX_ROTATION_DAYS:
        raise ValidationError({"end": f"一次最多排 {MAX_ROTATION_DAYS} 天"})
    days = [info.date for info in workdays.days_info(start, end) if info.is_workday or not workdays_only]
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        existing = DutyShift.objects.filter(duty=duty, date__gte=start, date__lte=end)
        if replace:
            existing.delete()
            taken: set[datetime.date] = set()
        else:
            taken = set(existing.values_list("date", flat=True))
        free = [d for d in days if d not in taken]
        shifts = [DutyShift(duty=duty, date=d, person=people[i % len(people)]) for i, d in enumerate(free)]
        DutyShift.objects.bulk_create(shifts)
        audit.record(
            AuditAction.CREATE, object_type="ledger.dutyshift", object_repr=f"{duty} 轮值排班"[:255],
            changes={"duty": duty.pk, "from": start.isoformat(), "to": end.isoformat(), "rows": len(shifts),
                     "people": [p.pk for p in people], "replace": bool(replace)},
        )
    return len(shifts)


def do_write_duty_log(
    duty: Duty, *, text: str, acting_user: Any, today: datetime.date | None = None
) -> DutyLog:
    """交接班 / 值班记录 for today, by whoever is on duty or anyone of the unit."""
    day = today or timezone.localdate()
    if not can_write_log(acting_user, duty, day):
        deny(acting_user, "仅当日值班人员或本单位人员可以填写值班记录", obj=duty)
    if not duty.is_active:
        raise ValidationError("该值守事项已停用")
    text = _require_text(text, "text", "请填写值班记录")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        log = DutyLog.objects.create(duty=duty, date=day, author=acting_user, text=text)
        audit.record(AuditAction.CREATE, obj=log,
                     changes={"duty": [None, duty.pk], "date": [None, day.isoformat()], "text": [None, text[:200]]})
    return log
