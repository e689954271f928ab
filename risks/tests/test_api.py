"""The risks API (/api/risks): scoping (404), 403 logged, 409 refusals and stale versions, 422 schema."""

from __future__ import annotations

import json

import pytest

from core.models import AuditAction, AuditEntry
from core.tokens import do_create_token
from ledger import actions as ledger_actions
from org.models import Person
from risks.choices import RiskStatus
from risks.models import Risk, RiskStep
from risks.tests.conftest import PDF, evidence, make_risk, workday

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client, user):
        _, key = do_create_token(user, "测试", acting_user=user)
        self.client, self.headers = client, {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, path, **params):
        return self.client.get(f"/api/risks{path}", params, **self.headers)

    def send(self, method, path, body=None):
        return getattr(self.client, method)(f"/api/risks{path}", json.dumps(body or {}),
                                            content_type="application/json", **self.headers)

    def post(self, path, body=None):
        return self.send("post", path, body)

    def upload(self, path, content=PDF, name="佐证.pdf"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.client.post(f"/api/risks{path}", {"file": SimpleUploadedFile(name, content)}, **self.headers)


@pytest.fixture
def api(client):
    return lambda user: Api(client, user)


def body(world, domains, **extra):
    return {"unit_id": world.unit_a.pk, "title": "讲座论坛未报备", "description": "未履行一会一报",
            "domain_id": domains[0].pk, "likelihood": 4, "impact": 4, "deadline": workday().isoformat(),
            "source": "inspection", **extra}


def test_scoping_reads_and_writes(world, domains, api):
    risk = make_risk(world, domains)
    other = api(world.staff_b)
    assert other.get(f"/risks/{risk.pk}").status_code == 404
    assert other.get("/risks").json()["count"] == 0
    assert other.send("patch", f"/risks/{risk.pk}", {"version": 1, "measures": "x"}).status_code == 404
    assert other.post(f"/risks/{risk.pk}/verify").status_code == 404
    assert other.post("/risks", body(world, domains)).status_code == 404  # unit out of scope
    mine = api(world.staff_a)
    assert mine.get("/risks", level="major").json()["count"] == 1
    r = mine.send("patch", f"/risks/{risk.pk}", {"version": risk.version, "measures": "x"})
    assert r.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, object_id=str(risk.pk)).exists()


def test_create_refusals(world, domains, api):
    a = api(world.head_a)
    assert a.post("/risks", body(world, domains, likelihood=6)).status_code == 422
    assert a.post("/risks", body(world, domains, likelihood=True)).status_code == 422
    assert a.get("/risks", level="urgent").status_code == 422
    r = a.post("/risks", body(world, domains, deadline="2020-01-06"))
    assert r.status_code == 409 and "早于今天" in json.dumps(r.json(), ensure_ascii=False)
    r = a.post("/risks", body(world, domains))
    assert r.status_code == 201 and r.json()["level"] == "major" and r.json()["level_label"] == "重大"


def test_loop_over_the_api_with_stale_version(world, domains, api):
    owner = Person.objects.get(user=world.staff_a)
    risk = make_risk(world, domains, owner=owner)
    leader = api(world.leader_a)
    r = leader.post(f"/risks/{risk.pk}/flag", {"leader_id": world.leader_a.pk, "group_name": "专班",
                                               "group_ids": [owner.pk], "cadence": "biweekly", "order": "限期整改"})
    assert r.status_code == 201 and r.json()["is_flagged"] and r.json()["flag"]["supervision_id"]
    head = api(world.head_a)
    version = r.json()["version"]
    r = head.post(f"/risks/{risk.pk}/steps", {"title": "整改", "due_date": workday(3).isoformat(), "version": version})
    assert r.status_code == 201
    stale = head.post(f"/risks/{risk.pk}/steps", {"title": "再整改", "due_date": workday(3).isoformat(),
                                                  "version": version})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert stale.json()["current_version"] == r.json()["version"]
    for step in RiskStep.objects.filter(risk=risk):
        ledger_actions.report_progress(step.task, text="完成", files=[evidence(world.staff_a, world.unit_a)],
                                       request_completion=True, acting_user=world.staff_a)
        ledger_actions.confirm_completion(step.task, acting_user=world.head_a)
    staff = api(world.staff_a)
    r = staff.post(f"/risks/{risk.pk}/request-close", {"text": "完成"})
    assert r.status_code == 409 and "佐证材料" in json.dumps(r.json(), ensure_ascii=False)
    bad = staff.upload(f"/risks/{risk.pk}/evidence", content=b"not a pdf")
    assert bad.status_code == 400
    file_id = staff.upload(f"/risks/{risk.pk}/evidence").json()["id"]
    assert staff.post(f"/risks/{risk.pk}/request-close", {"text": "完成", "file_ids": [file_id]}).status_code == 200
    assert staff.post(f"/risks/{risk.pk}/verify").status_code == 403  # the owner
    r = leader.post(f"/risks/{risk.pk}/verify", {"comment": "到位"})
    assert r.status_code == 200 and r.json()["status"] == RiskStatus.CLOSED
    r = leader.post(f"/risks/{risk.pk}/follow-up", {"passed": False, "text": "反弹", "task_title": "重新整改",
                                                    "task_due": workday(4).isoformat()})
    assert r.status_code == 200 and r.json()["status"] == "rectifying" and r.json()["reopen_count"] == 1


def test_heatmap_matrix_and_campaign(world, domains, api):
    make_risk(world, domains)
    r = api(world.leader_a).get("/heatmap").json()
    assert r["total"] == 1 and api(world.staff_b).get("/heatmap").json()["total"] == 0
    assert len(api(world.staff_b).get("/trend").json()) == 8
    matrix = api(world.admin).get("/matrix").json()
    assert api(world.head_a).send("put", "/matrix", matrix).status_code == 403
    bad = {"matrix": [["major"] * 5] + [["low"] * 5] * 4}
    assert api(world.admin).send("put", "/matrix", bad).status_code == 409
    assert api(world.admin).send("put", "/matrix", {"matrix": [["x"] * 5] * 5}).status_code == 422
    import datetime

    r = api(world.admin).post("/campaigns", {"kind": "special", "title": "专项排查",
                                             "start_date": datetime.date.today().isoformat(),
                                             "due_date": workday(3).isoformat(),
                                             "unit_ids": [world.unit_a.pk, world.unit_b.pk]})
    assert r.status_code == 201 and r.json()["counts"]["pending"] == 2
    check_id = next(c["id"] for c in r.json()["checks"] if c["unit_id"] == world.unit_a.pk)
    assert api(world.staff_b).get(f"/checks/{check_id}").status_code == 404
    check = api(world.staff_a).get(f"/checks/{check_id}").json()
    answers = [{"id": a["id"], "result": "ok"} for a in check["answers"]]
    answers[0] = {"id": answers[0]["id"], "result": "risk", "note": "问题", "likelihood": 2, "impact": 2}
    r = api(world.staff_a).send("put", f"/checks/{check_id}", {"answers": answers, "submit": True,
                                                               "version": check["version"]})
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert Risk.objects.filter(unit=world.unit_a, source="screening").count() == 1
