"""Analysis meetings (研判会 / 联席会议), contingency plans and drills (应急预案 / 演练), and the
pre-release risk check (风险评估前置).

Every unit-owned table is a `UnitScopedModel` (child rows name their unit through the parent in
`scope_unit_field`) and an `AuditedModel`. Records that people edit from forms carry a `version` for
optimistic locking. What a meeting or drill looked at is snapshotted into it (agenda items, step
targets, checklist questions), so later changes never rewrite history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel, UnitScopedModel
from core.scoping import ScopedQuerySet
from risks.meetings.choices import (
    Answer,
    Attendance,
    Cadence,
    CheckStatus,
    MeetingKind,
    MeetingStatus,
    PlanLevel,
    SubjectKind,
)

_USER = settings.AUTH_USER_MODEL
_AUDIT_EXCLUDE = ("created_at", "updated_at", "version")


# --- meetings ---------------------------------------------------------------------------------------


class MeetingSeries(AuditedModel, UnitScopedModel):
    """A recurring meeting as the plan asks for it (部党委每半年召开1次研判会)."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="召集单位")
    title = models.CharField("名称", max_length=200)
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices, default=MeetingKind.ANALYSIS)
    cadence = models.PositiveSmallIntegerField("召开频次", choices=Cadence.choices, default=Cadence.BIMONTHLY)
    default_attendees = models.ManyToManyField("org.Person", blank=True, related_name="+", verbose_name="默认参会人员")
    obligation = models.ForeignKey("plans.Obligation", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="工作要点事项")
    is_active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = _AUDIT_EXCLUDE

    class Meta:
        verbose_name = "会议系列"
        verbose_name_plural = "会议系列"
        ordering = ["unit__path", "title", "id"]

    def __str__(self) -> str:
        return self.title


