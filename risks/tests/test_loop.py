"""The whole loop through risks.actions: screening → risk → 挂牌督办 → tasks → evidence →
verification → 销号, a failed 回头看 re-opening it; and every refusal the issue names."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditAction, AuditEntry
from ledger import actions as ledger_actions
from ledger.choices import SourceKind, SupervisionLevel, TaskStatus
from ledger.models import Supervision, Task
from org.models import Person
from risks import actions
from risks.choices import AnswerResult, CheckStatus, RiskLevel, RiskSource, RiskStatus, StepKind
from risks.models import Risk, RiskEvent, RiskSettings, RiskStep
from risks.selectors import campaign_progress, open_risks
from risks.tests.conftest import evidence, make_risk, workday

pytestmark = pytest.mark.django_db


def finish(task, world, worker=None, head=None):
    """The unit reports with evidence and its head confirms: the ledger's own loop."""
    worker = worker or world.staff_a
    files = [evidence(worker, task.unit)]
    ledger_actions.report_progress(task, text="已完成整改", files=files, request_completion=True, acting_user=worker)
    ledger_actions.confirm_completion(Task.objects.get(pk=task.pk), acting_user=head or world.head_a)


def test_whole_loop_screening_to_close_out_and_reopen(world, domains):
    today = timezone.localdate()
    # 1. Screening: the office launches, 宣传科 fills in and finds a risk; 信息科 has not.
    campaign = actions.do_launch_campaign(
        kind="special", title="国庆前专项排查", start_date=today, due_date=workday(5),
        units=[world.unit_a, world.unit_b], acting_user=world.admin)
    check = campaign.checks.get(unit=world.unit_a)
    answers = list(check.answers.order_by("order"))
    assert [a.text for a in answers][:2] == ["中心组学习流于形式", "第一议题落实不到位"]
    data = {a.pk: {"result": AnswerResult.OK} for a in answers}
    data[answers[3].pk] = {"result": AnswerResult.RISK, "note": "评论区无人审核", "likelihood": 5, "impact": 4}
    actions.do_save_self_check(check, answers=data, submit=True, acting_user=world.head_a)
    check.refresh_from_db()
    assert check.status == CheckStatus.SUBMITTED
    progress = campaign_progress(campaign, world.admin)
    assert [c.unit for c in progress["missing"]] == [world.unit_b]
    risk = Risk.objects.get(source=RiskSource.SCREENING)
    assert risk.source_object == answers[3] and risk.unit == world.unit_a
    assert risk.level == RiskLevel.MAJOR and risk.domain == domains[1]
    assert risk in open_risks(world.leader_a)

    # 2. 挂牌督办 by the leader over the unit: a named leader, a working group, a cadence.
    owner = Person.objects.get(user=world.staff_a)
    risk = actions.do_update_risk(risk, owner=owner, measures="建立评论审核制度", acting_user=world.head_a,
                                  expected_version=risk.version)
    flag = actions.do_flag_risk(risk, leader=world.leader_a, group=[owner, Person.objects.get(user=world.head_a)],
                                group_name="评论区整治专班", cadence="weekly", order="一周内拿出整改方案",
                                acting_user=world.leader_a)
    risk.refresh_from_db()
    assert risk.is_flagged and risk.status == RiskStatus.RECTIFYING
    sup = Supervision.objects.get(pk=flag.supervision_id)
    assert sup.leader == world.leader_a and sup.level == SupervisionLevel.MAJOR
    kinds = sorted(RiskStep.objects.filter(risk=risk).values_list("kind", flat=True))
    assert kinds == [StepKind.FLAG, StepKind.PROGRESS]
    report = RiskStep.objects.get(risk=risk, kind=StepKind.PROGRESS).task
    assert report.due_date == actions.next_report_due(today, "weekly") and report.source == risk

    # 3. The next report is raised by the job once the period is over (audited as the system user).
    assert actions.roll_progress_reports(today) == 0
    assert actions.roll_progress_reports(report.due_date) == 1
    assert actions.roll_progress_reports(report.due_date) == 0  # once
    assert RiskStep.objects.filter(risk=risk, kind=StepKind.PROGRESS).count() == 2

    # 4. Rectification steps are ledger tasks.
    step = actions.do_add_step(risk, title="建立评论先审后发机制", due_date=workday(8), acting_user=world.head_a)
    task = step.task
    assert task.source_kind == SourceKind.RISK and task.source == risk and task.unit == world.unit_a
    assert task.owner == owner  # the risk's owner by default

    # 5. Close-out needs every step done, and evidence.
    with pytest.raises(ValidationError, match="未完成"):
        actions.do_request_close(risk, text="已整改", files=[evidence(world.staff_a, world.unit_a)],
                                 acting_user=world.staff_a)
    for s in RiskStep.objects.filter(risk=risk):
        finish(s.task, world)
    with pytest.raises(ValidationError, match="佐证材料"):
        actions.do_request_close(risk, text="已整改", files=[], acting_user=world.staff_a)
    risk = actions.do_request_close(risk, text="评论区已实行先审后发", files=[evidence(world.staff_a, world.unit_a)],
                                    acting_user=world.staff_a)
    assert risk.status == RiskStatus.PENDING_REVIEW

    # 6. Verification: never the owner, nor only the unit's own staff; the leader does it.
    with pytest.raises(PermissionDenied):
        actions.do_verify_close(risk, acting_user=world.staff_a)
    with pytest.raises(PermissionDenied):
        actions.do_verify_close(risk, acting_user=world.head_a)
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, object_id=str(risk.pk)).count() == 2
    risk = actions.do_verify_close(risk, comment="经核查整改到位", acting_user=world.leader_a)
    assert risk.status == RiskStatus.CLOSED and risk.closed_by == world.leader_a
    assert risk not in open_risks(world.leader_a)

    # 7. 回头看 fails: re-opened with a new task, history kept.
    with pytest.raises(ValidationError):
        actions.do_follow_up(risk, passed=False, text="问题反弹", acting_user=world.leader_a)
    risk = actions.do_follow_up(risk, passed=False, text="评论区再次出现错误言论", task_title="重新落实审核",
                                task_due=workday(5), acting_user=world.leader_a)
    assert risk.status == RiskStatus.RECTIFYING and risk.reopen_count == 1 and risk.closed_at is None
    follow = RiskStep.objects.get(risk=risk, kind=StepKind.FOLLOW_UP)
    assert follow.round == 1 and follow.task.status == TaskStatus.NOT_STARTED
    kinds = list(RiskEvent.objects.filter(risk=risk).values_list("kind", flat=True))
    assert kinds[:1] == ["created"] and "closed" in kinds and kinds[-2:] == ["reopened", "step"]

    # 8. And around again, then a passing 回头看.
    finish(follow.task, world)
    risk = actions.do_request_close(risk, text="再次整改", files=[evidence(world.staff_a, world.unit_a)],
                                    acting_user=world.staff_a)
    risk = actions.do_verify_close(risk, acting_user=world.first)
    risk = actions.do_follow_up(risk, passed=True, text="巩固良好", acting_user=world.first)
    assert risk.status == RiskStatus.CLOSED


