"""Importing a plan: parse → preview (PlanImport.data, edited by the user) → confirm → ledger.

The import is all-or-nothing: the whole edited draft is validated first, then the plan, its
sections, items, obligations and every generated task are written in one transaction with
bulk_create. Re-importing a revised plan updates the plan in place: obligations are matched by
their text; tasks of removed or changed obligations that have not started are deleted or updated,
started ones are kept.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from core import audit
from core.audit import deny
from core.models import AuditAction
from core.roles import Perm
from core.scoping import has_perm, scope_unit_ids, unit_in_scope
from ledger.actions import bulk_create_tasks
from ledger.choices import SourceKind, TaskStatus
from ledger.models import Duty, Task
from ledger.periods import Period, periods_for
from org.models import Unit
from plans import actors
from plans.choices import DUTY_FREQUENCIES, AssignmentRole, Frequency, ImportStatus
from plans.models import Assignment, Item, Obligation, Plan, PlanImport, Section, Target
from yishi_text.plan_input import MAX_BYTES
from yishi_text.plans import PlanReadError, parse_plan_file, parse_plan_text

PLAN_PERM = Perm.ORG_MANAGE  # the coordinating office's administrators import plans
FREQUENCIES = {choice.value for choice in Frequency}
_KEY_STRIP = re.compile(r"[\s，,。.；;：:、！!？?“”\"'（）()《》〈〉【】\[\]]+")


def obligation_key(quote: str) -> str:
    """A fingerprint of an obligation's text that ignores punctuation, spaces and width."""
    text = _KEY_STRIP.sub("", unicodedata.normalize("NFKC", quote or ""))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # noqa: S324 - a fingerprint, not security


IMPORT_DENIED = "仅系统管理员（牵头协调部门）可导入工作要点"
MAX_NUMBER = 9999  # section and item numbers; a revision moves the old ones up by 10000 meanwhile


def can_import(user: Any) -> bool:
    return has_perm(user, PLAN_PERM)


def _require_importer(user: Any) -> None:
    if not can_import(user):
        deny(user, IMPORT_DENIED, object_type="plans.planimport")


require_importer = _require_importer  # for the views and the API: logs the refusal, raises PermissionDenied


