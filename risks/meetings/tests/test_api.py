"""/api/meetings: scoping (404 / 403), flows, 409 for refused data and stale versions, 422 schema."""

from __future__ import annotations

import datetime

import pytest

from ledger.choices import SourceKind
from ledger.models import Task
from org.models import Person
from risks.meetings.models import AnalysisMeeting

pytestmark = pytest.mark.django_db


def test_meeting_flow_and_refusals(world, api, workday, today):
    head = api(world.head_a)
    r = head.post("/meetings", {"unit_id": world.unit_a.pk, "title": "研判会", "scheduled_on": str(today - datetime.timedelta(days=2))})
    assert r.status_code == 409 and "不能早于今天" in str(r.json()["detail"])
    r = head.post("/meetings", {"unit_id": world.unit_b.pk, "title": "研判会", "scheduled_on": str(workday)})
    assert r.status_code == 404 and "unit_id" in r.json()["detail"]
    r = head.post("/meetings", {"unit_id": world.unit_a.pk, "title": "研判会", "kind": "weekly",
                                "scheduled_on": str(workday)})
    assert r.status_code == 422
    r = head.post("/meetings", {"unit_id": world.unit_a.pk, "title": "研判会", "scheduled_on": str(workday)})
    assert r.status_code == 201, r.content
    meeting = r.json()
    mid, version = meeting["id"], meeting["version"]
    r = head.post(f"/meetings/{mid}/agenda", {"title": "通报形势", "version": version})
    assert r.status_code == 201 and r.json()["agenda"][0]["title"] == "通报形势"
    r = head.send("patch", f"/meetings/{mid}", {"version": version, "title": "过期的修改"})
    assert r.status_code == 409 and r.json()["code"] == "conflict" and r.json()["current_version"] == version + 1
    staff = Person.objects.get(user=world.staff_a)
    r = head.post(f"/meetings/{mid}/record", {"version": version + 1, "held_on": str(today), "minutes": "纪要",
                                              "attendance": [{"person_id": staff.pk, "status": "present"}]})
    assert r.status_code == 200 and r.json()["status"] == "held"
    r = head.post(f"/meetings/{mid}/decisions", {"text": "整改", "unit_id": world.unit_a.pk, "due_date": str(workday)})
    assert r.status_code == 201
    task = Task.objects.get(pk=r.json()["task_id"])
    assert task.source_kind == SourceKind.MEETING
    # Another unit: 404; a viewer without the right: 403.
    assert api(world.staff_b).get(f"/meetings/{mid}").status_code == 404
    r = api(world.staff_a).post(f"/meetings/{mid}/decisions", {"text": "越权", "unit_id": world.unit_a.pk,
                                                               "due_date": str(workday)})
    assert r.status_code == 403
    ids = [m["id"] for m in api(world.staff_b).get("/meetings").json()["items"]]
    assert mid not in ids


def test_series_generation_through_the_api(world, api, today):
    head = api(world.head_a)
    r = head.post("/series", {"unit_id": world.unit_a.pk, "title": "联席会议", "kind": "joint", "cadence": 3})
    assert r.status_code == 201
    r = head.post(f"/series/{r.json()['id']}/generate", {"year": today.year + 1})
    assert r.status_code == 201 and r.json()["count"] == 4
    assert AnalysisMeeting.objects.filter(kind="joint").count() == 4
    assert head.post("/series", {"unit_id": world.unit_a.pk, "title": "x", "cadence": 5}).status_code == 422


def test_plan_drill_and_check(world, api, workday, template):
    head = api(world.head_a)
    body = {"unit_id": world.unit_a.pk, "title": "预案", "level": "V", "trigger": "舆情",
            "steps": [{"title": "报告", "target_minutes": 15}]}
    assert head.post("/plans", body).status_code == 422
    body["level"] = "3"
    r = head.post("/plans", body)
    assert r.status_code == 201 and r.json()["level_label"] == "Ⅲ级（较大）"
    pid = r.json()["id"]
    r = head.post(f"/plans/{pid}/drills", {"scenario": "模拟", "held_at": "2026-03-02T09:30:00+08:00"})
    drill = r.json()
    r = head.post(f"/drills/{drill['id']}/timings", {"version": drill["version"],
                                                     "timings": [{"step_id": drill["steps"][0]["id"], "actual_minutes": 20}]})
    assert r.status_code == 200 and r.json()["steps"][0]["is_late"] is True
    r = head.post(f"/drills/{drill['id']}/findings", {"text": "报告慢", "unit_id": world.unit_a.pk, "due_date": str(workday)})
    assert r.status_code == 201 and Task.objects.get(pk=r.json()["task_id"]).source_kind == SourceKind.DRILL
    assert api(world.staff_b).get(f"/plans/{pid}").status_code == 404

    staff = api(world.staff_a)
    r = staff.post("/checks", {"unit_id": world.unit_a.pk, "template_id": template.pk, "subject_title": "发布稿件",
                               "subject_kind": "publication", "subject_date": str(workday)})
    assert r.status_code == 201
    check = r.json()
    cid = check["id"]
    r = staff.post(f"/checks/{cid}/complete", {"version": check["version"]})
    assert r.status_code == 409 and "尚未作答" in str(r.json()["detail"])
    answers = [{"id": a["id"], "answer": "na"} for a in check["answers"]]
    r = staff.send("put", f"/checks/{cid}/answers", {"version": check["version"], "answers": answers,
                                                      "conclusion": "可以发布"})
    assert r.status_code == 200
    r = staff.post(f"/checks/{cid}/complete", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "completed"
    r = staff.send("put", f"/checks/{cid}/answers", {"version": r.json()["version"], "answers": []})
    assert r.status_code == 409 and "已完成并存档" in str(r.json()["detail"])
    assert api(world.staff_b).get(f"/checks/{cid}").status_code == 404