def test_refusals_invalid_levels_and_past_deadlines(world, domains):
    base = dict(unit=world.unit_a, title="风险", description="描述", domain=domains[0], acting_user=world.head_a)
    with pytest.raises(ValidationError, match="可能性"):
        actions.create_risk(likelihood=0, impact=3, deadline=workday(), **base)
    with pytest.raises(ValidationError, match="影响程度"):
        actions.create_risk(likelihood=3, impact=6, deadline=workday(), **base)
    with pytest.raises(ValidationError, match="早于今天"):
        actions.create_risk(likelihood=3, impact=3, deadline=timezone.localdate() - datetime.timedelta(days=1), **base)
    with pytest.raises(ValidationError, match="不是工作日"):
        saturday = workday(3)
        while saturday.weekday() != 5:
            saturday += datetime.timedelta(days=1)
        from core import workdays
        if workdays.is_workday(saturday):  # a 调休 Saturday: take a Sunday instead
            saturday += datetime.timedelta(days=1)
        actions.create_risk(likelihood=3, impact=3, deadline=saturday, **base)
    assert not Risk.objects.exists()
    with pytest.raises(ValidationError, match="不是有效的风险等级"):
        actions.clean_matrix([["urgent"] * 5] * 5)
    with pytest.raises(ValidationError, match="5×5"):
        actions.clean_matrix([["low"] * 5] * 4)
    inverted = [["major"] * 5] + [["low"] * 5] * 4
    with pytest.raises(ValidationError, match="不应越低"):
        actions.clean_matrix(inverted)