def _strip_nul(value: Any) -> Any:
    """PostgreSQL cannot store U+0000 (or a lone surrogate) in text or jsonb; a decoded file may hold one."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    if isinstance(value, list):
        return [_strip_nul(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip_nul(v) for k, v in value.items()}
    return value


# --- step 1: parse into a draft -------------------------------------------------------------------


def _annotate(data: dict[str, Any], index: actors.UnitIndex) -> dict[str, Any]:
    """Add the suggested unit mapping to every obligation of the parsed plan."""
    for section in data["sections"]:
        for item in section["items"]:
            previous_actor, previous_end = None, 0
            text = item.get("text", "")
            for obligation in item["obligations"]:
                start = text.find(obligation.get("quote", ""), previous_end)
                # "信息科每月开展…，每季度形成…": a clause without a subject continues the subject of
                # the clause before it, within the same sentence only.
                same_sentence = start >= 0 and "。" not in text[previous_end:start]
                if not obligation.get("actor") and previous_actor and same_sentence:
                    obligation["actor"] = previous_actor
                    obligation["actor_inherited"] = True
                if start >= 0:
                    previous_end = start + len(obligation.get("quote", ""))
                previous_actor = obligation.get("actor")
                res = actors.resolve(obligation.get("actor"), obligation.get("quote", ""), index)
                obligation["assignments"] = [{"unit": uid, "role": role} for uid, role in res.assignments]
                obligation["unresolved"] = res.unresolved
                obligation["unmatched"] = res.unmatched
    return data


def start_import(
    *,
    acting_user: Any,
    unit: Unit,
    data: bytes | None = None,
    filename: str = "",
    text: str = "",
    base_plan: Plan | None = None,
) -> PlanImport:
    """Parse an uploaded file or pasted text into a draft the user reviews. Raises ValidationError."""
    _require_importer(acting_user)
    if not unit_in_scope(acting_user, unit.pk, "change"):
        raise ValidationError("所属单位不存在或不在您的管理范围内")
    if base_plan is not None and not unit_in_scope(acting_user, base_plan.unit_id, "change"):
        raise ValidationError("要修订的计划不存在或不在您的管理范围内")
    if data is None and len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise ValidationError(f"内容过大（{len(text.encode('utf-8', errors='replace')) / 1048576:.1f} MB），"
                              "工作要点不应超过5 MB")
    try:
        if data is not None:
            parsed = parse_plan_file(data, filename or "plan.txt")
            raw = data
        else:
            parsed = parse_plan_text(text)
            raw = text.encode("utf-8", "replace")
            filename = filename or "粘贴的文本"
    except PlanReadError as exc:
        raise ValidationError(str(exc)) from exc
    plan_data = _strip_nul(parsed.to_dict())
    if not plan_data.get("year"):
        plan_data["year"] = (base_plan.year if base_plan else timezone.localdate().year)
        plan_data["warnings"].append(f"未能从标题识别年度，按 {plan_data['year']} 年处理，请核对")
    root = Unit.objects.filter(path=unit.path[: unit.path.index("/", 1) + 1]).first() if unit.path else unit
    _annotate(plan_data, actors.UnitIndex(root))
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        draft = PlanImport.objects.create(
            unit=unit,
            created_by=acting_user,
            source_name=filename[:255],
            source_sha256=hashlib.sha256(raw).hexdigest(),
            data=plan_data,
            base_plan=base_plan,
        )
        audit.record(AuditAction.IMPORT, obj=draft, changes={"stage": "parsed", "items": len(_items(plan_data))})
    return draft


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in data.get("sections", []) for item in section.get("items", [])]


# --- step 2: validate the edited draft ------------------------------------------------------------


@dataclass
class DraftErrors:
    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.messages.append(message)


def validate_draft(data: dict[str, Any], allowed_units: set[int] | None) -> list[str]:
    """Every problem of the edited draft, in Chinese; empty when it can be imported.

    `allowed_units` is the user's change scope (None: every unit); a unit must also exist and be active.
    """
    errors = DraftErrors()
    if not (data.get("title") or "").strip():
        errors.add("标题不能为空")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        errors.add("年度无效")
    sections = data.get("sections") or []
    section_numbers = [s.get("number") for s in sections]
    if len(set(section_numbers)) != len(section_numbers):
        errors.add("板块序号重复")
    if any(not _valid_number(n) for n in section_numbers):
        errors.add(f"板块序号应为 1–{MAX_NUMBER} 的整数")
    items = _items(data)
    if not items:
        errors.add("没有可导入的条目")
    numbers = [item.get("number") for item in items]
    if len(set(numbers)) != len(numbers):
        errors.add("条目序号重复")
    if any(not _valid_number(n) for n in numbers):
        errors.add(f"条目序号应为 1–{MAX_NUMBER} 的整数")
    unit_ids = {a.get("unit") for item in items for ob in item.get("obligations", []) for a in ob.get("assignments", [])}
    existing = set(
        Unit.objects.filter(pk__in=[u for u in unit_ids if _valid_number(u, 2**63 - 1)], is_active=True)
        .values_list("pk", flat=True)
    )
    if allowed_units is not None:
        existing &= allowed_units
    for item in items:
        label = f"第 {item.get('number')} 项"
        if not (item.get("title") or "").strip():
            errors.add(f"{label}：标题不能为空")
        for n, ob in enumerate(item.get("obligations", []), start=1):
            where = f"{label}第 {n} 个工作事项"
            if ob.get("frequency") not in FREQUENCIES:
                errors.add(f"{where}：频次无效")
            times = ob.get("times")
            if times is not None and (not _valid_number(times, 1000)):
                errors.add(f"{where}：次数应为 1–1000 的整数")
            if not (ob.get("activity") or "").strip():
                errors.add(f"{where}：事项不能为空")
            leads = [a for a in ob.get("assignments", []) if a.get("role") == AssignmentRole.LEAD]
            if not leads:
                errors.add(f"{where}：请至少指定一个牵头（责任）单位")
            seen: set[Any] = set()
            for a in ob.get("assignments", []):
                if a.get("role") not in (AssignmentRole.LEAD, AssignmentRole.ASSIST):
                    errors.add(f"{where}：分工无效")
                if a.get("unit") not in existing:
                    errors.add(f"{where}：单位不存在或不在您的管理范围内")
                elif a.get("unit") in seen:
                    errors.add(f"{where}：同一单位不能重复指定")
                seen.add(a.get("unit"))
    return errors.messages


@dataclass
class DraftSummary:
    sections: int = 0
    items: int = 0
    obligations: int = 0
    flagged: int = 0
    tasks: int = 0
    duties: int = 0
    problems: list[str] = field(default_factory=list)


def summarize_draft(data: dict[str, Any], allowed_units: set[int] | None) -> DraftSummary:
    """Counts for the preview: what confirming would create, and what still blocks it."""
    items = _items(data)
    summary = DraftSummary(sections=len(data.get("sections", [])), items=len(items),
                           problems=validate_draft(data, allowed_units))
    year = data.get("year")
    start = generation_start(year) if isinstance(year, int) and 2000 <= year <= 2100 else None
    for item in items:
        for ob in item.get("obligations", []):
            summary.obligations += 1
            summary.flagged += int(bool(ob.get("unresolved")))
            estimate = estimate_obligation(ob, year, start)
            summary.tasks += estimate.tasks
            summary.duties += estimate.duties
    return summary


def _valid_number(value: Any, high: int = MAX_NUMBER) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= high


def update_draft(draft: PlanImport, data: dict[str, Any], *, acting_user: Any, expected_version: int) -> PlanImport:
    """Save the user's edits of the preview (titles, obligations, unit mapping)."""
    _require_importer(acting_user)
    with transaction.atomic():
        current = PlanImport.objects.select_for_update().get(pk=draft.pk)
        if current.status != ImportStatus.OPEN:
            raise ValidationError("该导入已确认或取消，不能再修改")
        if current.version != expected_version:
            raise ValidationError("该导入已被他人修改，请刷新后重试", code="conflict")
        current.data = data
        current.version += 1
        current.save(update_fields=["data", "version", "updated_at"])
    return current


