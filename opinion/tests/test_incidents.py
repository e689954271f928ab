"""Incidents: 受理→研判→处置→反馈→办结 in order with required fields, working-hours deadlines,
escalation, ledger tasks, history, scoping (UI), the list's query count and the .xlsx ledger."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEntry, Notification
from core.workhours import add_working_hours
from ledger.actions import ConflictError, tasks_raised_by
from ledger.models import Task
from opinion import actions, alerting
from opinion import incidents as rules
from opinion.models import Alert, Incident, IncidentLog
from opinion.tests import b2_factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(world):
    return f.analyst(world)


def open_incident(world, analyst, **extra):
    values = {"title": "窗口服务投诉", "level": "red", "unit": world.unit_a, "acting_user": analyst, **extra}
    return actions.do_open_incident(**values)


def advance_to_closed(incident, user):
    incident = actions.do_advance_incident(incident, to_stage="analysing", acting_user=user,
                                           expected_version=incident.version)
    incident = actions.do_advance_incident(incident, to_stage="handling", analysis="属实，涉及窗口作风", level="orange",
                                           acting_user=user, expected_version=incident.version)
    incident = actions.do_advance_incident(incident, to_stage="feedback", measures="约谈窗口负责人，公开回应",
                                           acting_user=user, expected_version=incident.version)
    return actions.do_advance_incident(incident, to_stage="closed", outcome="当事人表示满意，舆情平息",
                                       acting_user=user, expected_version=incident.version)


def test_open_from_alert(world, analyst):
    f.alert_rule(world.unit_a, level="orange")
    ev = f.event()
    alert = alerting.evaluate_item_alerts([f.item("负面", sentiment="neg", ev=ev)], now=f.at(2026, 11, 24, 10))[0]
    incident = actions.do_open_incident(alert=alert, unit=world.unit_a, owner=world.staff_a.person,
                                        acting_user=analyst)
    assert (incident.title, incident.level, incident.event, incident.stage) == ("负面", "orange", ev, "accepted")
    alert.refresh_from_db()
    assert alert.status == "incident" and alert.incident == incident
    assert incident.stage_due_at == add_working_hours(incident.stage_started_at, 2)  # 橙色受理 2 小时
    assert IncidentLog.objects.get(incident=incident).text == "受理：由预警“负面”转入"
    with pytest.raises(ValidationError, match="已转入处置"):
        actions.do_open_incident(alert=alert, unit=world.unit_a, acting_user=analyst)


def test_transitions_in_order_with_required_fields(world, analyst):
    incident = open_incident(world, analyst)
    with pytest.raises(ValidationError) as exc:
        actions.do_advance_incident(incident, to_stage="handling", acting_user=analyst)
    assert "当前环节为“受理”，只能转入“研判”" in str(exc.value)
    incident = actions.do_advance_incident(incident, to_stage="analysing", acting_user=analyst)
    with pytest.raises(ValidationError, match="研判环节须先填写研判意见"):
        actions.do_advance_incident(incident, to_stage="handling", acting_user=analyst)
    incident = actions.do_advance_incident(incident, to_stage="handling", analysis="属实", level="yellow",
                                           acting_user=analyst)
    assert incident.level == "yellow"
    # 处置 deadline counts from now with the new (yellow) allowance: 24 working hours.
    assert incident.stage_due_at == add_working_hours(incident.stage_started_at, 24)
    with pytest.raises(ValidationError, match="处置环节须先填写处置措施"):
        actions.do_advance_incident(incident, to_stage="feedback", acting_user=analyst)
    incident = actions.do_advance_incident(incident, to_stage="feedback", measures="公开回应", acting_user=analyst)
    with pytest.raises(ValidationError, match="反馈环节须先填写反馈结果"):
        actions.do_advance_incident(incident, to_stage="closed", outcome="  ", acting_user=analyst)
    incident = actions.do_advance_incident(incident, to_stage="closed", outcome="已平息", acting_user=analyst)
    assert incident.closed_at is not None and incident.stage_due_at is None
    with pytest.raises(ValidationError, match="已办结"):
        actions.do_advance_incident(incident, to_stage="closed", acting_user=analyst)
    history = [(log.kind, log.from_stage, log.to_stage) for log in incident.logs.all()]
    assert history == [("open", "", "accepted"), ("advance", "accepted", "analysing"),
                       ("advance", "analysing", "handling"), ("advance", "handling", "feedback"),
                       ("advance", "feedback", "closed")]


def test_stale_version_is_refused(world, analyst):
    incident = open_incident(world, analyst)
    actions.do_advance_incident(incident, to_stage="analysing", acting_user=analyst, expected_version=1)
    with pytest.raises(ConflictError):
        actions.do_advance_incident(incident, to_stage="analysing", acting_user=analyst, expected_version=1)


def test_permissions(world, analyst):
    with pytest.raises(PermissionDenied):
        open_incident(world, world.head_a)  # no opinion.manage
    with pytest.raises(PermissionDenied):
        open_incident(world, analyst, unit=world.unit_b)  # not the analyst's unit
    incident = open_incident(world, analyst)
    other = f.analyst(world, world.unit_b, "analyst_b")
    with pytest.raises(PermissionDenied):
        actions.do_advance_incident(incident, to_stage="analysing", acting_user=other)
    assert AuditEntry.objects.filter(action="denied", actor=other, object_type="opinion.incident").exists()
    assert not Incident.objects.visible_to(other).filter(pk=incident.pk).exists()
    assert Incident.objects.visible_to(world.leader_a).filter(pk=incident.pk).exists()


def test_task_raised_in_the_ledger(world, analyst):
    incident = open_incident(world, analyst)
    due = timezone.localdate() + datetime.timedelta(days=5)
    task = actions.do_assign_incident_task(incident, unit=world.unit_b, title="核查窗口服务情况", due=due,
                                           acting_user=analyst)
    assert task.source_kind == "incident" and list(tasks_raised_by(incident)) == [task]
    # It shows in the receiving unit's ledger.
    assert Task.objects.visible_to(world.staff_b).filter(pk=task.pk).exists()
    assert incident.logs.filter(kind="task").exists()
    with pytest.raises(ValidationError, match="不能早于今天"):
        actions.do_assign_incident_task(incident, unit=world.unit_b, title="x", due=due - datetime.timedelta(days=30),
                                        acting_user=analyst)


def test_statements_and_notes(world, analyst):
    incident = open_incident(world, analyst)
    actions.do_add_statement(incident, text="我局高度重视，已成立调查组。", acting_user=analyst)
    actions.do_add_note(incident, text="分管领导电话指示：尽快回应", acting_user=analyst)
    assert [s.text for s in incident.statements.all()] == ["我局高度重视，已成立调查组。"]
    assert [log.kind for log in incident.logs.all()] == ["open", "statement", "note"]
    with pytest.raises(ValidationError):
        actions.do_add_note(incident, text=" ", acting_user=analyst)


def test_escalation_once_per_step(world, analyst):
    start = f.at(2026, 11, 24, 9, 0)
    incident = open_incident(world, analyst, owner=world.staff_a.person)
    Incident.objects.filter(pk=incident.pk).update(stage_started_at=start, stage_due_at=f.at(2026, 11, 24, 10, 0))
    assert rules.escalate_late(now=f.at(2026, 11, 24, 9, 59)) == 0
    assert rules.escalate_late(now=f.at(2026, 11, 24, 10, 30)) == 1
    assert rules.escalate_late(now=f.at(2026, 11, 24, 10, 45)) == 0  # same step: once
    titles = Notification.objects.filter(category="opinion_incident").values_list("recipient__username", flat=True)
    assert sorted(titles) == ["head_a", "leader_a", "staff_a"]
    # Red 受理 allows 1 working hour: each further working hour late is the next step.
    assert rules.escalate_late(now=f.at(2026, 11, 24, 10, 59)) == 0
    assert rules.escalate_late(now=f.at(2026, 11, 24, 11, 0)) == 1
    assert rules.escalate_late(now=f.at(2026, 11, 24, 12, 0)) == 1
    # The lunch break does not count: at 14:29 it is 4.5 clock hours but 2.98 working hours late.
    assert rules.escalate_late(now=f.at(2026, 11, 24, 14, 29)) == 0
    assert rules.escalate_late(now=f.at(2026, 11, 24, 14, 30)) == 1
    incident.refresh_from_db()
    assert incident.escalation_count == 4
    assert incident.logs.filter(kind="escalate").count() == 4
    # Advancing resets the count for the new stage.
    incident = actions.do_advance_incident(incident, to_stage="analysing", acting_user=analyst)
    assert incident.escalation_count == 0


def test_escalate_job_runs(world, analyst):
    from opinion.jobs_incidents import escalate_incidents

    incident = open_incident(world, analyst)
    Incident.objects.filter(pk=incident.pk).update(stage_due_at=timezone.now() - datetime.timedelta(days=3))
    result = escalate_incidents.call()
    assert result["escalated"] == 1
    assert AuditEntry.objects.filter(object_type="opinion.incident", actor__username="system").exists()


def test_agenda(world, analyst):
    from risks.meetings.agenda import AgendaEntry

    incident = open_incident(world, analyst)

    class Meeting:
        unit = world.root

    entries = rules.agenda_incidents(Meeting, world.first, timezone.localdate())
    assert entries == [AgendaEntry(f"incident:{incident.pk}", "舆情事件：窗口服务投诉", "宣传科，红色，当前环节：受理")]
    assert rules.agenda_incidents(Meeting, world.staff_b, timezone.localdate()) == []


# --- pages ------------------------------------------------------------------------------------------


def test_pages_walk_the_loop(world, analyst, login, client):
    f.alert_rule(world.unit_a, level="red", recipients=[analyst])
    alert = alerting.evaluate_item_alerts([f.item("网传窗口乱收费", sentiment="neg", ev=f.event())])[0]
    c = login(analyst)
    assert c.get("/opinion/alerts/").status_code == 200
    page = c.get(f"/opinion/alerts/{alert.pk}/")
    assert "受理为处置事项" in page.content.decode()
    response = c.post(f"/opinion/alerts/{alert.pk}/incident/", {"title": "网传窗口乱收费", "level": "red",
                                                                "unit": world.unit_a.pk, "owner": "",
                                                                "description": "x"})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/opinion/incidents/{incident.pk}/"
    url = f"/opinion/incidents/{incident.pk}/"
    assert c.post(url + "advance/", {"to_stage": "analysing", "version": 1}).status_code == 302
    bad = c.post(url + "advance/", {"to_stage": "handling", "version": 2, "analysis": "", "level": "red"})
    assert bad.status_code == 400 and "研判意见" in bad.content.decode()
    stale = c.post(url + "advance/", {"to_stage": "handling", "version": 1, "analysis": "属实", "level": "red"})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert c.post(url + "advance/", {"to_stage": "handling", "version": 2, "analysis": "属实",
                                     "level": "red"}).status_code == 302
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert c.post(url + "task/", {"title": "核查收费", "unit": world.unit_b.pk, "due": due}).status_code == 302
    assert c.post(url + "statement/", {"text": "已核查，正在整改"}).status_code == 302
    detail = c.get(url).content.decode()
    assert "核查收费" in detail and "已核查，正在整改" in detail and 'data-state="current">处置' in detail


def test_other_unit_can_neither_see_nor_change(world, analyst, login, client):
    incident = open_incident(world, analyst)
    other = f.analyst(world, world.unit_b, "analyst_b")
    c = login(other)
    assert c.get(f"/opinion/incidents/{incident.pk}/").status_code == 404
    assert c.post(f"/opinion/incidents/{incident.pk}/advance/", {"to_stage": "analysing", "version": 1}).status_code == 404
    assert "窗口服务投诉" not in c.get("/opinion/incidents/").content.decode()
    incident.refresh_from_db()
    assert incident.stage == "accepted"


def test_viewer_without_manage_gets_403(world, analyst, login, client):
    incident = open_incident(world, analyst)
    c = login(world.leader_a)  # sees the unit (opinion.view) but cannot handle
    assert c.get(f"/opinion/incidents/{incident.pk}/").status_code == 200
    assert c.post(f"/opinion/incidents/{incident.pk}/advance/", {"to_stage": "analysing", "version": 1}).status_code == 403
    assert AuditEntry.objects.filter(action="denied", actor=world.leader_a).exists()
    assert login(world.staff_b, client.__class__()).get("/opinion/incidents/").status_code == 403


@pytest.mark.usefixtures("no_reuse")
def test_list_query_count_does_not_grow(world, analyst, login, client):
    c = login(analyst)
    for i in range(3):
        open_incident(world, analyst, title=f"事项{i}", event=f.event(f"事件{i}"), owner=world.staff_a.person)
    c.get("/opinion/incidents/")
    with CaptureQueriesContext(connection) as few:
        assert c.get("/opinion/incidents/").status_code == 200
    for i in range(12):
        open_incident(world, analyst, title=f"更多{i}", event=f.event(f"更多事件{i}"), owner=world.staff_a.person)
    with CaptureQueriesContext(connection) as many:
        response = c.get("/opinion/incidents/?stage=open&level=red")
    assert response.status_code == 200 and response.content.decode().count("data-incident=") == 15
    assert len(many) == len(few)


def test_list_filters(world, analyst, login, client):
    a = open_incident(world, analyst, title="红色事项")
    open_incident(world, analyst, title="蓝色事项", level="blue")
    Incident.objects.filter(pk=a.pk).update(stage_due_at=timezone.now() - datetime.timedelta(hours=1))
    c = login(analyst)
    body = c.get("/opinion/incidents/?late=1").content.decode()
    assert "红色事项" in body and "蓝色事项" not in body
    body = c.get("/opinion/incidents/?level=blue&q=蓝色").content.decode()
    assert "蓝色事项" in body and "红色事项" not in body


def test_xlsx_export_reads_back(world, analyst, login, client):
    incident = advance_to_closed(open_incident(world, analyst), analyst)
    actions.do_add_statement(open_incident(world, analyst, title="第二件"), text="口径一", acting_user=analyst)
    response = login(analyst).get("/opinion/incidents/export/")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if r and r[0] == "序号")
    data = rows[rows.index(header) + 1:]
    by_title = {r[1]: dict(zip(header, r, strict=False)) for r in data if r[1]}
    assert by_title[incident.title]["环节"] == "已办结" and by_title[incident.title]["级别"] == "橙色"
    assert by_title[incident.title]["反馈结果"] == "当事人表示满意，舆情平息"
    assert by_title["第二件"]["回应口径"] == "口径一"
    assert AuditEntry.objects.filter(action="export", object_type="opinion.incident").exists()


def test_alert_pages_scoped(world, analyst, login, client):
    f.alert_rule(world.unit_a)
    alert = alerting.evaluate_item_alerts([f.item("负面", sentiment="neg")], now=f.at(2026, 11, 24, 10))[0]
    head = login(world.head_a)
    assert "负面" in head.get("/opinion/alerts/").content.decode()  # a recipient without opinion.view
    assert head.get(f"/opinion/alerts/{alert.pk}/").status_code == 200
    other = f.analyst(world, world.unit_b, "analyst_b")
    c = login(other, client.__class__())
    assert c.get(f"/opinion/alerts/{alert.pk}/").status_code == 404
    assert c.post(f"/opinion/alerts/{alert.pk}/ack/").status_code == 404
    assert Alert.objects.get().status == "new"


def test_demo_incidents(world):
    from opinion.demo_incidents import load_demo_incidents

    ev = f.event("演示事件", heat=75)
    for n in range(3):
        f.item(f"演示负面{n}", sentiment="neg", ev=ev)
    result = load_demo_incidents()
    assert result["rules"] == 3 and result["alerts"] >= 1 and result["incidents"] >= 1
    incident = Incident.objects.order_by("pk").first()
    assert incident.stage == "handling" and incident.statements.exists()
    again = load_demo_incidents()
    assert again["incidents"] == 0 and again["alerts"] == result["alerts"]


def test_manual_alert_page(world, analyst, login, client):
    ev = f.event("需要关注的事件")
    c = login(analyst)
    assert c.get(f"/opinion/alerts/raise/?event={ev.pk}").status_code == 200
    bad = c.post("/opinion/alerts/raise/", {"event": ev.pk, "level": "red", "reason": ""})
    assert bad.status_code == 400
    response = c.post("/opinion/alerts/raise/", {"event": ev.pk, "level": "red", "reason": "市领导批示关注",
                                                 "recipients": [world.head_a.person.pk]})
    alert = Alert.objects.get()
    assert response.status_code == 302 and alert.mode == "manual" and alert.level == "red"
    assert Notification.objects.filter(recipient=world.head_a, category="opinion_alert").exists()
    # People outside the analyst's scope are not a valid choice.
    assert c.post("/opinion/alerts/raise/", {"event": ev.pk, "level": "red", "reason": "x",
                                             "recipients": [world.head_b.person.pk]}).status_code == 400
    assert login(world.leader_a, client.__class__()).get("/opinion/alerts/raise/").status_code == 403


def test_settings_page_changes_deadlines(world, analyst, login, client):
    from opinion.models import OpinionSettings

    c = login(analyst)
    page = c.get("/opinion/incidents/settings/")
    assert page.status_code == 200 and "09:00-12:00,13:30-17:30" in page.content.decode()
    data = {"working_hours": "08:30-12:00，14:00-18:00", "quiet_start": "23:00", "quiet_end": "06:30", "version": 1}
    for level in ("red", "orange", "yellow", "blue"):
        for stage in ("accepted", "analysing", "handling", "feedback"):
            data[f"{level}_{stage}"] = 2
    bad = c.post("/opinion/incidents/settings/", {**data, "working_hours": "12:00-09:00"})
    assert bad.status_code == 400 and "结束时间须晚于开始时间" in bad.content.decode()
    assert c.post("/opinion/incidents/settings/", data).status_code == 302
    settings = OpinionSettings.current()
    assert settings.working_hours == [["08:30", "12:00"], ["14:00", "18:00"]]
    assert settings.stage_hours("red", "accepted") == 2 and settings.quiet_end == datetime.time(6, 30)
    incident = open_incident(world, analyst)
    assert incident.stage_due_at == add_working_hours(incident.stage_started_at, 2, settings)
    assert login(world.leader_a, client.__class__()).post("/opinion/incidents/settings/", data).status_code == 403
