"""Pages: scoping (404 out of scope, 403 visible but not allowed), the main flows through the forms,
Chinese errors for bad input, 409 with the user's input kept on a stale version, the .docx report."""

from __future__ import annotations

import datetime
import io

import docx
import pytest
from django.test import Client

from core.models import AuditAction, AuditEntry
from ledger.choices import SourceKind
from ledger.models import Task
from org.models import Person
from risks.meetings import actions
from risks.meetings.choices import Attendance, CheckStatus, MeetingStatus
from risks.meetings.models import AnalysisMeeting, ContingencyPlan, ReleaseCheck

pytestmark = pytest.mark.django_db

PAGES = ["/risks/meetings/", "/risks/meetings/series/", "/risks/meetings/plans/", "/risks/meetings/drills/",
         "/risks/meetings/checks/"]


@pytest.mark.parametrize("url", PAGES)
def test_list_pages_render_for_everyone(world, login, url, meeting, plan):
    assert login(world.staff_b).get(url).status_code == 200


def test_other_units_records_are_404_and_forbidden_writes_403(world, login, client, meeting, plan):
    c = login(world.staff_b)
    for url in (f"/risks/meetings/{meeting.pk}/", f"/risks/meetings/plans/{plan.pk}/",
                f"/risks/meetings/{meeting.pk}/report.docx"):
        assert c.get(url).status_code == 404
    assert c.post(f"/risks/meetings/{meeting.pk}/edit/", {"title": "x", "version": 1}).status_code == 404
    assert "宣传科研判会" not in c.get("/risks/meetings/").content.decode()
    # Staff of the unit see it but may not change it: 403, logged.
    c = login(world.staff_a, Client())
    assert c.get(f"/risks/meetings/{meeting.pk}/").status_code == 200
    response = c.post(f"/risks/meetings/{meeting.pk}/edit/", {"title": "改", "scheduled_on": meeting.scheduled_on,
                                                               "version": meeting.version})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.staff_a).exists()
    meeting.refresh_from_db()
    assert meeting.title == "宣传科研判会"


def test_create_meeting_refuses_past_dates_and_forged_units(world, login, workday):
    c = login(world.head_a)
    past = datetime.date.today() - datetime.timedelta(days=3)
    response = c.post("/risks/meetings/new/", {"unit": world.unit_a.pk, "title": "会", "kind": "analysis",
                                               "scheduled_on": past})
    assert response.status_code == 200 and "计划召开日期不能早于今天" in response.content.decode()
    response = c.post("/risks/meetings/new/", {"unit": world.unit_b.pk, "title": "会", "kind": "analysis",
                                               "scheduled_on": workday})
    assert "选择一个有效的选项" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.head_a).exists()
    response = c.post("/risks/meetings/new/", {"unit": world.unit_a.pk, "title": "专题研判会", "kind": "joint",
                                               "scheduled_on": workday, "location": "三楼会议室"})
    meeting = AnalysisMeeting.objects.get(title="专题研判会")
    assert response.status_code == 302 and response["Location"] == f"/risks/meetings/{meeting.pk}/"


def test_meeting_flow_record_decide_and_report(world, login, meeting, today, workday):
    c = login(world.head_a)
    staff = Person.objects.get(user=world.staff_a)
    response = c.post(f"/risks/meetings/{meeting.pk}/agenda/", {"title": "通报形势", "version": meeting.version})
    assert response.status_code == 302
    meeting.refresh_from_db()
    response = c.post(f"/risks/meetings/{meeting.pk}/record/", {
        "held_on": today, "chair": "宣传科长", "minutes": "会议纪要正文", "version": meeting.version,
        "add_people": [staff.pk]})
    assert response.status_code == 302, response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.attendees.get().status == Attendance.PRESENT
    response = c.post(f"/risks/meetings/{meeting.pk}/decisions/", {
        "text": "修订发布审核办法", "unit": world.unit_a.pk, "due_date": today - datetime.timedelta(days=1)})
    assert "完成时限不能早于今天" in response.content.decode()
    response = c.post(f"/risks/meetings/{meeting.pk}/decisions/", {
        "text": "修订发布审核办法", "unit": world.unit_a.pk, "due_date": workday})
    assert response.status_code == 302
    task = Task.objects.get(source_kind=SourceKind.MEETING)
    assert task.title == "落实会议决定：修订发布审核办法"
    page = c.get(f"/risks/meetings/{meeting.pk}/").content.decode()
    assert "修订发布审核办法" in page and f"/ledger/{task.pk}/" in page
    response = c.get(f"/risks/meetings/{meeting.pk}/report.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)
    assert "会议纪要正文" in text and "会议决定事项" in text
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_id=str(meeting.pk)).exists()


def test_stale_edit_shows_409_and_keeps_the_input(world, login, meeting):
    old = meeting.version
    actions.do_update_meeting(meeting, title="他人先改", acting_user=world.leader_a, expected_version=old)
    response = login(world.head_a).post(f"/risks/meetings/{meeting.pk}/edit/", {
        "title": "我的修改", "scheduled_on": meeting.scheduled_on, "version": old})
    assert response.status_code == 409
    body = response.content.decode()
    assert "已被他人修改" in body and "我的修改" in body and "他人先改" in body
    meeting.refresh_from_db()
    assert meeting.title == "他人先改"