# --- step 3: confirm ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    plan: Plan
    tasks_created: int = 0
    tasks_updated: int = 0
    tasks_deleted: int = 0
    tasks_kept: int = 0
    duties: int = 0
    flagged: int = 0


def confirm_import(
    draft: PlanImport, *, acting_user: Any, expected_version: int | None = None, from_date: datetime.date | None = None
) -> ImportResult:
    """Write the plan and its tasks in one transaction; nothing is written if anything is invalid."""
    _require_importer(acting_user)
    allowed = scope_unit_ids(acting_user, "change")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = PlanImport.objects.select_for_update().get(pk=draft.pk)
        if current.status != ImportStatus.OPEN:
            raise ValidationError("该导入已确认或取消")
        if expected_version is not None and current.version != expected_version:
            raise ValidationError("该导入已被他人修改，请刷新后重试", code="conflict")
        problems = validate_draft(current.data, allowed)
        if problems:
            raise ValidationError(problems)
        start = from_date or _default_start(current.data["year"])
        if current.base_plan_id:
            result = _apply_revision(current, acting_user, start)
        else:
            result = _create_plan(current, acting_user, start)
        current.status = ImportStatus.CONFIRMED
        current.plan = result.plan
        current.save(update_fields=["status", "plan", "updated_at"])
        audit.record(
            AuditAction.IMPORT,
            obj=result.plan,
            changes={
                "source": current.source_name,
                "tasks_created": result.tasks_created,
                "tasks_updated": result.tasks_updated,
                "tasks_deleted": result.tasks_deleted,
                "duties": result.duties,
            },
        )
    return result


def cancel_import(draft: PlanImport, *, acting_user: Any) -> None:
    _require_importer(acting_user)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        PlanImport.objects.filter(pk=draft.pk, status=ImportStatus.OPEN).update(status=ImportStatus.CANCELLED)
        audit.record(AuditAction.UPDATE, obj=draft, changes={"status": ["open", "cancelled"]})


def _default_start(year: int) -> datetime.date:
    """Tasks are generated from today for the current year (earlier periods are history)."""
    today = timezone.localdate()
    return today if year == today.year else datetime.date(year, 1, 1)


def generation_start(year: int) -> datetime.date:
    """The first due date confirming a plan of `year` today generates tasks for."""
    return _default_start(year)


