"""The morning job: reminders N working days ahead, overdue notices, escalation, supervision deadlines.

Dates are real 2026 working days: 10-01 … 10-07 is the National Day holiday and Saturday 10-10 a
make-up working day.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import workdays
from core.models import Notification, ScheduledRun
from core.scheduler import PeriodicJob, tick
from core.tasking import TaskResultStatus
from core.testing import running_worker, wait_until
from ledger import actions, jobs
from ledger import supervision as sv
from ledger.choices import TaskStatus
from ledger.models import LedgerSettings, Task, TaskNotice

D = datetime.date
DUE = D(2026, 10, 22)  # a Thursday in an ordinary week
JOB = PeriodicJob("ledger.daily_reminders", "30 8 * * *", "ledger.jobs.daily_reminders", "每日到期提醒")


def make(world, title, due, *, unit=None, owner="staff_a", **fields):
    person = world.users[owner].person if owner else None
    return actions.create_task(unit=unit or world.unit_a, title=title, due_date=due, acting_user=world.admin,
                               owner=person, **fields)


def inbox(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("title", flat=True))


def run(day):
    return jobs.run_daily_reminders(day)


# --- windows ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_windows_match_the_working_day_count():
    """The date ranges the job queries are exactly the due dates with the wanted working-day distance."""
    days = [D(2026, 9, 20) + datetime.timedelta(days=i) for i in range(40)]
    for today in (d for d in days if workdays.is_workday(d)):
        for low, high in ((0, 1), (2, 3), (4, 5)):
            lo, hi = jobs.ahead_window(today, low, high)
            for due in days:
                inside = lo <= due < hi
                assert inside == (due >= today and low <= workdays.workdays_between(today, due) <= high), (today, due)
        for low, high in ((1, 1), (2, 7), (1, 6)):
            lo, hi = jobs.late_window(today, low, high)
            for due in days:
                inside = lo <= due < hi
                assert inside == (due < today and low <= workdays.workdays_between(due, today) <= high), (today, due)


# --- reminders ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_three_and_one_working_day_before_and_never_twice(world):
    task = make(world, "报送九月份舆情分析", DUE)
    assert run(D(2026, 10, 16))["remind"] == 0  # 4 working days ahead
    assert run(D(2026, 10, 19))["remind"] == 1
    assert inbox(world.staff_a) == ["任务提醒：「报送九月份舆情分析」还有 3 个工作日到期"]
    assert run(D(2026, 10, 19))["remind"] == 0  # the same day again: nothing new
    assert run(D(2026, 10, 20))["remind"] == 0
    assert run(D(2026, 10, 21))["remind"] == 1
    assert run(D(2026, 10, 22))["remind"] == 0
    assert inbox(world.staff_a)[-1] == "任务提醒：「报送九月份舆情分析」还有 1 个工作日到期"
    assert len(inbox(world.staff_a)) == 2 and inbox(world.head_a) == []
    assert set(task.notices.values_list("kind", flat=True)) == {"remind:3@20261022", "remind:1@20261022"}
    note = Notification.objects.filter(recipient=world.staff_a).first()
    assert note.level == "reminder" and note.category == "task" and "2026年10月22日（周四）" in note.body


@pytest.mark.django_db
def test_reminders_and_overdue_across_the_national_day_holiday(world):
    make(world, "节后第一周工作部署", D(2026, 10, 9))
    assert run(D(2026, 9, 29))["remind"] == 1  # 9-30, 10-08, 10-09 are the 3 working days left
    assert run(D(2026, 9, 30))["remind"] == 0
    assert run(D(2026, 10, 3)) == {"date": "2026-10-03", "workday": False}  # the job rests on holidays
    assert run(D(2026, 10, 8))["remind"] == 1
    assert run(D(2026, 10, 10))["overdue"] == 1  # the make-up Saturday is the first working day after
    assert inbox(world.staff_a) == [
        "任务提醒：「节后第一周工作部署」还有 3 个工作日到期",
        "任务提醒：「节后第一周工作部署」还有 1 个工作日到期",
        "任务逾期：「节后第一周工作部署」已超过完成时限",
    ]


@pytest.mark.django_db
def test_a_missed_run_is_caught_up_and_a_moved_deadline_is_reminded_again(world):
    task = make(world, "意识形态工作专题研究", DUE)
    assert run(D(2026, 10, 20))["remind"] == 1  # 10-19 did not run: remind now, with the true count
    assert inbox(world.staff_a) == ["任务提醒：「意识形态工作专题研究」还有 2 个工作日到期"]
    actions.update_task(task, acting_user=world.head_a, due_date=D(2026, 10, 29))
    assert run(D(2026, 10, 21))["remind"] == 0
    assert run(D(2026, 10, 26))["remind"] == 1
    assert inbox(world.staff_a)[-1] == "任务提醒：「意识形态工作专题研究」还有 3 个工作日到期"


@pytest.mark.django_db
def test_who_is_reminded(world):
    make(world, "无人认领的任务一", DUE, owner=None)
    make(world, "无人认领的任务二", DUE, owner=None)
    make(world, "无人认领的任务三", DUE, owner=None)
    make(world, "网络组的任务", DUE, unit=world.unit_a_child, owner=None)
    make(world, "信息科的任务", DUE, unit=world.unit_b, owner="staff_b")
    make(world, "已申请办结的任务", DUE).__class__.objects.filter(title="已申请办结的任务").update(
        status=TaskStatus.PENDING_REVIEW)
    make(world, "已完成的任务", DUE).__class__.objects.filter(title="已完成的任务").update(status=TaskStatus.DONE)
    assert run(D(2026, 10, 19))["remind"] == 5
    # The unit head gets ONE message for the four tasks without an owner (网络组 has no head of its own).
    assert inbox(world.head_a) == ["任务提醒：4 项任务即将到期"]
    body = Notification.objects.get(recipient=world.head_a).body
    assert "无人认领的任务一" in body and "网络组的任务（网络组" in body
    assert inbox(world.staff_b) == ["任务提醒：「信息科的任务」还有 3 个工作日到期"]
    assert inbox(world.staff_a) == []  # neither the task under review nor the finished one


@pytest.mark.django_db
def test_a_unit_without_owner_or_head_reminds_its_people(world):
    make(world, "党组理论学习中心组专题学习", DUE, unit=world.party, owner=None)
    assert run(D(2026, 10, 19))["remind"] == 1
    assert inbox(world.first) == inbox(world.leader_a) == ["任务提醒：「党组理论学习中心组专题学习」还有 3 个工作日到期"]


@pytest.mark.django_db
def test_a_parallel_run_that_missed_the_check_still_sends_nothing(world, monkeypatch):
    make(world, "并发运行", DUE)
    assert run(D(2026, 10, 19))["remind"] == 1
    monkeypatch.setattr(jobs, "_existing", lambda task_ids, kinds: set())  # as if a second run raced the first
    assert run(D(2026, 10, 19))["remind"] == 0
    assert len(inbox(world.staff_a)) == 1


@pytest.mark.django_db
def test_configured_offsets(world, settings):
    sv.do_update_settings(yellow_days=3, remind_days="5,0", escalate_after_days=1, acting_user=world.admin)
    make(world, "按新设置提醒", DUE)
    assert run(D(2026, 10, 15))["remind"] == 1
    assert run(D(2026, 10, 21))["remind"] == 0
    assert run(D(2026, 10, 22))["remind"] == 1
    assert inbox(world.staff_a) == ["任务提醒：「按新设置提醒」还有 5 个工作日到期", "任务提醒：「按新设置提醒」今日到期"]


# --- overdue and escalation -----------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_then_escalation_after_n_working_days(world):
    task = make(world, "开展网评员培训", DUE)
    first = run(D(2026, 10, 23))
    assert (first["overdue"], first["escalate"]) == (1, 0)
    assert inbox(world.staff_a) == ["任务逾期：「开展网评员培训」已超过完成时限"]
    assert "逾期超过 1 个工作日仍未完成的，将报分管领导" in Notification.objects.get(recipient=world.staff_a).body
    second = run(D(2026, 10, 26))  # 2 working days overdue: more than 1
    assert (second["overdue"], second["escalate"]) == (0, 1)
    assert inbox(world.leader_a) == ["逾期上报：宣传科「开展网评员培训」逾期未完成"]
    assert run(D(2026, 10, 26))["escalate"] == 0 and run(D(2026, 10, 27))["escalate"] == 0
    assert len(inbox(world.leader_a)) == 1 and inbox(world.first) == []
    assert set(task.notices.values_list("kind", flat=True)) == {"overdue@20261022", "escalate@20261022"}


@pytest.mark.django_db
def test_escalation_targets_and_threshold(world):
    sv.do_update_settings(yellow_days=3, remind_days="3,1", escalate_after_days=3, acting_user=world.admin)
    named = make(world, "指定分管领导的任务", DUE, supervising_leader=world.first)
    make(world, "信息科逾期任务", DUE, unit=world.unit_b, owner="staff_b")
    review = make(world, "待审核逾期任务", DUE)
    Task.objects.filter(pk=review.pk).update(status=TaskStatus.PENDING_REVIEW)
    assert run(D(2026, 10, 27))["escalate"] == 0  # 3 working days overdue: not yet more than 3
    assert run(D(2026, 10, 28))["escalate"] == 3
    # The task's own supervising leader; for 信息科 (no 分管领导 assigned) the 第一责任人.
    assert sorted(inbox(world.first)) == ["逾期上报：2 项任务逾期未完成"]
    assert inbox(world.leader_a) == ["逾期上报：宣传科「待审核逾期任务」逾期未完成"]
    assert named.notices.filter(kind="escalate@20261022").exists()
    # The missed overdue notice is caught up for the owner's task; a task under review gets none.
    assert inbox(world.staff_a) == ["任务逾期：「指定分管领导的任务」已超过完成时限"]


# --- supervision deadlines ------------------------------------------------------------------------


@pytest.mark.django_db
def test_missed_supervision_stages_reach_the_leader_once(world):
    task = make(world, "整改网站栏目更新不及时问题", D(2026, 10, 30))
    sup = sv.do_issue_supervision(task, order="限期整改", acting_user=world.leader_a, today=D(2026, 9, 30))
    Notification.objects.all().delete()
    assert run(D(2026, 10, 8))["supervision"] == 0  # the day the acknowledgement is due
    assert run(D(2026, 10, 9))["supervision"] == 1
    assert inbox(world.leader_a) == ["督办超期：「整改网站栏目更新不及时问题」未按期签收"]
    assert inbox(world.head_a) == inbox(world.leader_a) and inbox(world.staff_a) == inbox(world.leader_a)
    assert run(D(2026, 10, 9))["supervision"] == 0
    sv.do_acknowledge(sup, acting_user=world.staff_a)
    assert run(D(2026, 10, 12))["supervision"] == 1  # measures were due on the make-up Saturday 10-10
    sv.do_request_close(sup, text="已整改", acting_user=world.staff_a)
    assert run(D(2026, 10, 16))["supervision"] == 0  # asked to close in time: the leader has it
    sv.do_return(sup, comment="请补充", acting_user=world.leader_a)
    assert run(D(2026, 10, 16))["supervision"] == 1  # returned, and 10-15 has passed
    assert [t for t in inbox(world.leader_a) if t.startswith("督办超期")] == [
        "督办超期：「整改网站栏目更新不及时问题」未按期签收",
        "督办超期：「整改网站栏目更新不及时问题」未按期报送措施",
        "督办超期：「整改网站栏目更新不及时问题」未按期申请办结",
    ]
    assert set(TaskNotice.objects.filter(kind__startswith="sup").values_list("kind", flat=True)) == {
        f"sup{sup.pk}:ack", f"sup{sup.pk}:measures", f"sup{sup.pk}:close"}


# --- cost ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tasks_outside_the_windows_cost_nothing(world):
    make(world, "本周到期", DUE)
    far = [Task(unit=world.unit_a, title=f"年底任务{i}", due_date=D(2026, 12, 31)) for i in range(50)]
    actions.bulk_create_tasks(far, summary="测试")
    run(D(2026, 10, 16))  # warms the calendar cache
    with CaptureQueriesContext(connection) as few:
        run(D(2026, 10, 16))
    actions.bulk_create_tasks([Task(unit=world.unit_a, title=f"更多任务{i}", due_date=D(2026, 12, 31))
                               for i in range(500)], summary="测试")
    TaskNotice.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        run(D(2026, 10, 16))
    assert len(many) == len(few)
    assert not TaskNotice.objects.filter(task__due_date=D(2026, 12, 31)).exists()


# --- the periodic job with a real worker ----------------------------------------------------------


@pytest.mark.django_db
def test_the_scheduler_enqueues_the_job():
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    assert tick(now=now, owner="a", jobs=[JOB]) == ["ledger.daily_reminders"]
    assert tick(now=now, owner="b", jobs=[JOB]) == []
    run_row = ScheduledRun.objects.get(job="ledger.daily_reminders")
    assert DBTaskResult.objects.get(id=run_row.task_result_id).task_path == "ledger.jobs.daily_reminders"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_the_job_and_the_inbox_shows_it(world, login):
    make(world, "报送十月份意识形态工作情况", DUE)
    make(world, "已逾期的排查", D(2026, 10, 16))
    result = jobs.daily_reminders.enqueue("2026-10-19")
    tick(now=timezone.now(), owner="test", jobs=[JOB])  # and once as the scheduler would, for today
    scheduled = ScheduledRun.objects.get(job=JOB.name)
    with running_worker("database"):
        def done():
            result.refresh()
            return result.status == TaskResultStatus.SUCCESSFUL

        wait_until(done, timeout=60)

        def scheduled_done():
            from django_tasks_db.models import DBTaskResult

            return DBTaskResult.objects.get(id=scheduled.task_result_id).status == TaskResultStatus.SUCCESSFUL

        wait_until(scheduled_done, timeout=60)
    summary = result.return_value
    assert (summary["remind"], summary["overdue"]) == (1, 1)
    titles = inbox(world.staff_a)
    assert "任务提醒：「报送十月份意识形态工作情况」还有 3 个工作日到期" in titles
    assert "任务逾期：「已逾期的排查」已超过完成时限" in titles
    page = login(world.staff_a).get("/inbox/").content.decode()
    assert "报送十月份意识形态工作情况" in page and "已逾期的排查" in page
    assert LedgerSettings.current().remind_offsets() == [3, 1]
