"""Ledger pages: the lists and their filters, a task's page with progress, review and edit, manual
creation, the leader overview, the calendar and the 工作台 panel."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import workdays
from core.models import AuditAction, AuditEntry
from ledger import actions
from ledger.choices import ReportKind, SourceKind, TaskStatus
from ledger.models import Task
from org.models import Person

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def today() -> datetime.date:
    return timezone.localdate()


def make(world, unit=None, title="任务", due=None, owner=None, status=None, **extra) -> Task:
    task = actions.create_task(unit=unit or world.unit_a, title=title, due_date=due or today() + datetime.timedelta(days=60),
                               acting_user=world.admin, owner=owner, **extra)
    if status:
        Task.objects.filter(pk=task.pk).update(status=status)
        task.refresh_from_db()
    return task


def person(user) -> Person:
    return Person.objects.get(user=user)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def rows(response) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-task="(\d+)"', response.content.decode())]


# --- lists ------------------------------------------------------------------------------------------


def test_tabs_scope_what_each_list_shows(world, login):
    mine = make(world, title="我负责的", owner=person(world.staff_a))
    unassigned = make(world, title="本科室未分配")
    colleague = make(world, title="科长负责的", owner=person(world.head_a))
    child = make(world, unit=world.unit_a_child, title="网络组的")
    other = make(world, unit=world.unit_b, title="信息科的")

    c = login(world.staff_a)
    assert set(rows(c.get("/ledger/mine/"))) == {mine.pk, unassigned.pk}
    assert set(rows(c.get("/ledger/unit/"))) == {mine.pk, unassigned.pk, colleague.pk}
    assert set(rows(c.get("/ledger/"))) == {mine.pk, unassigned.pk, colleague.pk}

    c.logout()
    c = login(world.head_a)  # a unit head sees the unit and the units below it
    assert set(rows(c.get("/ledger/"))) == {mine.pk, unassigned.pk, colleague.pk, child.pk}
    assert other.pk not in rows(c.get("/ledger/"))


def test_filters_status_light_unit_month_search_and_source(world, login):
    t = today()
    late = make(world, title="逾期的排查", due=t - datetime.timedelta(days=10))
    soon = make(world, title="临期的学习", due=workdays.add_workdays(t, 1))
    later = make(world, title="下月的学习", due=t + datetime.timedelta(days=60))
    done = make(world, title="已完成的学习", due=t - datetime.timedelta(days=3), status=TaskStatus.DONE)
    child = make(world, unit=world.unit_a_child, title="网络组巡查", due=t + datetime.timedelta(days=60),
                 source_kind=SourceKind.MEETING, quote="会议决定：每月巡查")
    c = login(world.head_a)

    assert rows(c.get("/ledger/?status=overdue")) == [late.pk]
    assert rows(c.get("/ledger/?status=done")) == [done.pk]
    assert set(rows(c.get("/ledger/?status=not_started"))) == {soon.pk, later.pk, child.pk}
    assert rows(c.get("/ledger/?light=red")) == [late.pk]
    assert rows(c.get("/ledger/?light=yellow")) == [soon.pk]
    assert rows(c.get("/ledger/?light=green")) == [done.pk]
    assert set(rows(c.get("/ledger/?light=blue"))) == {later.pk, child.pk}
    # The unit filter covers the unit's subtree.
    assert set(rows(c.get(f"/ledger/?unit={world.unit_a.pk}"))) == {late.pk, soon.pk, later.pk, done.pk, child.pk}
    assert rows(c.get(f"/ledger/?unit={world.unit_a_child.pk}")) == [child.pk]
    month = later.due_date.strftime("%Y-%m")
    assert later.pk in rows(c.get(f"/ledger/?month={month}"))
    assert late.pk not in rows(c.get(f"/ledger/?month={month}"))
    assert rows(c.get("/ledger/?q=学习&sort=due")) == [done.pk, soon.pk, later.pk]
    assert rows(c.get("/ledger/?q=每月巡查")) == [child.pk]  # the quote is searched too
    assert rows(c.get("/ledger/?source=meeting")) == [child.pk]
    assert rows(c.get("/ledger/?sort=-due"))[0] in (later.pk, child.pk)

    # A unit outside the scope is not a choice: the filter is refused and the list stays scoped.
    response = c.get(f"/ledger/?unit={world.unit_b.pk}")
    assert "该条件未生效" in response.content.decode()
    response = c.get("/ledger/?month=2026-13")
    assert "月份格式应为" in response.content.decode()


def test_every_list_shows_lights(world, login):
    t = today()
    make(world, title="红", due=t - datetime.timedelta(days=5))
    make(world, title="黄", due=t)
    make(world, title="蓝", due=t + datetime.timedelta(days=40))
    make(world, title="绿", due=t, status=TaskStatus.DONE)
    c = login(world.head_a)
    for url in ("/ledger/", "/ledger/mine/", "/ledger/unit/"):
        html = c.get(url).content.decode()
        assert {"red", "yellow", "blue", "green"} <= set(re.findall(r'data-light="(\w+)"', html)), url
        assert "bg-red" in html and "bg-yellow" in html and "bg-blue" in html and "bg-green" in html


def test_htmx_filter_returns_the_results_only(world, login):
    make(world, title="排查")
    c = login(world.head_a)
    response = c.get("/ledger/?q=排查", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="task-results">')
    assert "<html" not in html
    full = c.get("/ledger/?q=排查").content.decode()
    assert 'hx-get="/ledger/"' in full and 'hx-push-url="true"' in full


def test_item_filter_from_the_plan_page(world, login):
    from plans.models import Item, Plan, Section

    plan = Plan.objects.create(unit=world.root, title="测试机关2026年意识形态工作要点", year=2026)
    section = Section.objects.create(plan=plan, number=1, title="强化理论武装")
    item = Item.objects.create(plan=plan, section=section, number=3, title="开展青年理论学习")
    linked = make(world, title="青年理论学习小组活动")
    Task.objects.filter(pk=linked.pk).update(plan=plan, section=section, item=item, source_kind=SourceKind.PLAN)
    make(world, title="无关任务")
    c = login(world.staff_a)
    response = c.get(f"/ledger/?item={item.pk}")
    assert rows(response) == [linked.pk]
    assert "第3项" in response.content.decode()
    assert rows(c.get(f"/ledger/?plan={plan.pk}&section={section.pk}")) == [linked.pk]


def test_export_link_keeps_the_filters(world, login):
    make(world, title="排查")
    c = login(world.head_a)
    html = c.get("/ledger/mine/?status=overdue&q=排查").content.decode()
    link = re.search(r'href="(/ledger/export\.xlsx\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "status=overdue" in link and "scope=mine" in link and "q=" in link


# --- one task ---------------------------------------------------------------------------------------


def test_detail_shows_origin_quote_progress_and_plan_link(world, login):
    from plans.models import Item, Plan, Section

    plan = Plan.objects.create(unit=world.root, title="要点", year=2026)
    section = Section.objects.create(plan=plan, number=2, title="压实责任")
    item = Item.objects.create(plan=plan, section=section, number=5, title="开展风险研判")
    task = make(world, title="意识形态风险日常排查（2026年9月）", target_count=4,
                origin="2026年工作要点第5项：开展风险研判", quote="各科室每月开展1次意识形态风险日常排查。")
    Task.objects.filter(pk=task.pk).update(plan=plan, section=section, item=item, done_count=1)
    html = login(world.staff_a).get(f"/ledger/{task.pk}/").content.decode()
    assert "各科室每月开展1次意识形态风险日常排查。" in html
    assert "2026年工作要点第5项" in html
    assert f"/plans/{plan.pk}/#item-5" in html
    assert "1/4" in html
    assert 'id="progress-form"' in html  # staff of the unit may report
    assert 'id="edit-form"' not in html and 'id="review-form"' not in html


def test_task_of_another_unit_is_404(world, login):
    task = make(world, title="宣传科的任务")
    c = login(world.staff_b)  # 信息科
    assert c.get(f"/ledger/{task.pk}/").status_code == 404
    assert c.post(f"/ledger/{task.pk}/progress/", {"text": "越权", "version": 1}).status_code == 404
    assert c.post(f"/ledger/{task.pk}/edit/", {"title": "x", "version": 1}).status_code == 404
    assert c.get("/ledger/999999/").status_code == 404


def test_progress_with_files_then_confirm(world, login, media):
    task = make(world, title="召开专题会议", target_count=2)
    c = login(world.staff_a)
    response = c.post(f"/ledger/{task.pk}/progress/", {
        "text": "已召开第一次专题会议", "increment": "1", "version": str(task.version),
        "files": [SimpleUploadedFile("会议纪要.pdf", PDF, content_type="application/pdf"),
                  SimpleUploadedFile("签到表.txt", "签到：张三".encode(), content_type="text/plain")],
    })
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_count == 1 and task.status == TaskStatus.IN_PROGRESS
    report = task.reports.get()
    assert sorted(report.files.values_list("original_name", flat=True)) == ["会议纪要.pdf", "签到表.txt"]
    html = c.get(f"/ledger/{task.pk}/").content.decode()
    stored = report.files.get(original_name="会议纪要.pdf")
    assert f"/files/{stored.pk}/" in html and "会议纪要.pdf" in html
    assert c.get(f"/files/{stored.pk}/").status_code == 200

    # Applying for completion (earlier evidence counts), then the unit head confirms.
    response = c.post(f"/ledger/{task.pk}/progress/", {
        "text": "第二次会议已召开，申请办结", "increment": "1", "request_completion": "on", "version": str(task.version),
    })
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING_REVIEW
    assert c.post(f"/ledger/{task.pk}/confirm/", {"version": task.version}).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.staff_a).exists()
    c.logout()
    head = login(world.head_a)
    assert 'id="review-form"' in head.get(f"/ledger/{task.pk}/").content.decode()
    response = head.post(f"/ledger/{task.pk}/confirm/", {"version": task.version, "comment": "材料齐全"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.confirmed_by == world.head_a
    assert "任务已确认完成" in head.get(f"/ledger/{task.pk}/").content.decode()


def test_bad_file_and_missing_evidence_are_explained(world, login, media):
    task = make(world, title="报送材料")
    c = login(world.staff_a)
    response = c.post(f"/ledger/{task.pk}/progress/", {
        "text": "附照片", "version": task.version,
        "files": [SimpleUploadedFile("照片.jpg", b"not really a jpeg", content_type="image/jpeg")],
    })
    html = response.content.decode()
    assert response.status_code == 200 and "照片.jpg：文件内容与扩展名不符" in html
    response = c.post(f"/ledger/{task.pk}/progress/", {
        "text": "申请办结", "request_completion": "on", "version": task.version,
    })
    assert "申请办结须上传佐证材料" in response.content.decode()
    assert not task.reports.exists()


def test_return_needs_a_reason(world, login, media):
    task = make(world, title="待审核")
    c = login(world.staff_a)
    c.post(f"/ledger/{task.pk}/progress/", {
        "text": "申请办结", "request_completion": "on", "version": task.version,
        "files": [SimpleUploadedFile("纪要.pdf", PDF)],
    })
    task.refresh_from_db()
    c.logout()
    head = login(world.head_a)
    response = head.post(f"/ledger/{task.pk}/return/", {"version": task.version, "comment": ""})
    assert "请填写退回理由" in response.content.decode()
    response = head.post(f"/ledger/{task.pk}/return/", {"version": task.version, "comment": "纪要缺少签字"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.reports.filter(kind=ReportKind.RETURN, text="纪要缺少签字").exists()


def test_concurrent_edit_shows_the_conflict_and_keeps_the_input(world, login):
    task = make(world, title="原标题")
    loaded_version = task.version
    actions.update_task(task, acting_user=world.leader_a, expected_version=loaded_version, title="领导改的标题")
    c = login(world.head_a)
    response = c.post(f"/ledger/{task.pk}/edit/", {
        "title": "科长改的标题", "description": "补充说明", "due_date": task.due_date.isoformat(),
        "target_count": "1", "version": str(loaded_version),
    })
    html = response.content.decode()
    assert response.status_code == 409
    assert "该任务已被他人修改，请刷新页面查看最新内容后再提交" in html
    assert 'value="科长改的标题"' in html and "补充说明" in html  # nothing typed is lost
    current = Task.objects.get(pk=task.pk)
    assert current.title == "领导改的标题"
    assert f'name="version" value="{current.version}"' in html  # a deliberate resubmit can now succeed
    response = c.post(f"/ledger/{task.pk}/edit/", {
        "title": "科长改的标题", "due_date": task.due_date.isoformat(), "target_count": "1",
        "version": str(current.version),
    })
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).title == "科长改的标题"


def test_progress_conflict_keeps_text_and_uploaded_files(world, login, media):
    task = make(world, title="计次任务", target_count=3)
    stale = task.version
    actions.report_progress(task, text="同事先报了一次", acting_user=world.head_a)
    c = login(world.staff_a)
    response = c.post(f"/ledger/{task.pk}/progress/", {
        "text": "我也完成一次", "increment": "1", "version": stale,
        "files": [SimpleUploadedFile("照片说明.txt", "现场照片说明".encode())],
    })
    html = response.content.decode()
    assert response.status_code == 409 and "已被他人修改" in html
    assert "我也完成一次" in html and "照片说明.txt" in html
    kept = re.search(r'name="kept_files" value="([\d,]+)"', html).group(1)
    task.refresh_from_db()
    response = c.post(f"/ledger/{task.pk}/progress/", {
        "text": "我也完成一次", "increment": "1", "version": task.version, "kept_files": kept,
    })
    assert response.status_code == 302
    report = task.reports.get(text="我也完成一次")
    assert list(report.files.values_list("original_name", flat=True)) == ["照片说明.txt"]


def test_edit_limits_owner_choices_and_warns_about_non_working_days(world, login):
    task = make(world, title="改期")
    c = login(world.head_a)
    html = c.get(f"/ledger/{task.pk}/").content.decode()
    assert "宣传科员" in html and "信息科员" not in html  # owners are people of the unit
    holiday = datetime.date(2026, 10, 1)
    response = c.post(f"/ledger/{task.pk}/edit/", {
        "title": "改期", "due_date": holiday.isoformat(), "target_count": "1", "version": task.version,
    })
    html = response.content.decode()
    assert "不是工作日" in html and "2026-09-30" in html and "仍使用该日期" in html
    assert Task.objects.get(pk=task.pk).due_date == task.due_date
    response = c.post(f"/ledger/{task.pk}/edit/", {
        "title": "改期", "due_date": holiday.isoformat(), "target_count": "1", "version": task.version,
        "allow_non_workday": "on", "owner": person(world.staff_a).pk,
    })
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.due_date == holiday and task.owner == person(world.staff_a)
    # An owner from another unit is not a choice.
    response = c.post(f"/ledger/{task.pk}/edit/", {
        "title": "改期", "due_date": holiday.isoformat(), "target_count": "1", "version": task.version,
        "owner": person(world.staff_b).pk,
    })
    assert "选择一个有效的选项" in response.content.decode()
    # Staff may not edit.
    c.logout()
    assert login(world.staff_a).post(f"/ledger/{task.pk}/edit/", {"title": "x", "version": task.version}).status_code == 403


def test_workday_hint(world, login):
    c = login(world.staff_a)
    assert "国庆节" in c.get("/ledger/workday-hint/?due_date=2026-10-01").content.decode()
    assert "是工作日" in c.get("/ledger/workday-hint/?due_date=2026-09-30").content.decode()
    assert c.get("/ledger/workday-hint/?due_date=nonsense").status_code == 200


# --- create -----------------------------------------------------------------------------------------


def test_create_form_scopes_units_and_refuses_a_forged_one(world, login):
    c = login(world.head_a)
    html = c.get("/ledger/new/").content.decode()
    units = re.search(r'<select name="unit".*?</select>', html, re.S).group(0)
    assert f'value="{world.unit_a.pk}"' in units and f'value="{world.unit_b.pk}"' not in units
    due = workdays.add_workdays(today(), 5)
    response = c.post("/ledger/new/", {
        "unit": world.unit_b.pk, "title": "越权交办", "due_date": due.isoformat(), "target_count": 1,
        "source_kind": "manual",
    })
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Task.objects.filter(title="越权交办").exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.head_a, object_type="ledger.task").exists()

    response = c.post("/ledger/new/", {
        "unit": world.unit_a_child.pk, "title": "网络组专项巡查", "due_date": due.isoformat(), "target_count": 2,
        "source_kind": "meeting", "origin": "科务会决定", "owner": person(world.staff_a_child).pk,
        "supervising_leader": world.leader_a.pk,
    })
    assert response.status_code == 302
    task = Task.objects.get(title="网络组专项巡查")
    assert task.unit == world.unit_a_child and task.owner == person(world.staff_a_child)
    assert task.supervising_leader == world.leader_a and task.source_kind == "meeting" and task.target_count == 2
    assert task.created_by == world.head_a


def test_create_checks_owner_leader_and_working_day(world, login):
    c = login(world.head_a)
    response = c.post("/ledger/new/", {
        "unit": world.unit_a.pk, "title": "节日任务", "due_date": "2026-10-03", "target_count": 1,
        "source_kind": "manual", "owner": person(world.staff_a_child).pk, "supervising_leader": world.first.pk,
    })
    html = response.content.decode()
    assert "不是工作日" in html and "责任人须为责任单位的人员" in html
    assert not Task.objects.filter(title="节日任务").exists()


def test_staff_cannot_create(world, login):
    c = login(world.staff_a)
    assert c.get("/ledger/new/").status_code == 403
    assert 'id="task-create"' not in c.get("/ledger/").content.decode()


# --- overview, calendar, 工作台 --------------------------------------------------------------------------


def test_overview_is_for_leaders(world, login):
    t = today()
    make(world, title="逾期一", due=t - datetime.timedelta(days=20))
    done = make(world, unit=world.unit_b, title="完成一", due=t - datetime.timedelta(days=2))
    Task.objects.filter(pk=done.pk).update(status=TaskStatus.DONE, completed_at=timezone.now() - datetime.timedelta(days=5))
    c = login(world.staff_a)
    assert c.get("/ledger/overview/").status_code == 403
    c.logout()
    c = login(world.first)
    response = c.get("/ledger/overview/?year=")  # all years: the fixture's dates may straddle New Year
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-chart="chart-unit"' in html and 'id="chart-unit"' in html and 'id="chart-month"' in html
    assert "逾期一" in html
    assert "宣传科" in html and "信息科" in html
    assert re.search(r"data-completion-rate>50.0%", html)
    assert re.search(r"data-on-time-rate>50.0%", html)
    partial = c.get("/ledger/overview/?year=", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="overview-body">')
    # A unit head sees the list tabs but no overview.
    c.logout()
    assert "领导总览" not in login(world.head_a).get("/ledger/").content.decode()


def test_calendar_shows_due_tasks_and_holidays(world, login):
    make(world, title="九月底任务", due=datetime.date(2026, 9, 30))
    for i in range(6):
        make(world, title=f"同日任务{i}", due=datetime.date(2026, 9, 29))
    make(world, unit=world.unit_b, title="别的科室", due=datetime.date(2026, 9, 30))
    c = login(world.staff_a)
    html = c.get("/ledger/calendar/?month=2026-09").content.decode()
    assert "九月底任务" in html and "别的科室" not in html
    assert "另有 2 项" in html
    assert 'data-date="2026-09-20" data-workday="1"' in html  # Sunday 09-20: a make-up working day
    assert 'data-date="2026-09-25" data-workday="0"' in html  # Friday 09-25: 中秋节
    html = c.get("/ledger/calendar/?month=2026-10").content.decode()
    assert 'data-date="2026-10-01" data-workday="0"' in html and "国庆节" in html
    assert "/ledger/ics/" in html
    assert "月份格式" in c.get("/ledger/calendar/?month=abc", follow=True).content.decode()


def test_home_panel_lists_my_due_and_overdue_tasks(world, login):
    t = today()
    late = make(world, title="我的逾期任务", due=t - datetime.timedelta(days=3), owner=person(world.staff_a))
    soon = make(world, title="我的临期任务", due=t + datetime.timedelta(days=2))
    make(world, title="很久以后", due=t + datetime.timedelta(days=90))
    make(world, title="同事的任务", due=t, owner=person(world.head_a))
    html = login(world.staff_a).get("/").content.decode()
    assert 'data-panel="我的待办"' in html
    assert "我的逾期任务" in html and "我的临期任务" in html
    assert "很久以后" not in html and "同事的任务" not in html
    assert html.index(f'data-task="{late.pk}"') < html.index(f'data-task="{soon.pk}"')
    assert re.search(r"data-overdue>1<", html)