def test_plan_form_refuses_bad_levels_and_saves_steps(world, login):
    c = login(world.head_a)
    data = {"unit": world.unit_a.pk, "title": "网络舆情预案", "level": "Ⅴ", "trigger": "负面舆情",
            "steps-TOTAL_FORMS": 3, "steps-INITIAL_FORMS": 0, "steps-0-title": "报告", "steps-0-target_minutes": 15}
    response = c.post("/risks/meetings/plans/new/", data)
    assert "响应级别无效" in response.content.decode()
    data["level"] = "2"
    response = c.post("/risks/meetings/plans/new/", data)
    plan = ContingencyPlan.objects.get(title="网络舆情预案")
    assert response.status_code == 302 and [s.title for s in plan.steps.all()] == ["报告"]
    response = c.post(f"/risks/meetings/plans/{plan.pk}/", {"scenario": "模拟", "held_at": "2026-03-02T09:30"})
    drill = plan.drills.get()
    assert response["Location"] == f"/risks/meetings/drills/{drill.pk}/"
    step = drill.steps.get()
    response = c.post(f"/risks/meetings/drills/{drill.pk}/record/", {
        "version": drill.version, f"actual_{step.pk}": 40, "summary": "超时"})
    assert response.status_code == 302
    page = c.get(f"/risks/meetings/drills/{drill.pk}/").content.decode()
    assert 'data-late="1"' in page


def test_check_flow_through_the_page(world, login, template, workday):
    c = login(world.staff_a)
    response = c.post("/risks/meetings/checks/new/", {
        "unit": world.unit_a.pk, "template": template.pk, "subject_kind": "event", "subject_title": "读书分享会",
        "subject_date": workday})
    check = ReleaseCheck.objects.get()
    assert response["Location"] == f"/risks/meetings/checks/{check.pk}/"
    a, b = check.answers.all()
    data = {"version": check.version, f"ans_{a.pk}": "yes", f"ans_{b.pk}": "no", "conclusion": "可举办",
            "complete": "1"}
    response = c.post(f"/risks/meetings/checks/{check.pk}/", data)
    assert response.status_code == 200 and "须说明具体情况" in response.content.decode()
    check.refresh_from_db()
    data.update({"version": check.version, f"note_{b.pk}": "嘉宾发言需提前审阅"})
    assert c.post(f"/risks/meetings/checks/{check.pk}/", data).status_code == 302
    check.refresh_from_db()
    assert check.status == CheckStatus.COMPLETED
    page = c.get(f"/risks/meetings/checks/{check.pk}/").content.decode()
    assert 'id="check-frozen"' in page and "嘉宾发言需提前审阅" in page
    # Other units neither see it nor find it in their list.
    assert login(world.staff_b, Client()).get(f"/risks/meetings/checks/{check.pk}/").status_code == 404


def test_templates_are_for_administrators(world, login):
    assert login(world.head_a).get("/risks/meetings/checks/templates/").status_code == 403
    c = login(world.admin, Client())
    response = c.post("/risks/meetings/checks/templates/new/", {"title": "清单", "items": "没有冒号的一行"})
    assert "缺少" in response.content.decode()
    response = c.post("/risks/meetings/checks/templates/new/", {"title": "清单", "items": "政治导向：导向正确\n", "is_active": "on"})
    assert response.status_code == 302


def test_series_from_a_plan_obligation(world, login):
    from plans.models import Assignment, Item, Obligation, Plan, Section

    plan = Plan.objects.create(unit=world.root, title="要点", year=2026)
    section = Section.objects.create(plan=plan, number=1, title="风险")
    item = Item.objects.create(plan=plan, section=section, number=6, title="研判")
    ob = Obligation.objects.create(plan=plan, item=item, frequency="semiannual", activity="召开意识形态风险研判会",
                                   quote="部党委每半年召开1次意识形态风险研判会", key="k")
    Assignment.objects.create(obligation=ob, unit=world.party, role="lead")
    c = login(world.admin)
    assert "召开意识形态风险研判会" in c.get("/risks/meetings/series/").content.decode()
    page = c.get(f"/risks/meetings/series/new/?obligation={ob.pk}").content.decode()
    assert 'value="6" selected' in page
    response = c.post("/risks/meetings/series/new/", {"unit": world.party.pk, "title": "党组研判会", "kind": "analysis",
                                                      "cadence": 6, "obligation": ob.pk})
    assert response.status_code == 302
    assert "召开意识形态风险研判会" not in c.get("/risks/meetings/series/").content.decode()


def test_home_panel_lists_upcoming_meetings(world, login, meeting):
    assert f'data-meeting="{meeting.pk}"' in login(world.head_a).get("/").content.decode()
    assert f'data-meeting="{meeting.pk}"' not in login(world.staff_b, Client()).get("/").content.decode()
