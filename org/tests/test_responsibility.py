"""Responsibility lists, letters, duty reports and contact points: rules, scoping (UI and API),
refusals with their reasons, optimistic locking, the ledger link and the exports."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from docx import Document

from core import workdays
from core.models import AuditAction, AuditEntry, Notification
from core.tokens import do_create_token
from ledger.choices import SourceKind, TaskStatus
from ledger.models import Task
from org.models import (
    ContactPoint,
    DutyReport,
    Person,
    ResponsibilityLetter,
    ResponsibilityList,
)
from org.responsibility import (
    ResponsibilityConflict,
    do_comment_duty_report,
    do_create_contact_point,
    do_create_duty_schedule,
    do_create_letter_template,
    do_create_list,
    do_publish_list,
    do_revise_list,
    do_save_list_draft,
    do_send_letters,
    do_sign_letter,
    do_submit_duty_report,
    do_update_letter,
)
from org.responsibility_choices import DutyReportStatus, LetterStatus, Post, RevisionStatus

pytestmark = pytest.mark.django_db
YEAR = 2026
BODY = "{负责人}同志：{单位}{年度}年度意识形态工作责任如下：\n{责任清单}"


@pytest.fixture
def plan(world):
    from plans.models import Assignment, Item, Obligation, Plan, Section

    plan = Plan.objects.create(unit=world.root, title="2026年意识形态工作要点", year=YEAR)
    section = Section.objects.create(plan=plan, number=1, title="压实责任")
    item = Item.objects.create(plan=plan, section=section, number=1, title="落实意识形态工作责任制",
                               text="各科室每季度分析研判一次意识形态领域情况。")
    ob = Obligation.objects.create(plan=plan, item=item, frequency="quarterly", activity="分析研判意识形态领域情况",
                                   quote="各科室每季度分析研判一次意识形态领域情况。", key="k1")
    Assignment.objects.create(obligation=ob, unit=world.unit_a)
    return plan


@pytest.fixture
def api(world):
    def _api(user):
        _, key = do_create_token(user, "测试", acting_user=user)
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    return _api


def person(user):
    return Person.objects.get(user=user)


def sent_letters(world):
    template = do_create_letter_template(unit=world.root, year=YEAR, title="2026年度意识形态工作责任书", body=BODY,
                                         acting_user=world.admin)
    do_send_letters(template, acting_user=world.admin)
    return template, ResponsibilityLetter.objects.get(addressee__user=world.head_a)


def schedule(world):
    return do_create_duty_schedule(unit=world.root, year=YEAR, title="2026年度履职报告", cadence="half_year",
                                   acting_user=world.admin)


# --- lists ------------------------------------------------------------------------------------------


def test_draft_quotes_the_plan_and_publishing_freezes(world, plan):
    lst = do_create_list(unit=world.unit_a, post=Post.UNIT_HEAD, year=YEAR, acting_user=world.head_a)
    assert lst.holder == person(world.head_a) and lst.plan == plan
    draft = lst.revisions.get()
    texts = [e.text for e in draft.entries.all()]
    assert any("分析研判" in t for t in texts)
    assert draft.entries.get(obligation__isnull=False).quote == "各科室每季度分析研判一次意识形态领域情况。"

    do_save_list_draft(lst, entries=[{"text": "第一条"}, {"text": "  "}, {"text": "第二条", "quote": "原文"}],
                       acting_user=world.head_a, expected_version=lst.version, note="改写")
    lst.refresh_from_db()
    assert list(draft.entries.values_list("text", flat=True)) == ["第一条", "第二条"]
    published = do_publish_list(lst, acting_user=world.head_a, expected_version=lst.version)
    assert published.status == RevisionStatus.PUBLISHED and published.published_by == world.head_a

    lst.refresh_from_db()
    with pytest.raises(ValidationError, match="已公示的版本已冻结"):
        do_save_list_draft(lst, entries=[{"text": "偷改"}], acting_user=world.head_a, expected_version=lst.version)
    draft2 = do_revise_list(lst, acting_user=world.head_a, expected_version=lst.version)
    assert draft2.number == 2 and list(draft2.entries.values_list("text", flat=True)) == ["第一条", "第二条"]
    lst.refresh_from_db()
    do_save_list_draft(lst, entries=[{"text": "新第一条"}], acting_user=world.head_a, expected_version=lst.version)
    lst.refresh_from_db()
    do_publish_list(lst, acting_user=world.head_a, expected_version=lst.version)
    statuses = dict(lst.revisions.values_list("number", "status"))
    assert statuses == {1: RevisionStatus.SUPERSEDED, 2: RevisionStatus.PUBLISHED}
    assert list(lst.revisions.get(number=1).entries.values_list("text", flat=True)) == ["第一条", "第二条"]


def test_leadership_list_lists_the_items_they_lead(world, plan):
    lst = do_create_list(unit=world.unit_a, post=Post.DIRECT_RESPONSIBLE, year=YEAR, acting_user=world.admin)
    assert lst.holder == person(world.leader_a)
    assert any(e.text.startswith("督促指导：落实意识形态工作责任制") for e in lst.revisions.get().entries.all())


def test_list_rules_stale_version_duplicate_and_scope(world, plan):
    lst = do_create_list(unit=world.unit_a, post=Post.UNIT_HEAD, year=YEAR, acting_user=world.head_a)
    with pytest.raises(ValidationError, match="已存在"):
        do_create_list(unit=world.unit_a, post=Post.UNIT_HEAD, year=YEAR, acting_user=world.head_a)
    do_save_list_draft(lst, entries=[{"text": "甲"}], acting_user=world.head_a, expected_version=lst.version)
    with pytest.raises(ResponsibilityConflict):
        do_save_list_draft(lst, entries=[{"text": "乙"}], acting_user=world.leader_a, expected_version=lst.version)
    assert lst.revisions.get().entries.get().text == "甲"  # nothing overwritten
    with pytest.raises(PermissionDenied):
        do_create_list(unit=world.unit_a, post=Post.UNIT_HEAD, year=YEAR + 1, acting_user=world.head_b)
    with pytest.raises(PermissionDenied):
        do_publish_list(lst, acting_user=world.staff_a, expected_version=None)


def test_list_pages_and_docx(world, plan, login):
    c = login(world.head_a)
    response = c.post("/org/responsibility/lists/new/", {"unit": world.unit_a.pk, "post": Post.UNIT_HEAD, "year": YEAR})
    lst = ResponsibilityList.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/lists/{lst.pk}/edit/")
    page = c.get(f"/org/responsibility/lists/{lst.pk}/edit/")
    assert "分析研判意识形态领域情况" in page.content.decode()
    form = {"version": lst.version, "note": "", "e-TOTAL_FORMS": 2, "e-INITIAL_FORMS": 0,
            "e-0-text": "组织本科室学习", "e-1-text": "", "done": "1"}
    assert c.post(f"/org/responsibility/lists/{lst.pk}/edit/", form).status_code == 302
    stale = c.post(f"/org/responsibility/lists/{lst.pk}/edit/", form)
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    lst.refresh_from_db()
    assert c.post(f"/org/responsibility/lists/{lst.pk}/publish/", {"version": lst.version}).status_code == 302
    detail = c.get(f"/org/responsibility/lists/{lst.pk}/").content.decode()
    assert "组织本科室学习" in detail and "已公示" in detail
    stale = c.post(f"/org/responsibility/lists/{lst.pk}/revise/", {"version": lst.version})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert ResponsibilityList.objects.get().revisions.count() == 1
    # Editing the published version sends the user back with the reason.
    response = c.get(f"/org/responsibility/lists/{lst.pk}/edit/", follow=True)
    assert "已公示的版本已冻结" in response.content.decode()
    export = c.get(f"/org/responsibility/lists/{lst.pk}/export.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(export.content)).paragraphs)
    assert export.status_code == 200 and "责任清单" in text
    cells = [c.text for t in Document(io.BytesIO(export.content)).tables for r in t.rows for c in r.cells]
    assert "组织本科室学习" in cells
    # Another unit's head sees nothing of it, by UI and API.
    other = login(world.head_b, Client())
    assert other.get(f"/org/responsibility/lists/{lst.pk}/").status_code == 404
    assert other.post(f"/org/responsibility/lists/{lst.pk}/publish/", {"version": lst.version}).status_code == 404
    assert "组织本科室学习" not in other.get("/org/responsibility/").content.decode()


def test_list_api(world, plan, api):
    head = api(world.head_a)
    response = head.post("/api/responsibility/lists", {"unit_id": world.unit_a.pk, "post": "unit_head", "year": YEAR},
                         content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    lid, version = body["id"], body["version"]
    assert body["revisions"][0]["status"] == "draft"
    put = head.put(f"/api/responsibility/lists/{lid}/draft", {"entries": [{"text": "甲"}], "version": version},
                   content_type="application/json")
    assert put.status_code == 200
    stale = head.put(f"/api/responsibility/lists/{lid}/draft", {"entries": [{"text": "乙"}], "version": version},
                     content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    version = stale.json()["current_version"]
    assert head.post(f"/api/responsibility/lists/{lid}/publish", {"version": version},
                     content_type="application/json").status_code == 200
    frozen = head.put(f"/api/responsibility/lists/{lid}/draft", {"entries": [{"text": "乙"}], "version": version + 1},
                      content_type="application/json")
    assert frozen.status_code == 409 and "冻结" in json.dumps(frozen.json(), ensure_ascii=False)
    other = api(world.head_b)
    assert other.get(f"/api/responsibility/lists/{lid}").status_code == 404
    assert other.get("/api/responsibility/lists").json()["count"] == 0
    forged = other.post("/api/responsibility/lists", {"unit_id": world.unit_a.pk, "post": "unit_head", "year": YEAR},
                        content_type="application/json")
    assert forged.status_code == 404
    staff = api(world.staff_a)  # sees the list, may not change it
    assert staff.get(f"/api/responsibility/lists/{lid}").status_code == 200
    assert staff.post(f"/api/responsibility/lists/{lid}/revise", {"version": version + 1},
                      content_type="application/json").status_code == 403


# --- letters ----------------------------------------------------------------------------------------


def test_send_renders_one_letter_per_head_and_notifies(world, plan):
    lst = do_create_list(unit=world.unit_a, post=Post.UNIT_HEAD, year=YEAR, acting_user=world.head_a)
    do_publish_list(lst, acting_user=world.head_a, expected_version=lst.version)
    template, letter = sent_letters(world)
    assert set(template.letters.values_list("addressee__user__username", flat=True)) == {"head_a", "head_b"}
    assert letter.body.startswith("宣传科长同志：宣传科2026年度")
    assert "1. 履行本科室意识形态工作责任" in letter.body and "分析研判" in letter.body
    assert "尚未公示" in ResponsibilityLetter.objects.get(addressee__user=world.head_b).body
    assert Notification.objects.filter(recipient=world.head_a, url=f"/org/responsibility/letters/{letter.pk}/").exists()
    assert do_send_letters(template, acting_user=world.admin) == []  # sending again adds nobody twice
    with pytest.raises(ValidationError, match="未知的占位符"):
        do_create_letter_template(unit=world.root, year=YEAR, title="x", body="{部门}", acting_user=world.admin)
    with pytest.raises(PermissionDenied):
        do_send_letters(template, acting_user=world.head_a)


def test_only_the_addressee_signs_and_the_signed_text_is_frozen(world):
    _, letter = sent_letters(world)
    for intruder in (world.head_b, world.staff_a, world.leader_a, world.admin):
        with pytest.raises(PermissionDenied, match="只能签署发给本人的责任书；该责任书的签署人是宣传科长"):
            do_sign_letter(letter, acting_user=intruder)
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, object_id=str(letter.pk)).count() == 4
    signed = do_sign_letter(letter, acting_user=world.head_a, expected_version=letter.version, ip="10.0.0.8")
    assert signed.status == LetterStatus.SIGNED and signed.signed_by == world.head_a
    assert signed.signed_ip == "10.0.0.8" and signed.signed_text == signed.body and signed.hash_ok
    with pytest.raises(ValidationError, match="签署并冻结"):
        do_update_letter(signed, body="改", acting_user=world.admin, expected_version=signed.version)
    with pytest.raises(ValidationError, match="不能重复签署"):
        do_sign_letter(signed, acting_user=world.head_a)
    # A changed stored text no longer matches the hash.
    ResponsibilityLetter.objects.filter(pk=signed.pk).update(signed_text="篡改")
    assert not ResponsibilityLetter.objects.get(pk=signed.pk).hash_ok


def test_letter_edit_conflict(world):
    _, letter = sent_letters(world)
    do_update_letter(letter, body="新正文", acting_user=world.admin, expected_version=letter.version)
    with pytest.raises(ResponsibilityConflict):
        do_update_letter(letter, body="另一版", acting_user=world.first, expected_version=letter.version)
    with pytest.raises(ResponsibilityConflict):
        do_sign_letter(letter, acting_user=world.head_a, expected_version=letter.version)
    letter.refresh_from_db()
    assert letter.body == "新正文" and letter.status == LetterStatus.SENT


def test_letter_pages(world, login):
    template, letter = sent_letters(world)
    staff = login(world.staff_a)
    page = staff.get(f"/org/responsibility/letters/{letter.pk}/").content.decode()
    assert "须由宣传科长本人签署" in page and "sign-form" not in page
    refused = staff.post(f"/org/responsibility/letters/{letter.pk}/sign/", {"version": letter.version, "confirm": "on"})
    assert refused.status_code == 403
    assert login(world.head_b, Client()).get(f"/org/responsibility/letters/{letter.pk}/").status_code == 404
    head = login(world.head_a, Client())
    unticked = head.post(f"/org/responsibility/letters/{letter.pk}/sign/", {"version": letter.version})
    assert unticked.status_code == 400 and "请先勾选" in unticked.content.decode()
    ok = head.post(f"/org/responsibility/letters/{letter.pk}/sign/", {"version": letter.version, "confirm": "on"},
                   REMOTE_ADDR="10.1.2.3", follow=True)
    assert "已签署" in ok.content.decode() and "校验一致" in ok.content.decode()
    letter.refresh_from_db()
    assert letter.signed_ip == "10.1.2.3"
    admin = login(world.admin, Client())
    frozen = admin.post(f"/org/responsibility/letters/{letter.pk}/edit/", {"version": letter.version, "body": "改"})
    assert frozen.status_code == 409 and "责任书已签署并冻结，不能修改" in frozen.content.decode()
    unsigned = admin.get(f"/org/responsibility/letters/?box=all&status=sent&template={template.pk}").content.decode()
    assert "信息科长" in unsigned and "宣传科长" not in unsigned
    detail = admin.get(f"/org/responsibility/letters/templates/{template.pk}/").content.decode()
    assert 'id="signed-count">1<' in detail
    export = head.get(f"/org/responsibility/letters/{letter.pk}/export.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(export.content)).paragraphs)
    assert letter.signed_hash in text and "签署账号：head_a" in text


def test_letter_api(world, api):
    _, letter = sent_letters(world)
    assert api(world.head_b).get(f"/api/responsibility/letters/{letter.pk}").status_code == 404
    assert api(world.head_b).post(f"/api/responsibility/letters/{letter.pk}/sign", {},
                                  content_type="application/json").status_code == 404
    staff = api(world.staff_a).post(f"/api/responsibility/letters/{letter.pk}/sign", {}, content_type="application/json")
    assert staff.status_code == 403 and "签署人是宣传科长" in staff.json()["detail"]
    head = api(world.head_a)
    assert head.get(f"/api/responsibility/letters/{letter.pk}").json()["can_sign"] is True
    signed = head.post(f"/api/responsibility/letters/{letter.pk}/sign", {"version": letter.version},
                       content_type="application/json")
    assert signed.status_code == 200 and signed.json()["status"] == "signed" and signed.json()["signed_by"] == "head_a"
    again = head.post(f"/api/responsibility/letters/{letter.pk}/sign", {}, content_type="application/json")
    assert again.status_code == 409
    edit = api(world.admin).patch(f"/api/responsibility/letters/{letter.pk}",
                                  {"body": "改", "version": signed.json()["version"]}, content_type="application/json")
    assert edit.status_code == 409 and "冻结" in json.dumps(edit.json(), ensure_ascii=False)
    unsigned = api(world.admin).get("/api/responsibility/letters?status=sent").json()
    assert [i["addressee_name"] for i in unsigned["items"]] == ["信息科长"]


# --- duty reports -----------------------------------------------------------------------------------


def test_schedule_raises_ledger_tasks_due_on_the_last_working_day(world):
    s = schedule(world)
    reports = DutyReport.objects.filter(schedule=s)
    assert reports.count() == 4  # two heads, two halves
    report = reports.get(author__user=world.head_a, period_label="2026年上半年")
    assert report.due_date == workdays.last_workday_of_half(YEAR, 1) == datetime.date(2026, 6, 30)
    task = report.task
    assert task.source_kind == SourceKind.DUTY_REPORT and task.source == report and task.unit == world.unit_a
    assert task.due_date == report.due_date and task.owner == person(world.head_a)
    assert Task.objects.filter(source_kind=SourceKind.DUTY_REPORT).count() == 4
    with pytest.raises(ValidationError, match="不是工作日"):
        do_create_duty_schedule(unit=world.root, year=YEAR, title="x", cadence="half_year", acting_user=world.admin,
                                due_dates=[datetime.date(2026, 7, 4), datetime.date(2027, 1, 8)])
    custom = do_create_duty_schedule(unit=world.root, year=YEAR, title="x", cadence="year", acting_user=world.admin,
                                     due_dates=[datetime.date(2027, 1, 8)])
    assert set(custom.reports.values_list("due_date", flat=True)) == {datetime.date(2027, 1, 8)}
    with pytest.raises(PermissionDenied):
        schedule_by(world.head_a, world)


def schedule_by(user, world):
    return do_create_duty_schedule(unit=world.unit_a, year=YEAR, title="x", cadence="year", acting_user=user)


def test_submitting_completes_the_task_and_leaders_review(world):
    s = schedule(world)
    report = s.reports.get(author__user=world.head_a, period_label="2026年上半年")
    with pytest.raises(PermissionDenied, match="报告人是宣传科长"):
        do_submit_duty_report(report, content="代交的履职报告内容写满十个字", acting_user=world.staff_a,
                              expected_version=report.version)
    with pytest.raises(ValidationError, match="不少于 10 个字"):
        do_submit_duty_report(report, content="太短", acting_user=world.head_a, expected_version=report.version)
    with pytest.raises(ValidationError, match="尚未提交"):
        do_comment_duty_report(report, text="意见", acting_user=world.leader_a)
    done = do_submit_duty_report(report, content="上半年组织学习六次，研判两次，未发现重大风险。",
                                 acting_user=world.head_a, expected_version=report.version)
    task = Task.objects.get(pk=report.task_id)
    assert done.status == DutyReportStatus.SUBMITTED and task.status == TaskStatus.DONE
    assert task.reports.filter(files__purpose="org.duty_report").exists()  # the report is the evidence
    assert Notification.objects.filter(recipient=world.leader_a, url__endswith=f"/duty-reports/{report.pk}/").exists()
    with pytest.raises(ValidationError, match="不能重复提交"):
        do_submit_duty_report(done, content="再交一次的履职报告内容", acting_user=world.head_a, expected_version=None)
    with pytest.raises(PermissionDenied):
        do_comment_duty_report(done, text="意见", acting_user=world.head_b)
    with pytest.raises(PermissionDenied):  # a unit head is not a leader over their unit
        do_comment_duty_report(done, text="意见", acting_user=world.head_a)
    do_comment_duty_report(done, text="很好，继续保持", mark_reviewed=True, acting_user=world.leader_a,
                           expected_version=done.version)
    done.refresh_from_db()
    assert done.status == DutyReportStatus.REVIEWED
    assert Notification.objects.filter(recipient=world.head_a, title__contains="审阅意见").exists()


def test_duty_report_pages_and_api(world, login, api):
    s = schedule(world)
    report = s.reports.get(author__user=world.head_a, period_label="2026年上半年")
    assert login(world.head_b).get(f"/org/responsibility/duty-reports/{report.pk}/").status_code == 404
    assert api(world.head_b).get(f"/api/responsibility/duty-reports/{report.pk}").status_code == 404
    staff = api(world.staff_a).post(f"/api/responsibility/duty-reports/{report.pk}/submit",
                                    {"content": "代替科长提交的报告内容", "version": report.version},
                                    content_type="application/json")
    assert staff.status_code == 403
    head = login(world.head_a, Client())
    mine = head.get("/org/responsibility/duty-reports/").content.decode()
    assert "2026年上半年" in mine and "2026年下半年" in mine
    posted = head.post(f"/org/responsibility/duty-reports/{report.pk}/submit/",
                       {"version": report.version, "content": "上半年履职情况良好，按要求完成了各项任务。"})
    assert posted.status_code == 302
    stale = api(world.head_a).post(f"/api/responsibility/duty-reports/{report.pk}/submit",
                                   {"content": "重复提交的履职报告内容", "version": report.version},
                                   content_type="application/json")
    assert stale.status_code == 409
    leader = api(world.leader_a)
    assert leader.get(f"/api/responsibility/duty-reports/{report.pk}").json()["can_review"] is True
    comment = leader.post(f"/api/responsibility/duty-reports/{report.pk}/comments", {"text": "同意", "mark_reviewed": True},
                          content_type="application/json")
    assert comment.status_code == 201
    page = login(world.leader_a, Client()).get(f"/org/responsibility/duty-reports/{report.pk}/").content.decode()
    assert "同意" in page and "已审阅" in page


def test_schedule_form_reports_bad_dates(world, login):
    c = login(world.admin)
    response = c.post("/org/responsibility/duty-reports/schedules/new/",
                      {"unit": world.root.pk, "year": YEAR, "cadence": "half_year", "due_dates": "2026-07-04,明年"})
    assert response.status_code == 200 and "不是有效日期" in response.content.decode()
    response = c.post("/org/responsibility/duty-reports/schedules/new/",
                      {"unit": world.root.pk, "year": YEAR, "cadence": "half_year", "due_dates": "2026-07-04"})
    assert "共 2 期" in response.content.decode()
    assert login(world.head_a, Client()).get("/org/responsibility/duty-reports/schedules/new/").status_code == 403


# --- contact points ---------------------------------------------------------------------------------


def test_contact_points(world, login, api):
    leader = person(world.leader_a)
    point = do_create_contact_point(leader=leader, unit=world.unit_a, start_date=datetime.date(2026, 1, 1),
                                    acting_user=world.admin, note="联系指导")
    with pytest.raises(ValidationError, match="没有领导职务"):
        do_create_contact_point(leader=person(world.head_b), unit=world.unit_b, start_date=datetime.date(2026, 1, 1),
                                acting_user=world.admin)
    with pytest.raises(ValidationError, match="已联系宣传科"):
        do_create_contact_point(leader=leader, unit=world.unit_a, start_date=datetime.date(2026, 3, 1),
                                acting_user=world.admin)
    with pytest.raises(PermissionDenied):
        do_create_contact_point(leader=leader, unit=world.unit_b, start_date=datetime.date(2026, 1, 1),
                                acting_user=world.head_b)
    unit_page = login(world.staff_a).get(f"/org/units/{world.unit_a.pk}/").content.decode()
    assert "分管领导甲" in unit_page and "联系指导" in unit_page
    assert "分管领导甲" not in login(world.staff_b, Client()).get("/org/responsibility/contacts/").content.decode()
    assert api(world.staff_b).get("/api/responsibility/contact-points").json()["count"] == 0
    admin = api(world.admin)
    patch = admin.patch(f"/api/responsibility/contact-points/{point.pk}", {"end_date": "2026-12-31", "version": 1},
                        content_type="application/json")
    assert patch.status_code == 200 and patch.json()["end_date"] == "2026-12-31"
    stale = admin.patch(f"/api/responsibility/contact-points/{point.pk}", {"note": "x", "version": 1},
                        content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    bad = admin.patch(f"/api/responsibility/contact-points/{point.pk}", {"end_date": "2025-01-01", "version": 2},
                      content_type="application/json")
    assert bad.status_code == 409 and "结束日期" in json.dumps(bad.json(), ensure_ascii=False)
    created = admin.post("/api/responsibility/contact-points",
                         {"leader_id": person(world.first).pk, "unit_id": world.unit_b.pk, "start_date": "2026-02-01"},
                         content_type="application/json")
    assert created.status_code == 201
    assert ContactPoint.objects.count() == 2


def test_contact_form(world, login):
    c = login(world.admin)
    response = c.post("/org/responsibility/contacts/new/", {"leader": person(world.leader_a).pk, "unit": world.unit_a.pk,
                                                            "start_date": "2026-01-01", "end_date": "2025-01-01"})
    assert "结束日期不能早于开始日期" in response.content.decode()
    response = c.post("/org/responsibility/contacts/new/", {"leader": person(world.leader_a).pk, "unit": world.unit_a.pk,
                                                            "start_date": "2026-01-01"})
    assert response.status_code == 302
    point = ContactPoint.objects.get()
    edit = c.post(f"/org/responsibility/contacts/{point.pk}/edit/", {"version": 1, "start_date": "2026-01-01",
                                                                      "note": "改"})
    assert edit.status_code == 302
    stale = c.post(f"/org/responsibility/contacts/{point.pk}/edit/", {"version": 1, "start_date": "2026-01-01",
                                                                       "note": "再改"})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()


# --- home panel and demo ----------------------------------------------------------------------------


def test_home_panel_lists_what_waits_for_me(world, rf):
    from django.template.loader import render_to_string

    from org.responsibility_views import home_panel_context

    sent_letters(world)
    schedule(world)
    request = rf.get("/")
    request.user = world.head_a
    page = render_to_string("org/responsibility/_home_panel.html", {"ctx": home_panel_context(request)})
    assert "待签署" in page and "2026年上半年" in page
    request.user = world.staff_b
    assert "暂无待签署" in render_to_string("org/responsibility/_home_panel.html",
                                           {"ctx": home_panel_context(request)})


def test_demo_loader_is_idempotent(world, plan):
    from org.demo_responsibility import load_demo_responsibility
    from org.models import DutyReportSchedule, LetterTemplate

    load_demo_responsibility(world.admin)
    counts = (ResponsibilityList.objects.count(), ResponsibilityLetter.objects.count(),
              DutyReportSchedule.objects.count(), ContactPoint.objects.count(), DutyReport.objects.count())
    assert counts[0] >= 2 and counts[1] == 2 and counts[2] == 1 and counts[3] >= 1
    assert ResponsibilityLetter.objects.filter(status=LetterStatus.SIGNED).count() == 2
    assert LetterTemplate.objects.count() == 1
    load_demo_responsibility(world.admin)
    assert counts == (ResponsibilityList.objects.count(), ResponsibilityLetter.objects.count(),
                      DutyReportSchedule.objects.count(), ContactPoint.objects.count(), DutyReport.objects.count())