def due_periods(frequency: str, year: int, times: int | None, timing: str | None,
                start: datetime.date) -> list[Period]:
    """The periods an obligation generates tasks for: those of the year due on or after `start`."""
    return [p for p in periods_for(frequency, year, times, timing) if p.due >= start]


@dataclass
class Estimate:
    """What confirming one obligation will generate: tasks = periods × lead units, or duties."""

    periods: int = 0
    leads: int = 0
    tasks: int = 0
    duties: int = 0
    target: int = 1  # the target count of each task (全年不少于12次 → 1 task with target 12)
    first_due: datetime.date | None = None
    last_due: datetime.date | None = None


def estimate_obligation(ob: dict[str, Any], year: Any, start: datetime.date | None = None) -> Estimate:
    leads = len({a.get("unit") for a in ob.get("assignments", []) if a.get("role") == AssignmentRole.LEAD})
    estimate = Estimate(leads=leads)
    frequency = ob.get("frequency")
    if frequency not in FREQUENCIES or not isinstance(year, int) or not 2000 <= year <= 2100:
        return estimate
    if frequency in DUTY_FREQUENCIES:
        estimate.duties = leads
        return estimate
    times = ob.get("times") if isinstance(ob.get("times"), int) else None
    periods = due_periods(frequency, year, times, ob.get("timing"), start or generation_start(year))
    estimate.periods = len(periods)
    estimate.tasks = len(periods) * leads
    if periods:
        estimate.target = periods[0].target
        estimate.first_due, estimate.last_due = periods[0].due, periods[-1].due
    return estimate


def _write_structure(plan: Plan, data: dict[str, Any]) -> tuple[dict[int, Section], dict[int, Item]]:
    sections: dict[int, Section] = {}
    items: dict[int, Item] = {}
    for s in data["sections"]:
        section = Section.objects.create(
            plan=plan, number=s["number"], title=s["title"][:200], heading=s.get("heading", "")[:300],
            intro=s.get("intro", ""),
        )
        sections[s["number"]] = section
        for i in s["items"]:
            items[i["number"]] = Item(plan=plan, section=section, number=i["number"], title=i["title"][:300],
                                      text=i.get("text", ""))
    Item.objects.bulk_create(items.values())
    targets = [
        Target(item=items[i["number"]], quote=t.get("quote", ""), value=t.get("value"), unit_label=t.get("unit", "")[:16],
               at_least=bool(t.get("at_least")))
        for s in data["sections"] for i in s["items"] for t in i.get("targets", [])
    ]
    Target.objects.bulk_create(targets)
    return sections, items


def _new_obligation(plan: Plan, item: Item, number: int, ob: dict[str, Any]) -> Obligation:
    return Obligation(
        plan=plan, item=item, number=number, frequency=ob["frequency"], times=ob.get("times"),
        at_least=bool(ob.get("at_least")), activity=ob["activity"][:200], actor_text=(ob.get("actor") or "")[:100],
        quote=ob.get("quote", ""), timing=(ob.get("timing") or "")[:32], unresolved=bool(ob.get("unresolved")),
        key=obligation_key(ob.get("quote") or ob["activity"]),
    )


def _create_plan(draft: PlanImport, acting_user: Any, start: datetime.date) -> ImportResult:
    data = draft.data
    plan = Plan.objects.create(
        unit=draft.unit, title=data["title"][:200], organization=(data.get("organization") or "")[:100],
        year=data["year"], preamble=data.get("preamble", ""), warnings=data.get("warnings", []),
        outline_only=bool(data.get("outline_only")), source_name=draft.source_name,
        source_sha256=draft.source_sha256, imported_by=acting_user,
    )
    _, items = _write_structure(plan, data)
    result = ImportResult(plan)
    pending: list[tuple[Obligation, list[dict[str, Any]]]] = []
    for s in data["sections"]:
        for i in s["items"]:
            for n, ob in enumerate(i.get("obligations", []), start=1):
                pending.append((_new_obligation(plan, items[i["number"]], n, ob), ob.get("assignments", [])))
    _save_obligations(pending, result)
    _generate(plan, [o for o, _ in pending], start, result)
    return result


def _save_obligations(pending: list[tuple[Obligation, list[dict[str, Any]]]], result: ImportResult) -> None:
    # Obligations are few (tens) and audited one by one; their tasks (thousands) are bulk-written.
    for obligation, assignments in pending:
        obligation.save()
        Assignment.objects.bulk_create(
            Assignment(obligation=obligation, unit_id=a["unit"], role=a["role"]) for a in assignments
        )
        result.flagged += int(obligation.unresolved)


