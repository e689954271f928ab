"""The incident / alert / alert-rule API: the loop, Chinese 4xx errors, scoping."""

from __future__ import annotations

import json

import pytest

from core.tokens import do_create_token
from opinion import alerting
from opinion.models import AlertRule, Incident
from opinion.tests import b2_factories as f

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client, user):
        _, key = do_create_token(user, "测试", acting_user=user)
        self.client, self.headers = client, {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, path, **params):
        return self.client.get(f"/api/opinion{path}", params, **self.headers)

    def send(self, method, path, body=None):
        return getattr(self.client, method)(f"/api/opinion{path}", json.dumps(body or {}),
                                            content_type="application/json", **self.headers)

    def post(self, path, body=None):
        return self.send("post", path, body)


@pytest.fixture
def api(client):
    return lambda user: Api(client, user)


def test_loop_through_the_api(world, api):
    analyst = f.analyst(world)
    f.alert_rule(world.unit_a, level="orange", recipients=[analyst])
    alert = alerting.evaluate_item_alerts([f.item("负面", sentiment="neg", ev=f.event())], now=f.at(2026, 11, 24, 10))[0]
    a = api(analyst)
    listed = a.get("/alerts").json()
    assert listed["count"] == 1 and listed["items"][0]["level_label"] == "橙色"
    assert a.post(f"/alerts/{alert.pk}/ack").json()["status"] == "acknowledged"
    response = a.post("/incidents", {"alert_id": alert.pk, "unit_id": world.unit_a.pk})
    assert response.status_code == 201, response.content
    incident = response.json()
    assert (incident["stage"], incident["level"], incident["history"][0]["kind"]) == ("accepted", "orange", "open")
    url = f"/incidents/{incident['id']}/advance"
    wrong = a.post(url, {"to_stage": "handling", "version": 1})
    assert wrong.status_code == 409 and "只能转入“研判”" in json.dumps(wrong.json(), ensure_ascii=False)
    assert a.post(url, {"to_stage": "analysing", "version": 1}).status_code == 200
    missing = a.post(url, {"to_stage": "handling", "version": 2})
    assert missing.status_code == 409 and "研判意见" in json.dumps(missing.json(), ensure_ascii=False)
    stale = a.post(url, {"to_stage": "handling", "version": 1, "analysis": "属实"})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict" and stale.json()["current_version"] == 2
    done = a.post(url, {"to_stage": "handling", "version": 2, "analysis": "属实", "level": "red"}).json()
    assert done["stage"] == "handling" and done["level"] == "red"
    page = a.get("/incidents", stage="open").json()
    assert page["count"] == 1 and page["items"][0]["stage_label"] == "处置"
    assert a.post("/incidents", {"unit_id": world.unit_a.pk, "title": "x", "level": "purple"}).status_code == 422


def test_scoping_and_permissions(world, api):
    analyst = f.analyst(world)
    incident = Incident.objects.create(unit=world.unit_a, title="宣传科事项", level="red", stage_started_at=f.at(2026, 11, 24))
    other = api(f.analyst(world, world.unit_b, "analyst_b"))
    assert other.get(f"/incidents/{incident.pk}").status_code == 404
    assert other.post(f"/incidents/{incident.pk}/advance", {"to_stage": "analysing", "version": 1}).status_code == 404
    assert other.get("/incidents").json()["count"] == 0
    assert other.post("/incidents", {"unit_id": world.unit_a.pk, "title": "越权"}).status_code == 404
    viewer = api(world.leader_a)
    assert viewer.get(f"/incidents/{incident.pk}").status_code == 200
    refused = viewer.post(f"/incidents/{incident.pk}/advance", {"to_stage": "analysing", "version": 1})
    assert refused.status_code == 403 and refused.json()["detail"] == "仅受理单位的舆情分析员可办理该事项"
    assert api(world.staff_b).get("/incidents").status_code == 403
    assert api(analyst).get(f"/incidents/{incident.pk}").json()["title"] == "宣传科事项"


def test_alert_rules_crud(world, api):
    analyst = f.analyst(world)
    a = api(analyst)
    kw = f.keyword_rule(world.unit_a)
    body = {"name": "敏感词红色", "unit_id": world.unit_a.pk, "mode": "sensitive", "level": "red",
            "keyword_rule_id": kw.pk, "recipient_ids": [world.head_a.person.pk], "weekdays": [0, 1, 2, 3, 4]}
    created = a.post("/alert-rules", body)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["recipient_ids"] == [world.head_a.person.pk] and rule["version"] == 1
    bad = a.post("/alert-rules", {**body, "name": "无规则", "keyword_rule_id": None})
    assert bad.status_code == 409 and "敏感词" in json.dumps(bad.json(), ensure_ascii=False)
    threshold = a.post("/alert-rules", {**body, "name": "阈值", "mode": "threshold", "keyword_rule_id": None})
    assert threshold.status_code == 409 and "阈值" in json.dumps(threshold.json(), ensure_ascii=False)
    updated = a.send("put", f"/alert-rules/{rule['id']}", {**body, "level": "orange", "version": 1})
    assert updated.status_code == 200 and updated.json()["level"] == "orange"
    assert a.send("put", f"/alert-rules/{rule['id']}", {**body, "version": 1}).status_code == 409
    assert [r["name"] for r in a.get("/alert-rules").json()] == ["敏感词红色"]
    assert api(world.leader_a).get("/alert-rules").status_code == 403
    assert api(f.analyst(world, world.unit_b, "analyst_b")).send("delete", f"/alert-rules/{rule['id']}").status_code == 404
    assert a.send("delete", f"/alert-rules/{rule['id']}").status_code == 204
    assert not AlertRule.objects.exists()


def test_manual_alert(world, api):
    from core.models import Notification

    a = api(f.analyst(world))
    ev = f.event("人工关注")
    created = a.post("/alerts", {"event_id": ev.pk, "level": "orange", "reason": "领导关注",
                                 "recipient_ids": [world.head_a.person.pk]})
    assert created.status_code == 201, created.content
    assert created.json()["mode"] == "manual" and created.json()["notified_at"]
    assert Notification.objects.filter(recipient=world.head_a, category="opinion_alert").count() == 1
    assert a.post("/alerts", {"level": "orange", "reason": "x", "recipient_ids": [world.head_a.person.pk]}).status_code == 409
    no_account = a.post("/alerts", {"event_id": ev.pk, "level": "red", "reason": "x",
                                    "recipient_ids": [world.head_a.person.pk + 1000]})
    assert no_account.status_code == 404
    assert api(world.leader_a).post("/alerts", {"event_id": ev.pk, "level": "red", "reason": "x",
                                                "recipient_ids": [world.head_a.person.pk]}).status_code == 403
