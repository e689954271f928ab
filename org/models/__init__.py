"""Org models: the organization (base) and the responsibility system built on it (responsibility).

Everything stays importable from `org.models`, as before the split.
"""

from org.models.base import Person, RoleAssignment, Unit, UnitAlias
from org.models.responsibility import (
    ContactPoint,
    DutyReport,
    DutyReportComment,
    DutyReportSchedule,
    LetterTemplate,
    ResponsibilityEntry,
    ResponsibilityLetter,
    ResponsibilityList,
    ResponsibilityListRevision,
)

__all__ = [
    "ContactPoint",
    "DutyReport",
    "DutyReportComment",
    "DutyReportSchedule",
    "LetterTemplate",
    "Person",
    "ResponsibilityEntry",
    "ResponsibilityLetter",
    "ResponsibilityList",
    "ResponsibilityListRevision",
    "RoleAssignment",
    "Unit",
    "UnitAlias",
]