def _generate(plan: Plan, obligations: Iterable[Obligation], start: datetime.date, result: ImportResult) -> None:
    """Tasks for every (lead unit × period) of each obligation; duties for daily/continuous ones."""
    tasks: list[Task] = []
    assists: dict[int, list[int]] = {}
    duties: list[Duty] = []
    obligations = list(obligations)
    ids = [o.pk for o in obligations]
    # In a revision, regenerated obligations may still have started tasks and active duties: a
    # (unit, period) that has its task already, or a unit already on duty, gets no second one.
    covered = set(Task.objects.filter(obligation_id__in=ids).values_list("obligation_id", "unit_id", "period_label"))
    on_duty = set(Duty.objects.filter(obligation_id__in=ids, is_active=True).values_list("obligation_id", "unit_id"))
    for obligation in obligations:
        assignment_rows = list(obligation.assignments.all())
        leads = [a.unit_id for a in assignment_rows if a.role == AssignmentRole.LEAD]
        helpers = [a.unit_id for a in assignment_rows if a.role == AssignmentRole.ASSIST]
        item = obligation.item
        origin = f"{plan.year}年工作要点第{item.number}项：{item.title}"
        if obligation.frequency in DUTY_FREQUENCIES:
            duties.extend(
                Duty(unit_id=uid, title=obligation.activity, plan=plan, obligation=obligation, quote=obligation.quote,
                     frequency=obligation.frequency)
                for uid in leads if (obligation.pk, uid) not in on_duty
            )
            continue
        for period in due_periods(obligation.frequency, plan.year, obligation.times, obligation.timing, start):
            for uid in leads:
                if (obligation.pk, uid, period.label) in covered:
                    continue
                if helpers:
                    assists[len(tasks)] = helpers
                tasks.append(
                    Task(
                        unit_id=uid, title=f"{obligation.activity}（{period.label}）"[:300],
                        source_kind=SourceKind.PLAN, plan=plan, section_id=item.section_id, item=item,
                        obligation=obligation, origin=origin[:300], quote=obligation.quote,
                        period_label=period.label, period_start=period.start, due_date=period.due,
                        target_count=period.target,
                    )
                )
    if duties:
        Duty.objects.bulk_create(duties)
        result.duties += len(duties)
    if tasks:
        result.tasks_created += bulk_create_tasks(tasks, assists, summary=f"{plan.title}：生成任务 {len(tasks)} 项")


# --- revisions ------------------------------------------------------------------------------------


@dataclass
class PlanDiff:
    items_added: list[str] = field(default_factory=list)
    items_removed: list[str] = field(default_factory=list)
    items_renamed: list[tuple[str, str]] = field(default_factory=list)
    obligations_added: list[str] = field(default_factory=list)
    obligations_removed: list[str] = field(default_factory=list)
    obligations_changed: list[tuple[str, str]] = field(default_factory=list)
    obligations_kept: int = 0
    obligations_reassigned: list[str] = field(default_factory=list)  # same text, other units
    # What confirming does to the ledger (tasks not started = status 未开始 and nothing done yet):
    tasks_updated: int = 0  # unstarted tasks of unchanged obligations, brought up to date
    tasks_deleted: int = 0  # unstarted tasks of removed or changed obligations
    tasks_kept: int = 0  # started tasks of removed or changed obligations: kept as they are
    tasks_created: int = 0  # new tasks of added and changed obligations (from today for this year)
    duties_created: int = 0

    @property
    def empty(self) -> bool:
        return not (self.items_added or self.items_removed or self.items_renamed or self.obligations_added
                    or self.obligations_removed or self.obligations_changed or self.obligations_reassigned)


