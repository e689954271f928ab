"""The plans API with token auth: scoping, the import (create → read → update → confirm), statuses."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tokens import do_create_token
from ledger.models import Task
from plans import actions
from plans.choices import ImportStatus
from plans.models import Plan, PlanImport

pytestmark = pytest.mark.django_db

DEMO_PLAN = Path(__file__).resolve().parents[1] / "fixtures" / "demo_plan.txt"


@pytest.fixture
def api(client):
    """api(user) → call(method, path, body=None, **kw) with that user's bearer token."""

    def _for(user):
        _, key = do_create_token(user, "test", acting_user=user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

        def call(method, path, body=None, **kwargs):
            fn = getattr(client, method.lower())
            if body is not None and "content_type" not in kwargs and not kwargs.get("multipart"):
                return fn(f"/api{path}", data=json.dumps(body), content_type="application/json", **headers, **kwargs)
            kwargs.pop("multipart", None)
            return fn(f"/api{path}", data=body, **headers, **kwargs)

        return call

    return _for


def _plan(organ):
    draft = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    return actions.confirm_import(draft, acting_user=organ.admin,
                                  from_date=datetime.date(draft.data["year"], 1, 1)).plan


def test_list_and_detail_are_scoped(organ, api):
    plan = _plan(organ)
    admin = api(organ.admin)
    page = admin("get", "/plans").json()
    assert page["count"] == 1 and page["items"][0]["id"] == plan.pk
    assert page["items"][0]["task_count"] == Task.objects.filter(plan=plan).count()
    assert admin("get", f"/plans?year={plan.year + 1}").json()["count"] == 0
    detail = admin("get", f"/plans/{plan.pk}").json()
    assert [s["number"] for s in detail["sections"]] == [1, 2, 3, 4]
    item = detail["sections"][0]["items"][0]
    assert item["task_count"] == Task.objects.filter(item_id=item["id"]).count()
    ob = item["obligations"][0]
    assert ob["frequency"] == "monthly" and ob["assignments"] == [
        {"unit_id": organ.party.pk, "unit_name": "机关党组", "role": "lead"}]
    assert ob["task_count"] == 12
    flagged = [o for s in detail["sections"] for i in s["items"] for o in i["obligations"] if o["unresolved"]]
    assert len(flagged) == detail["flagged_count"] > 0
    staff = api(organ.staff_a)
    assert staff("get", "/plans").json()["count"] == 0
    missing = staff("get", f"/plans/{plan.pk}")
    assert missing.status_code == 404 and missing.json()["detail"] == "记录不存在或无权访问"
    assert admin("get", "/plans/999999").status_code == 404


def test_unauthenticated_is_401(client):
    assert client.get("/api/plans").status_code == 401


def test_import_by_text_then_edit_and_confirm(organ, api):
    admin = api(organ.admin)
    created = admin("post", "/plans/imports", {"text": DEMO_PLAN.read_text(encoding="utf-8")})
    assert created.status_code == 201, created.content
    draft = created.json()
    assert draft["status"] == "open" and draft["version"] == 1 and draft["unit_id"] == organ.root.pk
    assert draft["source_name"] == "粘贴的文本" and draft["data"]["title"] == "市政府机关2026年意识形态工作要点"
    first = draft["data"]["sections"][0]["items"][0]["obligations"][0]
    assert first["assignments"] == [{"unit": organ.party.pk, "role": "lead", "unit_name": "机关党组"}]
    assert first["frequency_label"] == "每月" and "estimated_tasks" in first
    assert draft["summary"]["items"] == 12 and draft["summary"]["flagged"] > 0 and draft["problems"] == []
    assert admin("get", f"/plans/imports/{draft['id']}").json()["version"] == 1

    # PUT the data back, changed (the output's extra keys are ignored on input).
    data = draft["data"]
    data["sections"][0]["items"][0]["title"] = "抓实中心组学习"
    data["sections"][0]["items"][0]["obligations"][0]["assignments"] = [
        {"unit": organ.office.pk, "role": "lead"}, {"unit": organ.party.pk, "role": "assist"}]
    updated = admin("put", f"/plans/imports/{draft['id']}", {"version": 1, "data": data})
    assert updated.status_code == 200, updated.content
    assert updated.json()["version"] == 2
    stale = admin("put", f"/plans/imports/{draft['id']}", {"version": 1, "data": data})
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]

    # Problems: 400 with every message, nothing saved.
    broken = json.loads(json.dumps(data))
    broken["title"] = ""
    broken["sections"][0]["items"][1]["obligations"][0]["assignments"] = [{"unit": 999999, "role": "lead"}]
    bad = admin("put", f"/plans/imports/{draft['id']}", {"version": 2, "data": broken})
    assert bad.status_code == 400
    assert "标题不能为空" in bad.json()["detail"]
    assert "第 2 项第 1 个工作事项：单位不存在或不在您的管理范围内" in bad.json()["detail"]
    assert PlanImport.objects.get(pk=draft["id"]).version == 2

    assert admin("post", f"/plans/imports/{draft['id']}/confirm", {"version": 1}).status_code == 409
    result = admin("post", f"/plans/imports/{draft['id']}/confirm", {"version": 2})
    assert result.status_code == 200, result.content
    counts = result.json()
    plan = Plan.objects.get(pk=counts["plan_id"])
    assert counts["tasks_created"] == Task.objects.filter(plan=plan).count() and counts["duties"] == 1
    assert plan.items.get(number=1).title == "抓实中心组学习"
    assert admin("post", f"/plans/imports/{draft['id']}/confirm", {"version": 2}).status_code == 409
    assert admin("put", f"/plans/imports/{draft['id']}", {"version": 2, "data": data}).status_code == 409


