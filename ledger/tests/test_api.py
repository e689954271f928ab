"""The ledger API (/api/ledger): scoping, writes through ledger.actions, optimistic locking (409)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.tokens import do_create_token
from ledger import actions
from ledger.choices import TaskStatus
from ledger.models import Task
from org.models import Person

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Api:
    def __init__(self, client, user):
        _, key = do_create_token(user, "测试", acting_user=user)
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, path, **params):
        return self.client.get(f"/api/ledger{path}", params, **self.headers)

    def post(self, path, body=None):
        return self.client.post(f"/api/ledger{path}", json.dumps(body or {}), content_type="application/json",
                                **self.headers)

    def patch(self, path, body):
        return self.client.patch(f"/api/ledger{path}", json.dumps(body), content_type="application/json",
                                 **self.headers)

    def upload(self, path, file):
        return self.client.post(f"/api/ledger{path}", {"file": file}, **self.headers)


@pytest.fixture
def api(client):
    return lambda user: Api(client, user)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make(world, unit=None, title="任务", due=None, **extra) -> Task:
    return actions.create_task(unit=unit or world.unit_a, title=title,
                               due_date=due or timezone.localdate() + datetime.timedelta(days=30),
                               acting_user=world.admin, **extra)


def test_list_is_scoped_and_filtered(world, api):
    a = make(world, title="宣传科排查", due=timezone.localdate() - datetime.timedelta(days=3))
    child = make(world, unit=world.unit_a_child, title="网络组巡查")
    b = make(world, unit=world.unit_b, title="信息科巡查")
    staff_b = api(world.staff_b)
    body = staff_b.get("/tasks").json()
    assert [t["id"] for t in body["items"]] == [b.pk] and body["count"] == 1

    head = api(world.head_a)
    body = head.get("/tasks").json()
    assert {t["id"] for t in body["items"]} == {a.pk, child.pk}
    first = next(t for t in body["items"] if t["id"] == a.pk)
    assert first["light"] == "red" and first["display_status"] == "overdue" and first["status_label"] == "已逾期"
    assert first["unit_name"] == "宣传科" and first["url"] == f"/ledger/{a.pk}/"
    assert [t["id"] for t in head.get("/tasks", status="overdue").json()["items"]] == [a.pk]
    assert [t["id"] for t in head.get("/tasks", unit_id=world.unit_a_child.pk).json()["items"]] == [child.pk]
    assert head.get("/tasks", unit_id=world.unit_b.pk).json()["count"] == 0  # out of scope: nothing
    assert [t["id"] for t in head.get("/tasks", q="巡查").json()["items"]] == [child.pk]
    assert head.get("/tasks", limit=1).json()["count"] == 2
    assert head.get("/tasks", month="2026-13").status_code == 422
    assert head.get("/tasks", status="lost").status_code == 422


def test_detail_is_404_out_of_scope(world, api):
    task = make(world, title="宣传科的任务", quote="原文")
    assert api(world.staff_b).get(f"/tasks/{task.pk}").status_code == 404
    body = api(world.staff_a).get(f"/tasks/{task.pk}").json()
    assert body["quote"] == "原文" and body["reports"] == [] and body["version"] == task.version


def test_create_is_scoped(world, api):
    due = "2026-09-30"
    head = api(world.head_a)
    response = head.post("/tasks", {"unit_id": world.unit_b.pk, "title": "越权", "due_date": due})
    assert response.status_code == 404
    response = head.post("/tasks", {
        "unit_id": world.unit_a.pk, "title": "手工交办", "due_date": due, "target_count": 3,
        "owner_id": Person.objects.get(user=world.staff_a).pk, "supervising_leader_id": world.leader_a.pk,
        "description": "第一行\n第二行",
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_name"] == "宣传科员" and body["target_count"] == 3 and body["supervising_leader_id"] == world.leader_a.pk
    assert body["description"] == "第一行\n第二行"
    assert Task.objects.get(pk=body["id"]).created_by == world.head_a
    response = head.post("/tasks", {"unit_id": world.unit_a.pk, "title": "x", "due_date": due,
                                    "owner_id": Person.objects.get(user=world.staff_a_child).pk})
    assert response.status_code == 409
    assert head.post("/tasks", {"unit_id": world.unit_a.pk, "title": "  ", "due_date": due}).status_code == 422
    assert head.post("/tasks", {"unit_id": world.unit_a.pk, "title": "x", "due_date": "2026-09-30T00:00"}).status_code == 422
    assert api(world.staff_a).post("/tasks", {"unit_id": world.unit_a.pk, "title": "x", "due_date": due}).status_code == 403


def test_patch_with_a_stale_version_is_409(world, api):
    task = make(world, title="原标题")
    head = api(world.head_a)
    response = head.patch(f"/tasks/{task.pk}", {"version": task.version, "title": "新标题", "owner_id": None})
    assert response.status_code == 200 and response.json()["title"] == "新标题"
    response = api(world.leader_a).patch(f"/tasks/{task.pk}", {"version": task.version, "title": "另一个标题"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and "已被他人修改" in body["detail"]
    assert body["current_version"] == task.version + 1
    assert Task.objects.get(pk=task.pk).title == "新标题"
    assert api(world.staff_a).patch(f"/tasks/{task.pk}", {"version": task.version + 1, "title": "x"}).status_code == 403
    assert api(world.staff_b).patch(f"/tasks/{task.pk}", {"version": 1, "title": "x"}).status_code == 404
    assert head.patch(f"/tasks/{task.pk}", {"title": "无版本"}).status_code == 422


def test_progress_with_evidence_then_confirm_and_return(world, api, media):
    task = make(world, title="专题会议", target_count=2)
    staff = api(world.staff_a)
    response = staff.upload(f"/tasks/{task.pk}/evidence", SimpleUploadedFile("纪要.pdf", PDF))
    assert response.status_code == 201, response.content
    file_id = response.json()["id"]
    bad = staff.upload(f"/tasks/{task.pk}/evidence", SimpleUploadedFile("照片.png", b"not a png"))
    assert bad.status_code == 400 and "文件内容与扩展名不符" in json.dumps(bad.json(), ensure_ascii=False)
    assert api(world.staff_b).upload(f"/tasks/{task.pk}/evidence", SimpleUploadedFile("a.pdf", PDF)).status_code == 404

    response = staff.post(f"/tasks/{task.pk}/progress", {"text": "申请办结", "request_completion": True})
    assert response.status_code == 409 and "佐证材料" in json.dumps(response.json(), ensure_ascii=False)
    response = staff.post(f"/tasks/{task.pk}/progress", {
        "text": "两次会议均已召开", "increment": 2, "request_completion": True, "file_ids": [file_id],
        "version": task.version,
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_review" and body["done_count"] == 2
    assert body["reports"][0]["files"][0]["name"] == "纪要.pdf"
    # Someone else's file cannot be attached.
    other = api(world.head_a).upload(f"/tasks/{task.pk}/evidence", SimpleUploadedFile("b.pdf", PDF)).json()["id"]
    assert staff.post(f"/tasks/{task.pk}/progress", {"text": "x", "file_ids": [other]}).status_code == 404

    assert staff.post(f"/tasks/{task.pk}/confirm").status_code == 403
    head = api(world.head_a)
    assert head.post(f"/tasks/{task.pk}/return", {"comment": ""}).status_code == 409
    response = head.post(f"/tasks/{task.pk}/return", {"comment": "纪要缺少签字"})
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    task.refresh_from_db()
    staff.post(f"/tasks/{task.pk}/progress", {"text": "已补签字", "request_completion": True})
    task.refresh_from_db()
    assert head.post(f"/tasks/{task.pk}/confirm", {"version": task.version - 1}).json()["code"] == "conflict"
    response = head.post(f"/tasks/{task.pk}/confirm", {"version": task.version, "comment": "同意"})
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert response.json()["light"] == "green"


def test_overview(world, api):
    t = timezone.localdate()
    make(world, title="逾期", due=t - datetime.timedelta(days=5))
    done = make(world, unit=world.unit_b, title="完成", due=t - datetime.timedelta(days=1))
    Task.objects.filter(pk=done.pk).update(status=TaskStatus.DONE, completed_at=timezone.now())
    assert api(world.staff_a).get("/overview").status_code == 403
    body = api(world.first).get("/overview").json()
    assert body["totals"]["total"] == 2 and body["totals"]["due"] == 2 and body["totals"]["done"] == 1
    assert body["totals"]["completion_rate"] == 50.0 and body["totals"]["on_time_rate"] == 0.0
    assert {r["label"] for r in body["by_unit"]} == {"宣传科", "信息科"}
    assert [t["title"] for t in body["overdue"]] == ["逾期"]
    leader = api(world.leader_a).get("/overview").json()  # 分管宣传科: only 宣传科 and below
    assert [r["label"] for r in leader["by_unit"]] == ["宣传科"]