def _match(old: list[Obligation], new: list[tuple[int, dict[str, Any]]]) -> tuple[
    dict[int, Obligation], dict[int, Obligation], list[Obligation]
]:
    """Pair new obligations (by position in `new`) with old ones: same text, else same item+frequency."""
    by_key = {o.key: o for o in old}
    same: dict[int, Obligation] = {}
    changed: dict[int, Obligation] = {}
    used: set[int] = set()
    for idx, (_, ob) in enumerate(new):
        match = by_key.get(obligation_key(ob.get("quote") or ob.get("activity", "")))
        if match is not None and match.pk not in used:
            same[idx] = match
            used.add(match.pk)
    # Then a text change: same item and the same activity (the cadence or count changed), or the
    # same item and the same cadence (the wording changed).
    for same_attr in (lambda o, ob: o.activity == (ob.get("activity") or "")[:200],
                      lambda o, ob: o.frequency == ob.get("frequency")):
        for idx, (item_number, ob) in enumerate(new):
            if idx in same or idx in changed:
                continue
            match = next((o for o in old if o.pk not in used and o.item.number == item_number
                          and same_attr(o, ob)), None)
            if match is not None:
                changed[idx] = match
                used.add(match.pk)
    removed = [o for o in old if o.pk not in used]
    return same, changed, removed


def _flat_obligations(data: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(i["number"], ob) for i in _items(data) for ob in i.get("obligations", [])]


def diff_plan(plan: Plan, data: dict[str, Any]) -> PlanDiff:
    """What re-importing `data` over `plan` would change."""
    diff = PlanDiff()
    old_items = {i.number: i.title for i in plan.items.all()}
    new_items = {i["number"]: i["title"] for i in _items(data)}
    for number, title in new_items.items():
        if number not in old_items:
            diff.items_added.append(f"{number}. {title}")
        elif old_items[number] != title:
            diff.items_renamed.append((f"{number}. {old_items[number]}", f"{number}. {title}"))
    diff.items_removed = [f"{n}. {t}" for n, t in old_items.items() if n not in new_items]
    old = list(plan.obligations.select_related("item").prefetch_related("assignments"))
    new = _flat_obligations(data)
    same, changed, removed = _match(old, new)
    reassigned = {idx for idx, o in same.items() if _assignment_set(o) != _draft_assignment_set(new[idx][1])}
    diff.obligations_reassigned = [same[idx].quote for idx in sorted(reassigned)]
    diff.obligations_kept = len(same) - len(reassigned)
    diff.obligations_changed = [(changed[i].quote, new[i][1].get("quote", "")) for i in changed]
    diff.obligations_added = [ob.get("quote") or ob.get("activity", "") for idx, (_, ob) in enumerate(new)
                              if idx not in same and idx not in changed]
    diff.obligations_removed = [o.quote for o in removed]
    counts = {
        row["obligation_id"]: row
        for row in Task.objects.filter(obligation__plan=plan).values("obligation_id").annotate(
            total=Count("pk"), unstarted=Count("pk", filter=Q(status=TaskStatus.NOT_STARTED, done_count=0))
        )
    }
    empty = {"total": 0, "unstarted": 0}
    for idx, obligation in same.items():
        if idx not in reassigned:
            diff.tasks_updated += counts.get(obligation.pk, empty)["unstarted"]
    for obligation in [*changed.values(), *removed, *(same[idx] for idx in reassigned)]:
        row = counts.get(obligation.pk, empty)
        diff.tasks_deleted += row["unstarted"]
        diff.tasks_kept += row["total"] - row["unstarted"]
    start = generation_start(data["year"]) if isinstance(data.get("year"), int) else None
    for idx, (_, ob) in enumerate(new):
        if idx not in same or idx in reassigned:
            estimate = estimate_obligation(ob, data.get("year"), start)
            diff.tasks_created += estimate.tasks
            diff.duties_created += estimate.duties
    return diff


def _assignment_set(obligation: Obligation) -> set[tuple[int, str]]:
    return {(a.unit_id, a.role) for a in obligation.assignments.all()}


def _draft_assignment_set(ob: dict[str, Any]) -> set[tuple[int, str]]:
    return {(a.get("unit"), a.get("role")) for a in ob.get("assignments", [])}


def _update_unstarted(obligation: Obligation, item: Item, plan: Plan) -> int:
    """Bring the unstarted tasks of a kept obligation up to date with the revised text."""
    origin = f"{plan.year}年工作要点第{item.number}项：{item.title}"[:300]
    updated = 0
    for task in Task.objects.filter(obligation=obligation, status=TaskStatus.NOT_STARTED, done_count=0):
        period = f"（{task.period_label}）" if task.period_label else ""
        task.title = f"{obligation.activity}{period}"[:300]
        task.quote, task.item, task.section_id, task.origin = obligation.quote, item, item.section_id, origin
        task.version += 1
        task.save()
        updated += 1
    return updated