class AnalysisMeeting(AuditedModel, UnitScopedModel):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="召集单位")
    series = models.ForeignKey(MeetingSeries, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="meetings", verbose_name="会议系列")
    period_start = models.DateField("周期开始", null=True, blank=True)
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices, default=MeetingKind.ANALYSIS)
    title = models.CharField("会议名称", max_length=200)
    scheduled_on = models.DateField("计划召开日期", db_index=True)
    location = models.CharField("地点", max_length=100, blank=True)
    status = models.CharField("状态", max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    held_on = models.DateField("召开日期", null=True, blank=True)
    chair = models.CharField("主持人", max_length=64, blank=True)
    minutes = models.TextField("会议纪要", blank=True)
    agenda_filled_at = models.DateTimeField("议程预填时间", null=True, blank=True)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = _AUDIT_EXCLUDE

    class Meta:
        verbose_name = "研判会"
        verbose_name_plural = "研判会"
        ordering = ["-scheduled_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "period_start"], name="meeting_once_per_period"),
        ]

    def __str__(self) -> str:
        return self.title


class AgendaItem(AuditedModel, TimeStampedModel):
    """One agenda point, copied from its source when the agenda was pre-filled (then edited freely)."""

    meeting = models.ForeignKey(AnalysisMeeting, on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveIntegerField("序号", default=1)
    source = models.CharField("来源", max_length=32, default="manual")
    source_label = models.CharField("来源说明", max_length=32, default="手工添加")
    ref = models.CharField("来源记录", max_length=64, blank=True, help_text="如 risk:12、task:40")
    title = models.CharField("议题", max_length=300)
    detail = models.TextField("说明", blank=True)

    scope_unit_field = "meeting__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "议程"
        ordering = ["meeting_id", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Attendee(AuditedModel, TimeStampedModel):
    meeting = models.ForeignKey(AnalysisMeeting, on_delete=models.CASCADE, related_name="attendees")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+", verbose_name="人员")
    status = models.CharField("出席情况", max_length=16, choices=Attendance.choices, blank=True, default="")
    note = models.CharField("备注", max_length=200, blank=True)

    scope_unit_field = "meeting__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "参会人员"
        ordering = ["meeting_id", "person__unit__path", "person__sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="attendee_once")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_status_display()}"


class Decision(AuditedModel, TimeStampedModel):
    """A decision of the meeting; each one is a task in the ledger (source_kind MEETING)."""

    meeting = models.ForeignKey(AnalysisMeeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField("决定事项")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="责任单位")
    due_date = models.DateField("完成时限")
    task = models.ForeignKey("ledger.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope_unit_field = "meeting__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "会议决定"
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return self.text[:60]


# --- contingency plans and drills -------------------------------------------------------------------


class ContingencyPlan(AuditedModel, UnitScopedModel):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="责任单位")
    title = models.CharField("预案名称", max_length=200)
    level = models.CharField("响应级别", max_length=2, choices=PlanLevel.choices)
    trigger = models.TextField("启动条件")
    description = models.TextField("说明", blank=True)
    is_active = models.BooleanField("启用", default=True)
    # Counts saved revisions (steps included); a drill records the revision it was run against.
    revision = models.PositiveIntegerField("修订次数", default=1)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = _AUDIT_EXCLUDE

    class Meta:
        verbose_name = "应急预案"
        verbose_name_plural = "应急预案"
        ordering = ["unit__path", "level", "title", "id"]

    def __str__(self) -> str:
        return self.title


class ResponseStep(AuditedModel, TimeStampedModel):
    plan = models.ForeignKey(ContingencyPlan, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField("序号")
    title = models.CharField("处置步骤", max_length=200)
    role = models.CharField("责任岗位", max_length=64, blank=True)
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name="责任单位")
    target_minutes = models.PositiveIntegerField("响应时限（分钟）")

    scope_unit_field = "plan__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "处置步骤"
        ordering = ["plan_id", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class Drill(AuditedModel, UnitScopedModel):
    plan = models.ForeignKey(ContingencyPlan, on_delete=models.PROTECT, related_name="drills", verbose_name="预案")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="组织单位")
    plan_revision = models.PositiveIntegerField("预案修订次数", default=1)
    scenario = models.TextField("演练场景")
    held_at = models.DateTimeField("演练时间")
    participants = models.ManyToManyField("org.Person", blank=True, related_name="+", verbose_name="参演人员")
    summary = models.TextField("演练总结", blank=True)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = _AUDIT_EXCLUDE

    class Meta:
        verbose_name = "应急演练"
        verbose_name_plural = "应急演练"
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.title} 演练（{self.held_at:%Y-%m-%d}）"


class DrillStep(AuditedModel, TimeStampedModel):
    """A step as the plan had it when the drill ran, with the actual time to respond."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField("序号")
    title = models.CharField("处置步骤", max_length=200)
    responsible = models.CharField("责任岗位/单位", max_length=200, blank=True)
    target_minutes = models.PositiveIntegerField("响应时限（分钟）")
    actual_minutes = models.PositiveIntegerField("实际用时（分钟）", null=True, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)

    scope_unit_field = "drill__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "演练步骤"
        ordering = ["drill_id", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    @property
    def is_late(self) -> bool:
        return self.actual_minutes is not None and self.actual_minutes > self.target_minutes


class DrillFinding(AuditedModel, TimeStampedModel):
    """A problem the drill exposed; each one is a task in the ledger (source_kind DRILL)."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="findings")
    text = models.TextField("发现问题及整改要求")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="整改单位")
    due_date = models.DateField("整改时限")
    task = models.ForeignKey("ledger.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope_unit_field = "drill__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "演练发现问题"
        ordering = ["drill_id", "id"]

    def __str__(self) -> str:
        return self.text[:60]


# --- pre-release risk check -------------------------------------------------------------------------


class ChecklistTemplate(AuditedModel, TimeStampedModel):
    """A configurable checklist (administrators): items grouped by risk point."""

    title = models.CharField("名称", max_length=200, unique=True)
    description = models.TextField("说明", blank=True)
    is_active = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = _AUDIT_EXCLUDE

    class Meta:
        verbose_name = "风险评估清单"
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(AuditedModel, TimeStampedModel):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    group = models.CharField("风险点", max_length=64)
    order = models.PositiveIntegerField("序号")
    text = models.CharField("检查内容", max_length=300)

    class Meta:
        verbose_name = "清单条目"
        ordering = ["template_id", "order", "id"]

    def __str__(self) -> str:
        return self.text


class ReleaseCheck(AuditedModel, UnitScopedModel):
    """The check a unit completes before a major decision, event or publication; frozen once done."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="填报单位")
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="+", verbose_name="清单")
    subject_title = models.CharField("事项名称", max_length=200)
    subject_kind = models.CharField("事项类型", max_length=16, choices=SubjectKind.choices)
    subject_date = models.DateField("拟定日期")
    status = models.CharField("状态", max_length=16, choices=CheckStatus.choices, default=CheckStatus.DRAFT)
    conclusion = models.TextField("评估结论", blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    completed_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="完成人")
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_exclude = _AUDIT_EXCLUDE

    class Meta:
        verbose_name = "风险评估前置检查"
        verbose_name_plural = "风险评估前置检查"
        ordering = ["-subject_date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_subject_kind_display()}：{self.subject_title}"


class CheckAnswer(AuditedModel, TimeStampedModel):
    """One question as the template had it when the check was started, and the unit's answer."""

    check_record = models.ForeignKey(ReleaseCheck, on_delete=models.CASCADE, related_name="answers")
    group = models.CharField("风险点", max_length=64)
    order = models.PositiveIntegerField("序号")
    text = models.CharField("检查内容", max_length=300)
    answer = models.CharField("结论", max_length=8, choices=Answer.choices, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    raise_risk = models.BooleanField("登记为风险隐患", default=False)
    risk_id = models.PositiveBigIntegerField("登记的风险", null=True, blank=True)

    scope_unit_field = "check_record__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "检查结论"
        ordering = ["check_record_id", "order", "id"]

    def __str__(self) -> str:
        return self.text
