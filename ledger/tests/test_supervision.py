"""督办: the 13710 loop on the 2026 calendar, grading, returns, who may act, locking, pages and API."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory

from core.files import store_upload
from core.models import AuditAction, AuditEntry, Notification
from core.tokens import do_create_token
from ledger import actions, supervision_views
from ledger import supervision as sv
from ledger.actions import ConflictError
from ledger.choices import Grade, SupervisionLevel, SupervisionStatus, TaskStatus
from ledger.models import LedgerSettings, ResponseRule, Supervision, SupervisionEvent

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ISSUED = datetime.date(2026, 9, 30)  # Wednesday, the eve of the National Day week (10-01 … 10-07 off)


@pytest.fixture
def task(world):
    return actions.create_task(
        unit=world.unit_a, title="开展网络意识形态风险专项排查", due_date=datetime.date(2026, 10, 30),
        acting_user=world.head_a, owner=world.staff_a.person,
    )


@pytest.fixture
def sup(world, task):
    return sv.do_issue_supervision(task, order="请于国庆节后第一个工作日签收，抓紧整改", acting_user=world.leader_a,
                                   today=ISSUED)


@pytest.fixture
def evidence(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return store_upload(SimpleUploadedFile("整改方案.pdf", PDF), unit=world.unit_a, user=world.staff_a)


def inbox(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("title", flat=True))


# --- the loop ---------------------------------------------------------------------------------------


def test_the_13710_rule_is_created_lazily_once():
    assert not ResponseRule.objects.exists()
    rule = sv.get_default_rule()
    assert (rule.name, rule.ack_days, rule.measures_days, rule.close_days, rule.major_close_days, rule.is_default) == (
        "13710", 1, 3, 7, 22, True)
    assert sv.get_default_rule() == rule and ResponseRule.objects.count() == 1


def test_deadlines_follow_the_2026_holiday_calendar(world, task, sup):
    # 9-30 (Wed) + 1 working day skips 10-01 … 10-07: Thursday 10-08. +3 lands on the make-up Saturday 10-10.
    assert sup.issued_on == ISSUED
    assert sup.ack_due == datetime.date(2026, 10, 8)
    assert sup.measures_due == datetime.date(2026, 10, 10)
    assert sup.close_due == datetime.date(2026, 10, 15)
    assert sup.reply_deadline == sup.close_due
    assert sup.rule.name == "13710" and sup.leader == world.leader_a and sup.status == SupervisionStatus.ISSUED
    # The issue date itself is a working day: 9-28 (Mon) + 1 = 9-29, no holiday in between.
    assert sv.deadlines(datetime.date(2026, 9, 28), sup.rule, SupervisionLevel.ORDINARY)[0] == datetime.date(2026, 9, 29)


def test_major_items_get_the_longer_limit_and_a_chosen_reply_deadline(world):
    task = actions.create_task(unit=world.unit_a, title="重大舆情处置", due_date=datetime.date(2026, 11, 30),
                               acting_user=world.head_a)
    sup = sv.do_issue_supervision(task, order="按时间表推进", level=SupervisionLevel.MAJOR, acting_user=world.leader_a,
                                  reply_deadline=datetime.date(2026, 11, 20), today=ISSUED)
    assert sup.close_due == datetime.date(2026, 11, 5)  # 22 working days after 9-30
    assert sup.reply_deadline == datetime.date(2026, 11, 20)
    assert [s.key for s in sv.stages(sup, ISSUED)] == ["ack", "measures", "close", "reply"]


def test_full_loop_with_grading_kept(world, task, sup, evidence):
    leader, staff, head = world.leader_a, world.staff_a, world.head_a
    assert inbox(staff) == ["督办：开展网络意识形态风险专项排查"] and inbox(head) == inbox(staff)
    assert "2026年10月8日（周四）" in Notification.objects.get(recipient=staff).body

    sv.do_acknowledge(sup, acting_user=staff, expected_version=1)
    assert (sup.status, sup.version) == (SupervisionStatus.ACKNOWLEDGED, 2) and sup.acknowledged_at
    sv.do_report_measures(sup, text="已制定排查方案，10月12日前完成自查", files=[evidence], acting_user=staff,
                          expected_version=2)
    assert sup.status == SupervisionStatus.MEASURES and sup.measures_at
    sv.do_report_measures(sup, text="自查完成，正在整改", acting_user=head, expected_version=3)  # may be repeated
    sv.do_request_close(sup, text="整改完成，申请销号", files=[evidence], acting_user=staff, expected_version=4)
    assert sup.status == SupervisionStatus.CLOSING and sup.closing_at
    assert inbox(leader) == ["督办已签收：开展网络意识形态风险专项排查", "督办报送措施：开展网络意识形态风险专项排查",
                             "督办报送措施：开展网络意识形态风险专项排查", "督办申请办结：开展网络意识形态风险专项排查"]

    with pytest.raises(ValidationError, match="评定等次"):
        sv.do_close(sup, grade="", acting_user=leader)
    sv.do_close(sup, grade=Grade.GOOD, comment="整改到位", acting_user=leader, expected_version=5)
    sup.refresh_from_db()
    assert (sup.status, sup.grade, sup.grade_comment, sup.version) == (SupervisionStatus.CLOSED, Grade.GOOD, "整改到位", 6)
    assert inbox(staff)[-1] == "督办已办结（良好）：开展网络意识形态风险专项排查"
    assert list(sup.events.values_list("kind", flat=True)) == [
        "issued", "acknowledged", "measures", "measures", "closing", "closed"]
    assert sup.events.get(kind="measures", text__startswith="已制定").files.get() == evidence
    # Kept for assessment: the grade per unit over the period.
    today = datetime.date.today()
    assert sv.grades_by_unit(today - datetime.timedelta(days=1), today) == {world.unit_a.pk: {"good": 1}}
    assert AuditEntry.objects.filter(object_type="ledger.supervision", object_id=str(sup.pk),
                                     action=AuditAction.UPDATE, actor=leader).exists()
    # Closed: a new order on the same task is possible again.
    again = sv.do_issue_supervision(task, order="回头看", acting_user=world.first, today=ISSUED)
    assert again.leader == world.first


def test_return_sends_the_item_back_to_handling(world, sup):
    staff, leader = world.staff_a, world.leader_a
    sv.do_acknowledge(sup, acting_user=staff)
    sv.do_request_close(sup, text="已完成", acting_user=staff)
    with pytest.raises(ValidationError):
        sv.do_return(sup, comment="  ", acting_user=leader)
    sv.do_return(sup, comment="佐证材料不足，请补充整改台账", acting_user=leader, expected_version=sup.version)
    assert sup.status == SupervisionStatus.RETURNED and sup.closing_at is None and not sup.grade
    assert inbox(staff)[-1] == "督办被退回：开展网络意识形态风险专项排查"
    assert sv.allowed_steps(staff, sup) == {"measures", "request_close"}
    with pytest.raises(ValidationError, match="尚未申请办结"):
        sv.do_close(sup, grade=Grade.PASS, acting_user=leader)
    sv.do_report_measures(sup, text="补充整改台账", acting_user=staff)
    sv.do_request_close(sup, text="已补充，再次申请办结", acting_user=staff)
    with pytest.raises(ValidationError, match="不合格时请填写"):
        sv.do_close(sup, grade=Grade.FAIL, acting_user=leader)
    sv.do_close(sup, grade=Grade.FAIL, comment="逾期且整改不彻底", acting_user=leader)
    assert (sup.status, sup.grade) == (SupervisionStatus.CLOSED, Grade.FAIL)  # 不合格 still closes, and is kept
    assert sv.allowed_steps(leader, sup) == set()


def test_wrong_users_are_refused_and_logged(world, task, sup):
    # 信息科 can neither see nor act on a 宣传科 supervision.
    assert not Supervision.objects.visible_to(world.staff_b).exists()
    for user in (world.staff_b, world.head_b):
        with pytest.raises(PermissionDenied):
            sv.do_acknowledge(sup, acting_user=user)
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.staff_b,
                                     object_type="ledger.supervision").exists()
    # The issuing leader does not answer their own order.
    with pytest.raises(PermissionDenied, match="督办领导不能代为签收"):
        sv.do_acknowledge(sup, acting_user=world.leader_a)
    sv.do_acknowledge(sup, acting_user=world.staff_a)
    sv.do_request_close(sup, text="完成", acting_user=world.staff_a)
    # Staff, the unit head and another leader cannot grade; only the issuing leader (or an admin).
    for user in (world.staff_a, world.head_a, world.first):
        with pytest.raises(PermissionDenied, match="仅交办督办的领导"):
            sv.do_close(sup, grade=Grade.EXCELLENT, acting_user=user)
        with pytest.raises(PermissionDenied):
            sv.do_return(sup, comment="不行", acting_user=user)
    sup.refresh_from_db()
    assert sup.status == SupervisionStatus.CLOSING
    sv.do_close(sup, grade=Grade.EXCELLENT, acting_user=world.admin)
    assert sup.grade == Grade.EXCELLENT


def test_only_leaders_over_the_unit_issue(world, task):
    assert sv.can_issue(world.leader_a, task) and sv.can_issue(world.first, task) and sv.can_issue(world.admin, task)
    for user in (world.staff_a, world.head_a, world.head_b, world.staff_b):
        assert not sv.can_issue(user, task)
        with pytest.raises(PermissionDenied):
            sv.do_issue_supervision(task, order="督办", acting_user=user)
    # An administrator may issue in a leader's name, a leader only in their own.
    sup = sv.do_issue_supervision(task, order="代交办", leader=world.leader_a, acting_user=world.admin)
    assert sup.leader == world.leader_a and sup.events.get().author == world.admin
    other = actions.create_task(unit=world.unit_a, title="另一项", due_date=ISSUED, acting_user=world.head_a)
    with pytest.raises(PermissionDenied, match="本人名义"):
        sv.do_issue_supervision(other, order="督办", leader=world.first, acting_user=world.leader_a)
    with pytest.raises(ValidationError):
        sv.do_issue_supervision(other, order="督办", leader=world.head_a, acting_user=world.admin)


def test_state_rules(world, task, sup):
    with pytest.raises(ValidationError, match="未办结的督办"):
        sv.do_issue_supervision(task, order="再督办", acting_user=world.first)
    with pytest.raises(ValidationError, match="请先签收"):
        sv.do_report_measures(sup, text="措施", acting_user=world.staff_a)
    sv.do_acknowledge(sup, acting_user=world.staff_a)
    with pytest.raises(ValidationError, match="整改措施"):
        sv.do_report_measures(sup, text=" ", acting_user=world.staff_a)
    with pytest.raises(ValidationError, match="无需再签收"):
        sv.do_acknowledge(sup, acting_user=world.head_a)
    done = actions.create_task(unit=world.unit_a, title="已完成的任务", due_date=ISSUED, acting_user=world.head_a)
    done.status = TaskStatus.DONE
    done.save()
    with pytest.raises(ValidationError, match="任务已完成"):
        sv.do_issue_supervision(done, order="督办", acting_user=world.leader_a)
    other = actions.create_task(unit=world.unit_a, title="另一项", due_date=ISSUED, acting_user=world.head_a)
    with pytest.raises(ValidationError, match="回复期限"):
        sv.do_issue_supervision(other, order="督办", acting_user=world.leader_a, today=ISSUED,
                                reply_deadline=datetime.date(2026, 9, 1))
    with pytest.raises(ValidationError, match="督办意见"):
        sv.do_issue_supervision(other, order="   ", acting_user=world.leader_a)


def test_a_stale_version_is_a_conflict(world, sup):
    mine, theirs = Supervision.objects.get(pk=sup.pk), Supervision.objects.get(pk=sup.pk)
    sv.do_acknowledge(mine, acting_user=world.staff_a, expected_version=theirs.version)
    with pytest.raises(ConflictError) as caught:
        sv.do_acknowledge(theirs, acting_user=world.head_a, expected_version=theirs.version)
    assert "已被他人处理" in caught.value.messages[0]
    with pytest.raises(ConflictError):
        sv.do_report_measures(theirs, text="按旧页面提交", acting_user=world.head_a, expected_version=1)
    sup.refresh_from_db()
    assert sup.version == 2 and sup.events.count() == 2  # nothing from the stale writes


def test_stage_colours(world, sup):
    at = datetime.datetime(2026, 10, 9, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    by_key = {s.key: s for s in sv.stages(sup, datetime.date(2026, 10, 8))}
    assert (by_key["ack"].state, by_key["ack"].text) == ("due", "今日到期")
    assert (by_key["measures"].state, by_key["measures"].days) == ("pending", 2)
    by_key = {s.key: s for s in sv.stages(sup, datetime.date(2026, 10, 12))}
    assert (by_key["ack"].state, by_key["ack"].days, by_key["ack"].color) == ("overdue", 3, "red")
    Supervision.objects.filter(pk=sup.pk).update(acknowledged_at=at, status=SupervisionStatus.ACKNOWLEDGED)
    sup.refresh_from_db()
    by_key = {s.key: s for s in sv.stages(sup, datetime.date(2026, 10, 12))}
    assert (by_key["ack"].state, by_key["ack"].text) == ("late", "超时 1 个工作日完成")
    assert by_key["measures"].state == "overdue"
    Supervision.objects.filter(pk=sup.pk).update(acknowledged_at=at - datetime.timedelta(days=2))
    sup.refresh_from_db()
    assert sv.stages(sup, datetime.date(2026, 10, 12))[0].state == "ontime"


# --- rules and settings -----------------------------------------------------------------------------


def test_rules_are_admin_only_validated_and_one_default(world):
    first = sv.get_default_rule()
    with pytest.raises(PermissionDenied):
        sv.do_save_rule(None, name="1357", ack_days=1, measures_days=3, close_days=5, major_close_days=7,
                        acting_user=world.leader_a)
    with pytest.raises(ValidationError, match="不能早于签收"):
        sv.do_save_rule(None, name="坏规则", ack_days=3, measures_days=1, close_days=5, major_close_days=7,
                        acting_user=world.admin)
    with pytest.raises(ValidationError, match="同名"):
        sv.do_save_rule(None, name="13710", ack_days=1, measures_days=3, close_days=7, major_close_days=22,
                        acting_user=world.admin)
    rule = sv.do_save_rule(None, name="1357", ack_days=1, measures_days=3, close_days=5, major_close_days=7,
                           is_default=True, acting_user=world.admin)
    first.refresh_from_db()
    assert rule.is_default and not first.is_default and sv.get_default_rule() == rule
    task = actions.create_task(unit=world.unit_a, title="按新规则", due_date=ISSUED, acting_user=world.head_a)
    sup = sv.do_issue_supervision(task, order="督办", acting_user=world.leader_a, today=ISSUED)
    assert sup.rule == rule and sup.close_due == datetime.date(2026, 10, 13)


def test_settings_are_admin_only_and_normalised(world):
    with pytest.raises(PermissionDenied):
        sv.do_update_settings(yellow_days=2, remind_days="3", escalate_after_days=1, acting_user=world.head_a)
    with pytest.raises(ValidationError, match="不是工作日天数"):
        sv.do_update_settings(yellow_days=2, remind_days="3,x", escalate_after_days=1, acting_user=world.admin)
    sv.do_update_settings(yellow_days=2, remind_days="1，5、3", escalate_after_days=2, acting_user=world.admin)
    saved = LedgerSettings.current()
    assert (saved.yellow_days, saved.remind_days, saved.escalate_after_days) == (2, "5,3,1", 2)
    assert saved.remind_offsets() == [5, 3, 1]
    sv.do_update_settings(yellow_days=4, remind_days="", escalate_after_days=0, acting_user=world.admin)
    assert LedgerSettings.objects.count() == 1 and LedgerSettings.current().remind_offsets() == []


# --- pages --------------------------------------------------------------------------------------------


def test_pages_issue_then_handle_then_grade(world, task, login, client):
    from django.test import Client

    leader = login(world.leader_a, Client())
    response = leader.get(f"/ledger/supervision/issue/{task.pk}/")
    assert response.status_code == 200 and "下达督办" in response.content.decode()
    response = leader.post(f"/ledger/supervision/issue/{task.pk}/", {
        "order": "请加快进度", "level": "ordinary", "rule": sv.get_default_rule().pk, "reply_deadline": ""})
    sup = Supervision.objects.get(task=task)
    assert response.status_code == 302 and response["Location"] == f"/ledger/supervision/{sup.pk}/"

    staff = login(world.staff_a, Client())
    page = staff.get(f"/ledger/supervision/{sup.pk}/").content.decode()
    assert 'id="form-acknowledge"' in page and 'data-stage="ack"' in page and 'id="form-close"' not in page
    assert staff.post(f"/ledger/supervision/{sup.pk}/acknowledge/", {"version": 1, "text": ""}).status_code == 302
    # The same form sent again (an old page): the conflict message, nothing changed.
    response = staff.post(f"/ledger/supervision/{sup.pk}/acknowledge/", {"version": 1}, follow=True)
    assert "已被他人处理" in response.content.decode()
    response = staff.post(f"/ledger/supervision/{sup.pk}/request-close/", {"version": 2, "text": ""})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    pdf = SimpleUploadedFile("纪要.pdf", PDF, content_type="application/pdf")
    response = staff.post(f"/ledger/supervision/{sup.pk}/request-close/",
                          {"version": 2, "text": "已完成", "files": [pdf]})
    assert response.status_code == 302
    sup.refresh_from_db()
    assert sup.status == SupervisionStatus.CLOSING and sup.events.get(kind="closing").files.count() == 1
    assert staff.post(f"/ledger/supervision/{sup.pk}/close/", {"version": 3, "grade": "excellent"}).status_code == 403

    page = leader.get(f"/ledger/supervision/{sup.pk}/").content.decode()
    assert 'id="form-close"' in page and 'id="form-return"' in page
    assert leader.post(f"/ledger/supervision/{sup.pk}/close/", {"version": 3, "grade": "excellent"}).status_code == 302
    sup.refresh_from_db()
    assert sup.grade == Grade.EXCELLENT

    lists = {box: leader.get(f"/ledger/supervision/?box={box}&status=").content.decode() for box in ("issued", "mine")}
    assert f'data-supervision="{sup.pk}"' in lists["issued"] and f'data-supervision="{sup.pk}"' not in lists["mine"]
    assert f'data-supervision="{sup.pk}"' in staff.get("/ledger/supervision/?box=mine&status=").content.decode()
    outsider = login(world.staff_b, Client())
    assert outsider.get(f"/ledger/supervision/{sup.pk}/").status_code == 404
    assert f'data-supervision="{sup.pk}"' not in outsider.get("/ledger/supervision/?box=all&status=").content.decode()


def test_issue_form_partial_and_panel(world, task, login):
    from django.test import Client

    leader, staff = login(world.leader_a, Client()), login(world.staff_a, Client())
    url = f"/ledger/supervision/issue/{task.pk}/?next=/ledger/"
    assert 'id="supervision-issue-form"' in leader.get(url, headers={"HX-Request": "true"}).content.decode()
    assert staff.get(url, headers={"HX-Request": "true"}).content == b""
    assert staff.get(url).status_code == 403
    response = staff.post(url, {"order": "越权督办", "level": "ordinary"})
    assert response.status_code == 403 and not Supervision.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.staff_a).exists()
    response = leader.post(url, {"order": "督办", "level": "major", "rule": sv.get_default_rule().pk, "next": "/ledger/"})
    assert response.status_code == 302 and response["Location"] == "/ledger/"
    request = RequestFactory().get("/ledger/tasks/1/")
    request.user = world.leader_a
    html = render_to_string("ledger/_supervision_panel.html", {"task": task, "request": request})
    assert "supervision-issue-slot" in html and "重大" in html and "已交办" in html
    # With an order open, the leader is not offered a second one.
    assert leader.get(url, headers={"HX-Request": "true"}).content == b""
    # The 工作台 panel: what waits for the staff member.
    request.user = world.staff_a
    ctx = supervision_views.home_panel(request)
    assert [row["sup"].task for row in ctx["handle"]] == [task] and ctx["review"] == []
    html = render_to_string("ledger/supervision_home_panel.html", {"ctx": ctx})
    assert "开展网络意识形态风险专项排查" in html and "签收" in html


def test_rule_and_settings_pages(world, login):
    from django.test import Client

    admin, head = login(world.admin, Client()), login(world.head_a, Client())
    assert "13710" in head.get("/ledger/supervision/rules/").content.decode()
    assert head.get("/ledger/supervision/rules/new/").status_code == 403
    assert head.get("/ledger/settings/").status_code == 403
    response = admin.post("/ledger/supervision/rules/new/", {
        "name": "三日办结", "ack_days": 1, "measures_days": 2, "close_days": 3, "major_close_days": 10})
    assert response.status_code == 302 and ResponseRule.objects.filter(name="三日办结").exists()
    response = admin.post("/ledger/settings/", {"yellow_days": 2, "remind_days": "5,2", "escalate_after_days": 3})
    assert response.status_code == 302 and LedgerSettings.current().remind_days == "5,2"
    page = admin.get("/ledger/settings/").content.decode()
    assert "提前 5 个工作日" in page
    response = admin.post("/ledger/settings/", {"yellow_days": 2, "remind_days": "5;2", "escalate_after_days": 3})
    assert response.status_code == 400 and "不是工作日天数" in response.content.decode()


# --- API ----------------------------------------------------------------------------------------------


def _api(client, user, method, path, body=None):
    _, key = do_create_token(user, "测试", acting_user=user)
    call = getattr(client, method)
    kwargs = {"headers": {"Authorization": f"Bearer {key}"}}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = call(f"/api/ledger{path}", **kwargs)
    return response.status_code, response.json()


def test_api_loop(world, task, client):
    status, body = _api(client, world.leader_a, "post", f"/tasks/{task.pk}/supervisions",
                        {"order": "请报送整改方案", "level": "ordinary"})
    assert status == 201, body
    sid = body["id"]
    assert body["rule_name"] == "13710" and body["status"] == "issued" and body["allowed_steps"] == []
    assert [s["key"] for s in body["stages"]] == ["ack", "measures", "close"]
    assert _api(client, world.staff_a, "get", f"/supervisions/{sid}")[1]["allowed_steps"] == ["acknowledge"]
    assert _api(client, world.staff_b, "get", f"/supervisions/{sid}")[0] == 404
    assert _api(client, world.staff_b, "post", f"/supervisions/{sid}/acknowledge", {"version": 1})[0] == 404
    assert _api(client, world.head_a, "post", f"/tasks/{task.pk}/supervisions", {"order": "再督办"})[0] == 403
    status, body = _api(client, world.staff_a, "post", f"/supervisions/{sid}/acknowledge", {"version": 1})
    assert status == 200 and body["version"] == 2 and [e["kind"] for e in body["events"]] == ["issued", "acknowledged"]
    status, body = _api(client, world.head_a, "post", f"/supervisions/{sid}/measures", {"version": 1, "text": "措施"})
    assert status == 409 and "已被他人处理" in body["detail"]
    assert _api(client, world.staff_a, "post", f"/supervisions/{sid}/close",
                {"version": 2, "grade": "good"})[0] == 403
    assert _api(client, world.leader_a, "post", f"/supervisions/{sid}/close",
                {"version": 2, "grade": "good"})[0] == 409  # not asked to close yet
    assert _api(client, world.staff_a, "post", f"/supervisions/{sid}/request-close",
                {"version": 2, "text": "已完成"})[0] == 200
    status, body = _api(client, world.leader_a, "post", f"/supervisions/{sid}/return", {"version": 3, "comment": "补充材料"})
    assert status == 200 and body["status"] == "returned"
    assert _api(client, world.staff_a, "post", f"/supervisions/{sid}/request-close",
                {"version": 4, "text": "已补充"})[0] == 200
    status, body = _api(client, world.leader_a, "post", f"/supervisions/{sid}/close",
                        {"version": 5, "grade": "pass", "comment": "基本完成"})
    assert status == 200 and (body["status"], body["grade"], body["grade_label"]) == ("closed", "pass", "合格")
    status, body = _api(client, world.staff_a, "get", "/supervisions?box=mine&status=closed")
    assert status == 200 and [i["id"] for i in body["items"]] == [sid]
    assert _api(client, world.staff_b, "get", "/supervisions")[1]["count"] == 0
    assert SupervisionEvent.objects.filter(supervision_id=sid).count() == 6
