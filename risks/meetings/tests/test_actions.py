"""Service level: series and working-day scheduling, agenda snapshot and plug-in sources, record and
decisions → tasks, plans (levels, revisions), drills (snapshot, late steps, findings → tasks),
pre-release checks (frozen), optimistic locking, permissions."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError

from core import workdays
from core.models import AuditAction, AuditEntry
from ledger.actions import create_task
from ledger.choices import SourceKind
from ledger.models import Task
from org.models import Person
from risks.meetings import actions
from risks.meetings.agenda import AgendaEntry
from risks.meetings.choices import (
    Answer,
    Attendance,
    Cadence,
    CheckStatus,
    MeetingKind,
    MeetingStatus,
    SubjectKind,
)
from risks.meetings.models import AgendaItem, DrillStep

pytestmark = pytest.mark.django_db


def person(user):
    return Person.objects.get(user=user)


# --- series ----------------------------------------------------------------------------------------


def test_series_generates_meetings_on_the_last_working_day_of_each_period(world, today):
    series = actions.do_create_series(unit=world.unit_a, title="宣传科研判会", kind=MeetingKind.ANALYSIS,
                                      cadence=Cadence.BIMONTHLY, default_attendees=[person(world.staff_a)],
                                      acting_user=world.head_a)
    year = today.year + 1
    made = actions.do_generate_meetings(series, year=year, acting_user=world.head_a, today=today)
    assert [m.scheduled_on for m in made] == [workdays.last_workday_of_month(year, m) for m in (2, 4, 6, 8, 10, 12)]
    assert all(workdays.is_workday(m.scheduled_on) for m in made)
    assert made[0].title == f"宣传科研判会（{year}年1—2月）"
    assert made[0].attendees.get().person == person(world.staff_a)
    # Running it again creates nothing: one meeting per period.
    assert actions.do_generate_meetings(series, year=year, acting_user=world.head_a, today=today) == []
    with pytest.raises(ValidationError, match="只能安排"):
        actions.do_generate_meetings(series, year=today.year + 3, acting_user=world.head_a, today=today)


def test_generation_skips_past_periods(world):
    series = actions.do_create_series(unit=world.unit_a, title="半年研判", kind=MeetingKind.ANALYSIS,
                                      cadence=Cadence.SEMIANNUAL, acting_user=world.admin)
    made = actions.do_generate_meetings(series, year=2026, acting_user=world.admin, today=datetime.date(2026, 7, 15))
    assert [m.scheduled_on for m in made] == [workdays.last_workday_of_month(2026, 12)]
    assert made[0].title.endswith("（2026年下半年）")


def test_series_needs_the_change_scope_and_refusal_is_logged(world):
    with pytest.raises(PermissionDenied):
        actions.do_create_series(unit=world.unit_a, title="越权", kind=MeetingKind.JOINT, cadence=1,
                                 acting_user=world.head_b)
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.head_b).exists()
    with pytest.raises(ValidationError, match="召开频次无效"):
        actions.do_create_series(unit=world.unit_a, title="错误频次", kind=MeetingKind.JOINT, cadence=5,
                                 acting_user=world.head_a)


# --- meetings ---------------------------------------------------------------------------------------


def test_meeting_date_before_today_or_on_a_holiday_is_refused(world, today):
    with pytest.raises(ValidationError, match="不能早于今天"):
        actions.do_create_meeting(unit=world.unit_a, title="会", kind=MeetingKind.ANALYSIS,
                                  scheduled_on=today - datetime.timedelta(days=1), acting_user=world.head_a)
    sunday = today + datetime.timedelta(days=(6 - today.weekday()) % 7 + 7)
    if not workdays.is_workday(sunday):
        with pytest.raises(ValidationError, match="不是工作日"):
            actions.do_create_meeting(unit=world.unit_a, title="会", kind=MeetingKind.ANALYSIS, scheduled_on=sunday,
                                      acting_user=world.head_a)
        m = actions.do_create_meeting(unit=world.unit_a, title="会", kind=MeetingKind.ANALYSIS, scheduled_on=sunday,
                                      acting_user=world.head_a, allow_non_workday=True)
        assert m.scheduled_on == sunday


def test_agenda_prefill_snapshots_overdue_tasks_and_plugin_sources(world, meeting, today, monkeypatch):
    late = create_task(unit=world.unit_a_child, title="逾期的宣传任务", due_date=today - datetime.timedelta(days=10),
                       acting_user=world.admin)
    create_task(unit=world.unit_b, title="别的单位的逾期任务", due_date=today - datetime.timedelta(days=10),
                acting_user=world.admin)
    create_task(unit=world.unit_a, title="未到期", due_date=today + datetime.timedelta(days=10),
                acting_user=world.admin)
    # The opinion app will add its source the same way: an attribute on its AppConfig.
    config = apps.get_app_config("ledger")
    monkeypatch.setattr(config, "meeting_agenda_sources", [
        {"key": "incidents", "label": "新发舆情事件", "order": 20,
         "func": lambda m, u, d: [AgendaEntry("incident:1", "舆情事件：某稿件被误读", "热度上升")]},
    ], raising=False)
    added = actions.do_prefill_agenda(meeting, acting_user=world.head_a, expected_version=meeting.version)
    items = list(meeting.agenda.all())
    assert added == 2
    assert [(i.source, i.title) for i in items] == [
        ("incidents", "舆情事件：某稿件被误读"), ("overdue", "逾期事项：逾期的宣传任务")]
    assert items[1].ref == f"task:{late.pk}"
    # A snapshot: the task changes, the agenda does not; pre-filling again adds nothing twice.
    Task.objects.filter(pk=late.pk).update(title="改过的标题")
    meeting.refresh_from_db()
    assert actions.do_prefill_agenda(meeting, acting_user=world.head_a) == 0
    assert AgendaItem.objects.get(ref=f"task:{late.pk}").title == "逾期事项：逾期的宣传任务"


def test_agenda_edits_are_version_checked(world, meeting):
    item = actions.do_add_agenda_item(meeting, title="通报形势", acting_user=world.head_a,
                                      expected_version=meeting.version)
    stale = meeting.version
    with pytest.raises(actions.MeetingConflict):
        actions.do_update_agenda_item(item, title="改", acting_user=world.head_a, expected_version=stale)
    meeting.refresh_from_db()
    actions.do_update_agenda_item(item, title="改过", acting_user=world.head_a, expected_version=meeting.version)
    assert AgendaItem.objects.get(pk=item.pk).title == "改过"


def test_record_then_decisions_become_meeting_tasks(world, meeting, today, workday):
    with pytest.raises(ValidationError, match="请先记录会议召开情况"):
        actions.do_add_decision(meeting, text="先决定", unit=world.unit_a, due_date=workday, acting_user=world.head_a)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        actions.do_record_meeting(meeting, held_on=today + datetime.timedelta(days=1), minutes="纪要",
                                  attendance=[actions.AttendanceRow(person(world.head_a), Attendance.PRESENT)],
                                  acting_user=world.head_a, expected_version=meeting.version)
    rows = [actions.AttendanceRow(person(world.head_a), Attendance.PRESENT),
            actions.AttendanceRow(person(world.staff_a), Attendance.LEAVE, "出差")]
    actions.do_record_meeting(meeting, held_on=today, minutes="会议研究了三件事", chair="宣传科长", attendance=rows,
                              acting_user=world.head_a, expected_version=meeting.version)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert {(a.person.name, a.status, a.note) for a in meeting.attendees.all()} == {
        ("宣传科长", "present", ""), ("宣传科员", "leave", "出差")}
    with pytest.raises(ValidationError, match="完成时限不能早于今天"):
        actions.do_add_decision(meeting, text="过去的决定", unit=world.unit_a,
                                due_date=today - datetime.timedelta(days=1), acting_user=world.head_a)
    decision = actions.do_add_decision(meeting, text="完善审核机制\n细节", unit=world.unit_a_child,
                                       due_date=workday, acting_user=world.head_a)
    task = decision.task
    assert (task.source_kind, task.source, task.unit, task.due_date) == (
        SourceKind.MEETING, decision, world.unit_a_child, workday)
    assert task.title == "落实会议决定：完善审核机制"
    # Decisions can only go to units the user may assign work to.
    with pytest.raises(PermissionDenied):
        actions.do_add_decision(meeting, text="越权", unit=world.unit_b, due_date=workday, acting_user=world.head_a)
    assert not Task.objects.filter(unit=world.unit_b).exists()


def test_stale_meeting_edit_is_refused(world, meeting):
    v = meeting.version
    actions.do_update_meeting(meeting, title="第一次修改", acting_user=world.head_a, expected_version=v)
    with pytest.raises(actions.MeetingConflict):
        actions.do_update_meeting(meeting, title="第二个人的修改", acting_user=world.leader_a, expected_version=v)
    meeting.refresh_from_db()
    assert meeting.title == "第一次修改"


# --- plans and drills -------------------------------------------------------------------------------


def test_plan_levels_are_checked_and_revisions_counted(world, plan):
    with pytest.raises(ValidationError, match="响应级别无效"):
        actions.do_create_plan(unit=world.unit_a, title="错", level="5", trigger="x",
                               steps=[actions.StepData("a", 1)], acting_user=world.head_a)
    with pytest.raises(ValidationError, match="至少填写一个处置步骤"):
        actions.do_create_plan(unit=world.unit_a, title="空", level="1", trigger="x", steps=[], acting_user=world.head_a)
    v = plan.version
    actions.do_update_plan(plan, title=plan.title, level="2", trigger="升级", acting_user=world.head_a,
                           expected_version=v, steps=[actions.StepData("唯一步骤", 10)])
    plan.refresh_from_db()
    assert (plan.level, plan.revision, [s.title for s in plan.steps.all()]) == ("2", 2, ["唯一步骤"])
    with pytest.raises(actions.MeetingConflict):
        actions.do_update_plan(plan, title="旧版本", level="2", trigger="x", acting_user=world.leader_a,
                               expected_version=v, steps=[actions.StepData("a", 1)])


def test_drill_keeps_the_steps_it_ran_and_flags_late_ones(world, plan, workday):
    drill = actions.do_create_drill(plan, scenario="模拟舆情", held_at=datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC),
                                    participants=[person(world.staff_a)], acting_user=world.head_a)
    steps = list(drill.steps.all())
    assert [(s.title, s.target_minutes, s.responsible) for s in steps] == [
        ("报告值班领导", 15, "值班人员"), ("形成回应口径", 60, "办公室")]
    actions.do_record_drill(drill, acting_user=world.head_a, expected_version=drill.version, summary="总结",
                            timings=[actions.StepTiming(steps[0].pk, 10), actions.StepTiming(steps[1].pk, 90, "签批慢")])
    assert [s.is_late for s in DrillStep.objects.filter(drill=drill)] == [False, True]
    # A later revision of the plan does not rewrite the drill.
    plan.refresh_from_db()
    actions.do_update_plan(plan, title=plan.title, level=plan.level, trigger="新", acting_user=world.head_a,
                           expected_version=plan.version, steps=[actions.StepData("全新步骤", 5)])
    assert drill.steps.count() == 2 and drill.plan_revision == 1
    with pytest.raises(actions.MeetingConflict):
        actions.do_record_drill(drill, timings=[], acting_user=world.head_a, expected_version=drill.version)
    finding = actions.do_add_finding(drill, text="口径签批超时", unit=world.unit_a, due_date=workday,
                                     acting_user=world.head_a)
    assert (finding.task.source_kind, finding.task.source) == (SourceKind.DRILL, finding)


# --- pre-release checks -----------------------------------------------------------------------------


def test_check_is_completed_only_when_answered_and_then_frozen(world, template, today, workday):
    with pytest.raises(ValidationError, match="拟定日期不能早于今天"):
        actions.do_start_check(unit=world.unit_a, template=template, subject_title="发布稿件",
                               subject_kind=SubjectKind.PUBLICATION, subject_date=today - datetime.timedelta(days=1),
                               acting_user=world.staff_a)
    check = actions.do_start_check(unit=world.unit_a, template=template, subject_title="发布政策解读稿",
                                   subject_kind=SubjectKind.PUBLICATION, subject_date=workday,
                                   acting_user=world.staff_a)
    first, second = check.answers.all()
    with pytest.raises(ValidationError) as exc:
        actions.do_complete_check(check, acting_user=world.staff_a, expected_version=check.version)
    assert "尚未作答" in "；".join(exc.value.messages)
    check = actions.do_save_answers(check, acting_user=world.staff_a, expected_version=check.version,
                                    answers=[actions.AnswerData(first.pk, Answer.YES),
                                             actions.AnswerData(second.pk, Answer.NO)], conclusion="可以发布")
    with pytest.raises(ValidationError, match="发现风险，须说明"):
        actions.do_complete_check(check, acting_user=world.staff_a, expected_version=check.version)
    check = actions.do_save_answers(check, acting_user=world.staff_a, expected_version=check.version,
                                    answers=[actions.AnswerData(second.pk, Answer.NO, "个别表述易被误读，已修改")])
    check = actions.do_complete_check(check, acting_user=world.staff_a, expected_version=check.version)
    assert check.status == CheckStatus.COMPLETED and check.completed_by == world.staff_a
    # The template changes later; the stored check keeps its questions, and it cannot be edited.
    actions.do_save_template(template, title=template.title, items=[actions.ItemData("新风险点", "新问题")],
                             acting_user=world.admin, expected_version=template.version)
    assert [a.text for a in check.answers.all()] == ["内容导向正确", "已研判舆情风险"]
    with pytest.raises(ValidationError, match="已完成并存档"):
        actions.do_save_answers(check, acting_user=world.staff_a, expected_version=check.version, answers=[])


def test_checks_and_templates_respect_scope(world, template, workday):
    with pytest.raises(PermissionDenied):
        actions.do_start_check(unit=world.unit_a, template=template, subject_title="x",
                               subject_kind=SubjectKind.EVENT, subject_date=workday, acting_user=world.staff_b)
    with pytest.raises(PermissionDenied):
        actions.do_save_template(None, title="非管理员", items=[actions.ItemData("a", "b")], acting_user=world.head_a)


def test_open_risks_feed_the_agenda_and_a_check_registers_a_found_risk(world, meeting, template, workday):
    from risks.models import Risk, RiskDomain

    RiskDomain.objects.create(name="舆情风险")
    check = actions.do_start_check(unit=world.unit_a, template=template, subject_title="新闻发布会",
                                   subject_kind=SubjectKind.EVENT, subject_date=workday, acting_user=world.head_a)
    first, second = check.answers.all()
    check = actions.do_save_answers(check, acting_user=world.head_a, expected_version=check.version,
                                    conclusion="整改后举办",
                                    answers=[actions.AnswerData(first.pk, Answer.YES),
                                             actions.AnswerData(second.pk, Answer.NO, "口径未统一", raise_risk=True)])
    actions.do_complete_check(check, acting_user=world.head_a, expected_version=check.version)
    risk = Risk.objects.get()
    assert (risk.unit, risk.domain.name, risk.title) == (world.unit_a, "舆情风险", "新闻发布会：舆情风险")
    assert check.answers.get(pk=second.pk).risk_id == risk.pk
    actions.do_prefill_agenda(meeting, acting_user=world.head_a)
    assert meeting.agenda.get(source="risks").ref == f"risk:{risk.pk}"