def test_import_by_file_and_revision_diff(organ, api):
    plan = _plan(organ)
    admin = api(organ.admin)
    text = DEMO_PLAN.read_text(encoding="utf-8").replace("12.加强网评员队伍建设。", "12.加强网评员队伍建设管理。")
    upload = SimpleUploadedFile("v2.txt", text.encode("gb18030"), content_type="text/plain")
    created = admin("post", "/plans/imports", {"file": upload, "base_plan_id": plan.pk}, multipart=True)
    assert created.status_code == 201, created.content
    draft = created.json()
    assert draft["source_name"] == "v2.txt" and draft["base_plan_id"] == plan.pk
    assert draft["diff"]["items_renamed"] == [["12. 加强网评员队伍建设", "12. 加强网评员队伍建设管理"]]
    assert draft["diff"]["tasks_updated"] > 0 and draft["diff"]["tasks_deleted"] == 0
    result = admin("post", f"/plans/imports/{draft['id']}/confirm", {"version": 1}).json()
    assert result["plan_id"] == plan.pk and result["revision"] == 2 and result["tasks_updated"] > 0


@pytest.mark.parametrize(("body", "message"), [
    ({"text": "   "}, "内容为空"),
    ({"text": "会议通知\n请各单位于周五参加会议。"}, "没有找到编号条目"),
])
def test_bad_text_is_400(organ, api, body, message):
    response = api(organ.admin)("post", "/plans/imports", body)
    assert response.status_code == 400 and message in response.json()["detail"]
    assert PlanImport.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("二进制.txt", b"\x00\x01\x02" * 50, "不是文本"),
    ("要点.pdf", b"%PDF-1.4", "PDF"),
    ("大.txt", b"1." + b"x" * (5 * 1024 * 1024), "文件过大"),
    ("坏.docx", b"PK\x03\x04garbage", "文件"),
])
def test_bad_file_is_400(organ, api, name, content, message):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = api(organ.admin)("post", "/plans/imports", {"file": upload}, multipart=True)
    assert response.status_code == 400 and message in response.json()["detail"]
    assert PlanImport.objects.count() == 0


def test_malformed_requests(organ, api):
    admin = api(organ.admin)
    assert admin("post", "/plans/imports", {"nothing": 1}).status_code == 422
    assert admin("post", "/plans/imports", {"unit_id": "x"}, multipart=True).status_code == 422
    assert admin("post", "/plans/imports", {}, multipart=True).status_code == 422  # no file
    assert admin("post", "/plans/imports", "text", content_type="text/plain").status_code == 415
    assert admin("post", "/plans/imports", "{not json", content_type="application/json").status_code == 422
    assert admin("post", "/plans/imports", {"text": "1.每月学习一次。\x00"}).status_code == 422


def test_access(organ, api):
    plan = _plan(organ)
    draft = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    staff, first = api(organ.staff_a), api(organ.first)
    refused = staff("post", "/plans/imports", {"text": DEMO_PLAN.read_text(encoding="utf-8")})
    assert refused.status_code == 403 and "仅系统管理员" in refused.json()["detail"]
    assert staff("get", f"/plans/imports/{draft.pk}").status_code == 404  # out of scope
    assert staff("post", f"/plans/imports/{draft.pk}/confirm", {"version": 1}).status_code == 404
    # The first responsible sees the organ's drafts but may not import.
    assert first("get", f"/plans/imports/{draft.pk}").status_code == 403
    assert first("post", f"/plans/imports/{draft.pk}/confirm", {"version": 1}).status_code == 403
    assert first("get", f"/plans/{plan.pk}").status_code == 200
    admin = api(organ.admin)
    outside = admin("post", "/plans/imports", {"text": "1.每月学习一次。", "unit_id": 999999})
    assert outside.status_code == 404 and "unit_id" in outside.json()["detail"]
    assert admin("post", "/plans/imports", {"text": "1.每月学习一次。", "base_plan_id": 999999}).status_code == 404
    assert admin("get", "/plans/imports/999999").status_code == 404
    assert PlanImport.objects.get(pk=draft.pk).status == ImportStatus.OPEN


def test_cancel(organ, api):
    admin = api(organ.admin)
    draft = admin("post", "/plans/imports", {"text": DEMO_PLAN.read_text(encoding="utf-8")}).json()
    assert admin("delete", f"/plans/imports/{draft['id']}").status_code == 204
    assert PlanImport.objects.get(pk=draft["id"]).status == ImportStatus.CANCELLED
    assert admin("delete", f"/plans/imports/{draft['id']}").status_code == 409
    assert Plan.objects.count() == 0