def _retire_old_structure(plan: Plan) -> None:
    """Move the old sections and items out of the way of the new numbers (deleted at the end)."""
    offset = 10000
    Section.objects.filter(plan=plan).update(number=F("number") + offset)
    Item.objects.filter(plan=plan).update(number=F("number") + offset)


def _apply_revision(draft: PlanImport, acting_user: Any, start: datetime.date) -> ImportResult:
    plan = Plan.objects.select_for_update().get(pk=draft.base_plan_id)
    data = draft.data
    result = ImportResult(plan)
    old = list(plan.obligations.select_related("item").prefetch_related("assignments"))
    new = _flat_obligations(data)
    same, changed, removed = _match(old, new)
    # The same text mapped to other units is regenerated like a changed one.
    reassigned = {idx for idx, o in same.items() if _assignment_set(o) != _draft_assignment_set(new[idx][1])}
    not_started = {"status": TaskStatus.NOT_STARTED, "done_count": 0}
    # Removed obligations: their unstarted tasks go; started ones stay in the ledger, detached;
    # their duty rosters are switched off (the logs are kept).
    for obligation in removed:
        result.tasks_deleted += Task.objects.filter(obligation=obligation, **not_started).delete()[0]
        result.tasks_kept += Task.objects.filter(obligation=obligation).count()
        Duty.objects.filter(obligation=obligation).update(is_active=False)
        obligation.delete()
    _retire_old_structure(plan)
    _, items = _write_structure(plan, data)
    regenerate: list[Obligation] = []
    pending: list[tuple[Obligation, list[dict[str, Any]]]] = []
    counters: dict[int, int] = {}
    for idx, (item_number, ob) in enumerate(new):
        counters[item_number] = counters.get(item_number, 0) + 1
        item = items[item_number]
        replacement = _new_obligation(plan, item, counters[item_number], ob)
        existing = same.get(idx) or changed.get(idx)
        if existing is None:
            pending.append((replacement, ob.get("assignments", [])))
            regenerate.append(replacement)
            continue
        for name in ("item", "number", "frequency", "times", "at_least", "activity", "actor_text", "quote",
                     "timing", "unresolved", "key"):
            setattr(existing, name, getattr(replacement, name))
        existing.save()
        Assignment.objects.filter(obligation=existing).delete()
        Assignment.objects.bulk_create(
            Assignment(obligation=existing, unit_id=a["unit"], role=a["role"]) for a in ob.get("assignments", [])
        )
        getattr(existing, "_prefetched_objects_cache", {}).pop("assignments", None)  # read afresh in _generate
        Task.objects.filter(obligation=existing).exclude(**not_started).update(item=item, section=item.section)
        if idx in changed or idx in reassigned:
            # A changed cadence, count or mapping: its unstarted tasks are regenerated from the new
            # text; started ones stay (and keep their period: no second task is made for it).
            result.tasks_deleted += Task.objects.filter(obligation=existing, **not_started).delete()[0]
            leads = [a["unit"] for a in ob.get("assignments", []) if a["role"] == AssignmentRole.LEAD]
            stale_duties = Duty.objects.filter(obligation=existing, is_active=True)
            if existing.frequency in DUTY_FREQUENCIES:
                stale_duties = stale_duties.exclude(unit_id__in=leads)
            stale_duties.update(is_active=False)
            regenerate.append(existing)
        else:
            result.tasks_updated += _update_unstarted(existing, item, plan)
    _save_obligations(pending, result)
    Item.objects.filter(plan=plan, number__gte=10000).delete()
    Section.objects.filter(plan=plan, number__gte=10000).delete()
    plan.title = data["title"][:200]
    plan.organization = (data.get("organization") or "")[:100]
    plan.preamble = data.get("preamble", "")
    plan.warnings = data.get("warnings", [])
    plan.outline_only = bool(data.get("outline_only"))
    plan.source_name = draft.source_name
    plan.source_sha256 = draft.source_sha256
    plan.revision += 1
    plan.save()
    _generate(plan, regenerate, start, result)
    result.flagged = Obligation.objects.filter(plan=plan, unresolved=True).count()
    return result
