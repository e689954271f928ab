"""Mapping the actors a plan names (各科室, 部党委, 办公室牵头…) to the organ's units.

Rules:
- a unit's name or one of its aliases resolves to that unit; an alias may stand for every unit of a
  kind (各科室 → every 科室, each gets its own task);
- "X牵头，Y配合" makes X lead and Y assist;
- several actors joined by 、/和/及/与 each lead;
- anything unresolved (or no actor at all) goes to the coordinating unit and is flagged for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from org.models import Unit, UnitAlias
from plans.choices import AssignmentRole
from yishi_text.normalize import name_key

_LEAD_RE = re.compile(r"([^，,。；;：:]{2,30}?)(?:牵头|负责牵头|为牵头单位)")
_ASSIST_RE = re.compile(r"(?:牵头)[，,、]?\s*([^，,。；;]{2,40}?)(?:配合|参与|协助|协同)")
_SPLIT_RE = re.compile(r"[、和及与]|以及")
_PREFIX_RE = re.compile(r"^(?:由|请|要求|督促|组织|推动)")


@dataclass
class Resolution:
    assignments: list[tuple[int, str]] = field(default_factory=list)  # (unit id, role)
    unresolved: bool = False
    unmatched: list[str] = field(default_factory=list)


class UnitIndex:
    """Every name a plan may use for a unit, resolved once per import."""

    def __init__(self, root: Unit | None = None) -> None:
        units = Unit.objects.filter(is_active=True)
        if root is not None:
            units = units.filter(path__startswith=root.path)
        self.units = {u.pk: u for u in units}
        self.by_name: dict[str, list[int]] = {}
        for unit in self.units.values():
            for name in (unit.name, unit.short_name):
                if name:
                    self.by_name.setdefault(name_key(name), []).append(unit.pk)
        for alias in UnitAlias.objects.all():
            if alias.unit_id and alias.unit_id in self.units:
                ids = [alias.unit_id]
            else:
                ids = [u.pk for u in self.units.values() if alias.unit_kind and u.kind == alias.unit_kind]
            if ids:
                self.by_name[name_key(alias.name)] = ids
        coordinators = [u for u in self.units.values() if u.is_coordinator]
        self.coordinator = coordinators[0] if coordinators else (root or next(iter(self.units.values()), None))

    def lookup(self, name: str) -> list[int]:
        key = name_key(_PREFIX_RE.sub("", name.strip()))
        if key in self.by_name:
            return self.by_name[key]
        # "各科室要" / "办公室要": tolerate a trailing modal word after the name.
        for suffix in ("要", "应", "须", "必须", "负责", "每"):
            if key.endswith(suffix) and key[: -len(suffix)] in self.by_name:
                return self.by_name[key[: -len(suffix)]]
        return []


def _names(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT_RE.split(text) if part.strip()]


def resolve(actor: str | None, quote: str, index: UnitIndex) -> Resolution:
    res = Resolution()
    leads: list[str] = []
    assists: list[str] = []
    lead_match = _LEAD_RE.search(quote or "") or (_LEAD_RE.search(actor) if actor else None)
    if lead_match:
        leads = _names(lead_match.group(1))
        assist_match = _ASSIST_RE.search(quote or "")
        if assist_match:
            assists = _names(assist_match.group(1))
    elif actor:
        leads = _names(actor)
    seen: set[int] = set()
    for names, role in ((leads, AssignmentRole.LEAD), (assists, AssignmentRole.ASSIST)):
        for name in names:
            ids = index.lookup(name)
            if not ids:
                res.unmatched.append(name)
            for unit_id in ids:
                if unit_id not in seen:
                    seen.add(unit_id)
                    res.assignments.append((unit_id, role))
    if not any(role == AssignmentRole.LEAD for _, role in res.assignments):
        res.unresolved = True
        if index.coordinator is not None and index.coordinator.pk not in seen:
            res.assignments.insert(0, (index.coordinator.pk, AssignmentRole.LEAD))
    elif res.unmatched:
        res.unresolved = True
    return res