def test_matrix_is_configurable_and_relevels_open_risks(world, domains):
    risk = make_risk(world, domains, likelihood=2, impact=2)
    assert risk.level == RiskLevel.LOW
    matrix = [row[:] for row in RiskSettings.current().matrix]
    matrix[1][1] = "general"
    matrix[1][2] = "general"
    with pytest.raises(PermissionDenied):
        actions.do_update_matrix(matrix, acting_user=world.head_a)
    settings = actions.do_update_matrix(matrix, acting_user=world.admin)
    risk.refresh_from_db()
    assert risk.level == RiskLevel.GENERAL and risk.level_rank == 2
    with pytest.raises(actions.RiskConflict):
        actions.do_update_matrix(matrix, acting_user=world.admin, expected_version=settings.version - 1)


def test_concurrent_edits_never_overwrite(world, domains):
    risk = make_risk(world, domains)
    stale = Risk.objects.get(pk=risk.pk)
    actions.do_update_risk(risk, measures="甲的措施", acting_user=world.head_a, expected_version=risk.version)
    with pytest.raises(actions.RiskConflict):
        actions.do_update_risk(stale, measures="乙的措施", acting_user=world.leader_a, expected_version=stale.version)
    assert Risk.objects.get(pk=risk.pk).measures == "甲的措施"


def test_flag_only_major_by_leaders(world, domains):
    general = make_risk(world, domains, likelihood=2, impact=3)
    owner = Person.objects.get(user=world.staff_a)
    kwargs = dict(group=[owner], group_name="专班", cadence="monthly", order="督办")
    with pytest.raises(ValidationError, match="仅重大风险"):
        actions.do_flag_risk(general, leader=world.leader_a, acting_user=world.leader_a, **kwargs)
    major = make_risk(world, domains)
    with pytest.raises(PermissionDenied):
        actions.do_flag_risk(major, leader=world.head_a, acting_user=world.head_a, **kwargs)
    with pytest.raises(ValidationError, match="督办领导"):
        actions.do_flag_risk(major, leader=world.head_b, acting_user=world.admin, **kwargs)
    actions.do_flag_risk(major, leader=world.leader_a, acting_user=world.leader_a, **kwargs)
    with pytest.raises(ValidationError, match="已挂牌"):
        actions.do_flag_risk(major, leader=world.leader_a, acting_user=world.leader_a, **kwargs)


def test_other_units_cannot_touch_a_risk(world, domains):
    risk = make_risk(world, domains)
    assert not Risk.objects.visible_to(world.staff_b).filter(pk=risk.pk).exists()
    with pytest.raises(PermissionDenied):
        actions.do_update_risk(risk, measures="x", acting_user=world.head_b)
    with pytest.raises(PermissionDenied):
        actions.do_add_step(risk, title="x", due_date=workday(), acting_user=world.head_b)
    with pytest.raises(PermissionDenied):
        actions.create_risk(unit=world.unit_a, title="t", description="d", domain=domains[0], likelihood=1, impact=1,
                            deadline=workday(), acting_user=world.staff_b)


def test_self_check_needs_every_answer_and_explained_risks(world, domains):
    campaign = actions.do_launch_campaign(kind="daily", title="5月日常排查", start_date=timezone.localdate(),
                                          due_date=workday(3), units=[world.unit_a], acting_user=world.admin)
    check = campaign.checks.get()
    first = check.answers.order_by("order").first()
    with pytest.raises(ValidationError, match="尚未填写"):
        actions.do_save_self_check(check, answers={}, submit=True, acting_user=world.staff_a)
    with pytest.raises(ValidationError, match="说明"):
        actions.do_save_self_check(check, answers={first.pk: {"result": "risk", "likelihood": 3, "impact": 3}},
                                   submit=True, acting_user=world.staff_a)
    draft = actions.do_save_self_check(check, answers={first.pk: {"result": "ok"}}, acting_user=world.staff_a)
    assert draft.status == CheckStatus.DRAFT
    with pytest.raises(actions.RiskConflict):
        actions.do_save_self_check(check, answers={}, acting_user=world.staff_a, expected_version=1)
    with pytest.raises(PermissionDenied):
        actions.do_save_self_check(check, answers={}, acting_user=world.staff_b)
    assert not campaign_progress(campaign, world.staff_b)["checks"]  # another unit sees nothing
    assert len(campaign_progress(campaign, world.admin)["missing"]) == 1
