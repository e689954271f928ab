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

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import audit
from core.models import AuditAction
from core.roles import Perm
from core.scoping import has_perm, scope_unit_ids
from ledger.actions import bulk_create_tasks
from ledger.choices import SourceKind, TaskStatus
from ledger.models import Duty, Task
from ledger.periods import periods_for
from org.models import Unit
from plans import actors
from plans.choices import DUTY_FREQUENCIES, AssignmentRole, Frequency, ImportStatus
from plans.models import Assignment, Item, Obligation, Plan, PlanImport, Section, Target
from yishi_text.plans import PlanReadError, parse_plan_file, parse_plan_text

PLAN_PERM = Perm.ORG_MANAGE  # the coordinating office's administrators import plans
FREQUENCIES = {choice.value for choice in Frequency}
_KEY_STRIP = re.compile(r"[\s，,。.；;：:、！!？?“”\"'（）()《》〈〉【】\[\]]+")


def obligation_key(quote: str) -> str:
    """A fingerprint of an obligation's text that ignores punctuation, spaces and width."""
    text = _KEY_STRIP.sub("", unicodedata.normalize("NFKC", quote or ""))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # noqa: S324 - a fingerprint, not security


def _require_importer(user: Any) -> None:
    if not has_perm(user, PLAN_PERM):
        raise PermissionDenied("仅系统管理员（牵头协调部门）可导入工作要点")


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
    try:
        if data is not None:
            parsed = parse_plan_file(data, filename or "plan.txt")
            raw = data
        else:
            parsed = parse_plan_text(text)
            raw = text.encode("utf-8")
            filename = filename or "粘贴的文本"
    except PlanReadError as exc:
        raise ValidationError(str(exc)) from exc
    plan_data = parsed.to_dict()
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
    """Every problem of the edited draft, in Chinese; empty when it can be imported."""
    errors = DraftErrors()
    if not (data.get("title") or "").strip():
        errors.add("标题不能为空")
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors.add("年度无效")
    items = _items(data)
    if not items:
        errors.add("没有可导入的条目")
    numbers = [item.get("number") for item in items]
    if len(set(numbers)) != len(numbers):
        errors.add("条目序号重复")
    for item in items:
        label = f"第 {item.get('number')} 项"
        if not (item.get("title") or "").strip():
            errors.add(f"{label}：标题不能为空")
        for n, ob in enumerate(item.get("obligations", []), start=1):
            where = f"{label}第 {n} 个工作事项"
            if ob.get("frequency") not in FREQUENCIES:
                errors.add(f"{where}：频次无效")
            times = ob.get("times")
            if times is not None and (not isinstance(times, int) or not 1 <= times <= 1000):
                errors.add(f"{where}：次数应为 1–1000 的整数")
            if not (ob.get("activity") or "").strip():
                errors.add(f"{where}：事项不能为空")
            leads = [a for a in ob.get("assignments", []) if a.get("role") == AssignmentRole.LEAD]
            if not leads:
                errors.add(f"{where}：请至少指定一个牵头（责任）单位")
            for a in ob.get("assignments", []):
                if a.get("role") not in (AssignmentRole.LEAD, AssignmentRole.ASSIST):
                    errors.add(f"{where}：分工无效")
                if allowed_units is not None and a.get("unit") not in allowed_units:
                    errors.add(f"{where}：单位不存在或不在您的管理范围内")
    return errors.messages


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
                for uid in leads
            )
            continue
        for period in periods_for(obligation.frequency, plan.year, obligation.times, obligation.timing):
            if period.due < start:
                continue
            for uid in leads:
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

    @property
    def empty(self) -> bool:
        return not (self.items_added or self.items_removed or self.items_renamed or self.obligations_added
                    or self.obligations_removed or self.obligations_changed)


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
    old = list(plan.obligations.select_related("item"))
    new = _flat_obligations(data)
    same, changed, removed = _match(old, new)
    diff.obligations_kept = len(same)
    diff.obligations_changed = [(changed[i].quote, new[i][1].get("quote", "")) for i in changed]
    diff.obligations_added = [ob.get("quote") or ob.get("activity", "") for idx, (_, ob) in enumerate(new)
                              if idx not in same and idx not in changed]
    diff.obligations_removed = [o.quote for o in removed]
    return diff


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
    old = list(plan.obligations.select_related("item"))
    new = _flat_obligations(data)
    same, changed, removed = _match(old, new)
    not_started = {"status": TaskStatus.NOT_STARTED, "done_count": 0}
    # Removed obligations: their unstarted tasks go; started ones stay in the ledger, detached.
    for obligation in removed:
        result.tasks_deleted += Task.objects.filter(obligation=obligation, **not_started).delete()[0]
        result.tasks_kept += Task.objects.filter(obligation=obligation).count()
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
        existing.assignments.all().delete()
        Assignment.objects.bulk_create(
            Assignment(obligation=existing, unit_id=a["unit"], role=a["role"]) for a in ob.get("assignments", [])
        )
        Task.objects.filter(obligation=existing).exclude(**not_started).update(item=item, section=item.section)
        if idx in changed:
            # A changed cadence or count: its unstarted tasks are regenerated from the new text.
            result.tasks_deleted += Task.objects.filter(obligation=existing, **not_started).delete()[0]
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
    return result
