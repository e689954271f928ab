"""Demo data for 研判会与演练, written through the normal actions (so it is audited like real work):
a bimonthly 研判会 series with one held meeting (minutes, attendance, decisions → tasks), one
contingency plan with its steps, one drill with timings and a finding, and a pre-release checklist.
Idempotent: each piece is matched by its title and skipped when already there."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from core import workdays
from org.models import Person, Unit
from risks.meetings import actions
from risks.meetings.choices import Attendance, Cadence, MeetingKind, PlanLevel
from risks.meetings.models import AnalysisMeeting, ChecklistTemplate, ContingencyPlan, Drill, MeetingSeries

SERIES_TITLE = "机关党组意识形态风险研判会"
HELD_TITLE = "机关党组意识形态风险研判会（示例：已召开）"
PLAN_TITLE = "意识形态领域突发事件应急处置预案"
TEMPLATE_TITLE = "重大事项意识形态风险评估清单"

CHECKLIST = [
    ("政治导向", "内容符合党的路线方针政策，无错误政治观点和表述"),
    ("政治导向", "涉及重大历史、民族、宗教等问题的表述准确规范"),
    ("意识形态表述", "引用领导讲话、政策文件准确，出处可查"),
    ("舆情风险", "已研判可能引发的社会关注和负面炒作，并有应对口径"),
    ("保密与安全", "不含涉密或敏感信息，图片、数据已脱敏"),
    ("程序合规", "已履行三审三校或集体研究决策程序"),
]
STEPS = [
    ("发现舆情或突发事件，立即报告值班领导", "值班人员", 15),
    ("启动预案，成立处置工作组", "分管领导", 30),
    ("核实情况，形成统一回应口径", "办公室", 60),
    ("发布权威信息，回应社会关切", "宣传负责人", 120),
    ("持续监测，评估处置效果并报告", "网评员", 240),
]


def load_demo_meetings(admin_user: Any) -> None:
    root = Unit.objects.filter(parent__isnull=True, is_active=True).order_by("id").first()
    if root is None:
        return
    people = list(Person.objects.filter(is_active=True, unit__path__startswith=root.path).order_by("id")[:6])
    today = timezone.localdate()
    _series(admin_user, root, people, today)
    _held_meeting(admin_user, root, people, today)
    plan = _plan(admin_user, root)
    _drill(admin_user, plan, people, today)
    _template(admin_user)


def _series(admin: Any, root: Unit, people: list[Person], today: datetime.date) -> None:
    series = MeetingSeries.objects.filter(title=SERIES_TITLE).first()
    if series is None:
        series = actions.do_create_series(unit=root, title=SERIES_TITLE, kind=MeetingKind.ANALYSIS,
                                          cadence=Cadence.BIMONTHLY, default_attendees=people, acting_user=admin)
    actions.do_generate_meetings(series, year=today.year, acting_user=admin, today=today)


def _held_meeting(admin: Any, root: Unit, people: list[Person], today: datetime.date) -> None:
    if not people or AnalysisMeeting.objects.filter(title=HELD_TITLE).exists():
        return
    meeting = actions.do_create_meeting(unit=root, title=HELD_TITLE, kind=MeetingKind.ANALYSIS, scheduled_on=today,
                                        attendees=people, allow_non_workday=True, acting_user=admin)
    actions.do_prefill_agenda(meeting, acting_user=admin, today=today)
    actions.do_add_agenda_item(meeting, title="通报近期意识形态领域形势", acting_user=admin)
    meeting.refresh_from_db()
    rows = [actions.AttendanceRow(p, Attendance.LEAVE if i == len(people) - 1 and i else Attendance.PRESENT,
                                  "公出" if i == len(people) - 1 and i else "")
            for i, p in enumerate(people)]
    actions.do_record_meeting(
        meeting, held_on=today, chair=people[0].name, acting_user=admin, attendance=rows,
        expected_version=meeting.version, today=today,
        minutes="会议通报了本阶段意识形态领域风险隐患排查情况和逾期事项。\n会议认为，网络舆情风险总体可控，"
                "但对重点时段的信息发布审核仍需加强。\n会议研究确定了下一阶段重点工作。",
    )
    meeting.refresh_from_db()
    units = list(Unit.objects.filter(parent=root, is_active=True).order_by("sort_order", "id")[:2]) or [root]
    due = workdays.add_workdays(today, 10)
    for text, unit in (("完善重点时段信息发布审核机制，形成制度文件", units[0]),
                       ("对逾期事项逐项督促整改，两周内报送整改情况", units[-1])):
        actions.do_add_decision(meeting, text=text, unit=unit, due_date=due, acting_user=admin, today=today)


def _plan(admin: Any, root: Unit) -> ContingencyPlan:
    plan = ContingencyPlan.objects.filter(title=PLAN_TITLE).first()
    if plan is None:
        steps = [actions.StepData(title, minutes, role) for title, role, minutes in STEPS]
        plan = actions.do_create_plan(unit=root, title=PLAN_TITLE, level=PlanLevel.II,
                                      trigger="发生涉及本机关的重大负面舆情，或意识形态领域突发事件，24小时内转发量超过1万次",
                                      description="适用于本机关及直属单位。", steps=steps, acting_user=admin)
    return plan


def _drill(admin: Any, plan: ContingencyPlan, people: list[Person], today: datetime.date) -> None:
    if Drill.objects.filter(plan=plan).exists():
        return
    held_at = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=7), datetime.time(9, 30)))
    drill = actions.do_create_drill(plan, scenario="模拟某政策解读稿件被断章取义并在短视频平台快速传播",
                                    held_at=held_at, participants=people, acting_user=admin)
    actuals = [12, 25, 75, 100, 200]  # the third step runs over its 60 minutes
    timings = [actions.StepTiming(step.pk, actual, "口径审核环节等待领导签批" if actual > step.target_minutes else "")
               for step, actual in zip(drill.steps.order_by("order"), actuals, strict=False)]
    actions.do_record_drill(drill, timings=timings, summary="各环节基本按预案运行，口径形成环节超时。",
                            acting_user=admin, expected_version=drill.version)
    actions.do_add_finding(drill, text="口径审核环节超时：明确紧急情况下的授权审核流程", unit=plan.unit,
                           due_date=workdays.add_workdays(today, 15), acting_user=admin, today=today)


def _template(admin: Any) -> None:
    if ChecklistTemplate.objects.filter(title=TEMPLATE_TITLE).exists():
        return
    actions.do_save_template(None, title=TEMPLATE_TITLE, items=[actions.ItemData(g, t) for g, t in CHECKLIST],
                             description="重大决策、重要活动、对外发布前由承办单位逐项填写。", acting_user=admin)

