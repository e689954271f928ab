"""The monitoring API (/api/opinion): items (filters, search, paging), item and event detail, rules
CRUD (scoping 404, 403 logged, syntax errors 400 with position), the rule test, sources."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from core.models import AuditAction, AuditEntry
from core.tokens import do_create_token
from opinion.models import KeywordRule, SourceDayCount
from opinion.tests import test_views_helpers as helpers
from opinion.tests.test_views_helpers import (
    heat,
    make_event,
    make_item,
    make_rule,
    make_source,
    match,
    seed,
)

pytestmark = pytest.mark.django_db

# Fixtures shared with the other monitoring tests.
analyst = helpers.analyst
analyst_b = helpers.analyst_b


class Api:
    def __init__(self, user):
        _, key = do_create_token(user, "测试", acting_user=user)
        self.client, self.headers = Client(), {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, path, **params):
        return self.client.get(f"/api/opinion{path}", params, **self.headers)

    def send(self, method, path, body=None):
        return getattr(self.client, method)(f"/api/opinion{path}", json.dumps(body or {}),
                                            content_type="application/json", **self.headers)


def test_needs_opinion_view(world):
    api = Api(world.staff_a)
    for path in ("/items", "/events", "/rules", "/sources"):
        response = api.get(path)
        assert response.status_code == 403, path
        assert "舆情" in response.json()["detail"]


def test_items_filters_and_paging(world, analyst):
    a, b = make_source("甲"), make_source("乙")
    neg = make_item(a, "负面报道", sentiment="neg", relevant=True)
    make_item(b, "正面报道", sentiment="pos")
    rule = make_rule(world.unit_a, "规则", "报道")
    match(neg, rule, ["报道"])
    seed(30, a)
    api = Api(analyst)
    page = api.get("/items", limit=10, offset=0).json()
    assert page["count"] == 32 and len(page["items"]) == 10
    assert {i["title"] for i in api.get("/items", source_id=b.pk).json()["items"]} == {"正面报道"}
    only = api.get("/items", sentiment="neg", relevant="true", rule_id=rule.pk).json()
    assert [i["id"] for i in only["items"]] == [neg.pk] and only["items"][0]["source_name"] == "甲"
    assert api.get("/items", sentiment="bad").status_code == 422
    assert api.get("/items", date_from="2026-13-01").status_code == 422
    assert api.get("/items", date_from="2026-05-02", date_to="2026-05-01").json()["count"] == 0


def test_item_detail_with_chain_and_scoped_matches(world, analyst):
    source = make_source()
    original = make_item(source, "原文", sentiment="neg", sentiment_label="neu")
    repost = make_item(source, "转载", repost_of=original)
    match(original, make_rule(world.unit_a, "本科室", "原文"), ["原文"])
    match(original, make_rule(world.unit_b, "别的科室", "原文"), ["原文"])
    data = Api(analyst).get(f"/items/{repost.pk}").json()
    assert data["repost_of_id"] == original.pk and [r["id"] for r in data["reposts"]] == [repost.pk]
    data = Api(analyst).get(f"/items/{original.pk}").json()
    assert data["sentiment"] == "neu" and data["model_sentiment"] == "neg"
    assert [m["rule_name"] for m in data["matches"]] == ["本科室"]
    assert Api(analyst).get("/items/999999").status_code == 404


def test_events_and_event_timeline(world, analyst):
    event = make_event("暴雨内涝", heat=50, item_count=2, negative=1, neutral=1)
    a = make_source("央媒")
    make_item(a, "暴雨内涝一", event=event)
    make_item(a, "暴雨内涝二", event=event)
    heat(event, 4)
    make_event("已平息的事", status="quiet", heat=1)
    api = Api(analyst)
    page = api.get("/events", status="active").json()
    assert page["count"] == 1 and page["items"][0]["negative_share"] == 0.5
    data = api.get(f"/events/{event.pk}").json()
    assert len(data["timeline"]) == 4 and data["sources"] == [{"source_id": a.pk, "source_name": "央媒", "items": 2}]
    assert len(data["items"]) == 2


def test_rules_crud_scoped(world, analyst, analyst_b):
    api = Api(analyst)
    created = api.send("post", "/rules", {"unit_id": world.unit_a.pk, "name": "供水", "expression": "停水|断水"})
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    other = make_rule(world.unit_b, "信息科规则", "网络")
    assert [r["name"] for r in api.get("/rules").json()] == ["供水"]
    assert api.get(f"/rules/{other.pk}").status_code == 404
    assert api.send("patch", f"/rules/{other.pk}", {"enabled": False}).status_code == 404
    assert api.send("delete", f"/rules/{other.pk}").status_code == 404
    outside = api.send("post", "/rules", {"unit_id": world.unit_b.pk, "name": "越权", "expression": "停水"})
    assert outside.status_code == 404
    patched = api.send("patch", f"/rules/{rule_id}", {"expression": "(停水|断水)&小区", "scope": "title"})
    assert patched.status_code == 200 and patched.json()["version"] == 2 and patched.json()["scope"] == "title"
    assert api.send("patch", f"/rules/{rule_id}", {"enabled": "no"}).status_code == 422  # StrictBool
    assert api.send("delete", f"/rules/{rule_id}").status_code == 204
    assert not KeywordRule.objects.filter(pk=rule_id).exists()
    assert Api(analyst_b).get(f"/rules/{other.pk}").status_code == 200


def test_rule_syntax_error_is_400_with_position(world, analyst):
    api = Api(analyst)
    response = api.send("post", "/rules", {"unit_id": world.unit_a.pk, "name": "坏规则", "expression": "(停水|断水&小区"})
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "syntax" and data["position"] == 9 and "缺少右括号" in data["message"]
    assert "表达式语法错误" in data["detail"]["expression"][0]
    rule = make_rule(world.unit_a, "好规则", "停水")
    bad = api.send("patch", f"/rules/{rule.pk}", {"expression": "停水 NEAR/0 小区"})
    assert bad.status_code == 400 and bad.json()["position"] == 3
    rule.refresh_from_db()
    assert rule.expression == "停水"


def test_rule_writes_need_manage_and_are_logged(world):
    api = Api(world.first)  # opinion.view only
    rule = make_rule(world.unit_a, "规则", "停水")
    assert api.get(f"/rules/{rule.pk}").status_code == 200
    assert api.send("post", "/rules", {"unit_id": world.unit_a.pk, "name": "x", "expression": "a"}).status_code == 403
    assert api.send("delete", f"/rules/{rule.pk}").status_code == 403
    assert api.send("post", "/rules/test", {"expression": "停水"}).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() == 3


def test_rule_test_endpoint(world, analyst):
    source = make_source("本地网")
    hit = make_item(source, "小区停水", "今晚停水")
    make_item(source, "无关新闻", "天气晴好")
    api = Api(analyst)
    data = api.send("post", "/rules/test", {"expression": "停水&小区"}).json()
    assert data["ok"] and data["error"] is None
    assert data["sample_size"] == 2 and data["matched_count"] == 1
    assert data["matched"][0]["id"] == hit.pk and data["matched"][0]["terms"] == ["停水", "小区"]
    bad = api.send("post", "/rules/test", {"expression": "(停水|断水&小区"})
    assert bad.status_code == 200 and not bad.json()["ok"] and bad.json()["matched"] == []
    assert bad.json()["error"]["position"] == 9 and "缺少右括号" in bad.json()["error"]["message"]


def test_sources(world, analyst):
    from django.utils import timezone

    source = make_source("新华网", last_error="连接超时", last_error_at=timezone.now())
    SourceDayCount.objects.create(source=source, date=timezone.localdate(), new=5)
    data = Api(analyst).get("/sources").json()
    assert data[0]["name"] == "新华网" and data[0]["items_today"] == 5 and data[0]["per_day"][-1] == 5
    assert len(data[0]["per_day"]) == 7 and data[0]["last_error"] == "连接超时"
