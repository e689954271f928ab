"""The org endpoints of the API: auth, scoping, forged ids, writes through the actions, import."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from core.models import AuditAction, AuditEntry, User
from core.roles import Role
from core.tokens import do_create_token, do_revoke_token
from org.importers import COLUMNS
from org.models import Person, RoleAssignment, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    """api(user) → a client whose every request carries that user's token (and no session)."""

    def _api(user):
        _, key = do_create_token(user, "测试", acting_user=user)
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    return _api


def person_of(user):
    return Person.objects.get(user=user)


# --- authentication ---------------------------------------------------------------------------------


def test_without_token_is_401_json(world, client):
    response = client.get("/api/org/units")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "令牌" in response.json()["detail"]


def test_bad_revoked_and_expired_tokens_are_401(world):
    assert Client(HTTP_AUTHORIZATION="Bearer ys_nonsense").get("/api/org/units").status_code == 401
    token, key = do_create_token(world.staff_a, "x", acting_user=world.staff_a)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/org/units").status_code == 200
    do_revoke_token(token, acting_user=world.staff_a)
    assert client.get("/api/org/units").status_code == 401
    _, old = do_create_token(world.staff_a, "old", acting_user=world.staff_a,
                             expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {old}").get("/api/org/units").status_code == 401


def test_session_works_for_reads(world, login):
    assert login(world.staff_a).get("/api/org/people").status_code == 200


def test_openapi_spec_and_docs(world, client, login):
    spec = client.get("/api/openapi.json").json()
    assert "/api/org/people/{id}" in spec["paths"]
    assert login(world.staff_a).get("/api/docs").status_code == 200


# --- reading is scoped ------------------------------------------------------------------------------


def test_units_are_scoped(world, api):
    names = {u["name"] for u in api(world.staff_a).get("/api/org/units").json()["items"]}
    assert names == {"宣传科"}
    lead = {u["name"] for u in api(world.head_a).get("/api/org/units").json()["items"]}
    assert lead == {"宣传科", "网络组"}
    everything = api(world.admin).get("/api/org/units").json()
    assert everything["count"] == Unit.objects.count()


def test_people_are_scoped_and_filtered(world, api):
    client = api(world.head_a)
    names = {p["name"] for p in client.get("/api/org/people").json()["items"]}
    assert names == {"宣传科长", "宣传科员", "网络组员"}
    child = client.get("/api/org/people", {"unit_id": world.unit_a_child.pk}).json()
    assert [p["name"] for p in child["items"]] == ["网络组员"]
    heads = client.get("/api/org/people", {"role": Role.UNIT_HEAD}).json()
    assert [p["name"] for p in heads["items"]] == ["宣传科长"]
    assert heads["items"][0]["roles"][0]["role_label"] == "科室负责人"
    outside = client.get("/api/org/people", {"unit_id": world.unit_b.pk}).json()
    assert outside["count"] == 0


def test_pagination(world, api):
    Person.objects.bulk_create([Person(name=f"批量{i:03d}", unit=world.unit_b) for i in range(30)])
    client = api(world.admin)
    first = client.get("/api/org/people", {"limit": 10}).json()
    second = client.get("/api/org/people", {"limit": 10, "offset": 10}).json()
    assert first["count"] == second["count"] == Person.objects.count()
    assert len(first["items"]) == 10
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}
    assert client.get("/api/org/people", {"limit": 1000}).status_code == 422


def test_user_of_one_unit_cannot_read_another_units_records(world, api):
    client = api(world.staff_a)
    other = person_of(world.staff_b)
    assert client.get(f"/api/org/people/{other.pk}").status_code == 404
    assert client.get(f"/api/org/units/{world.unit_b.pk}").status_code == 404
    assert client.get(f"/api/org/people/{person_of(world.head_a).pk}").status_code == 200
    assert client.get("/api/org/people/999999999").json() == {"detail": "记录不存在或无权访问"}


# --- writing ----------------------------------------------------------------------------------------


def test_user_of_one_unit_cannot_change_another_units_records(world, api):
    other = person_of(world.staff_b)
    response = api(world.head_a).patch(f"/api/org/people/{other.pk}", {"title": "被改"}, content_type="application/json")
    assert response.status_code == 404
    assert Person.objects.get(pk=other.pk).title == ""


def test_forged_unit_id_is_refused_with_detail_and_logged(world, api):
    client = api(world.head_a)
    response = client.post("/api/org/people", {"name": "越权", "unit_id": world.unit_b.pk},
                           content_type="application/json")
    assert response.status_code == 404
    assert "unit_id" in response.json()["detail"]
    assert not Person.objects.filter(name="越权").exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.head_a, object_id=str(world.unit_b.pk)).exists()
    mine = person_of(world.staff_a)
    moved = client.patch(f"/api/org/people/{mine.pk}", {"unit_id": world.unit_b.pk}, content_type="application/json")
    assert moved.status_code == 404
    assert Person.objects.get(pk=mine.pk).unit == world.unit_a


def test_unit_head_creates_and_updates_people(world, api):
    client = api(world.head_a)
    response = client.post("/api/org/people", {"name": "新人", "unit_id": world.unit_a_child.pk, "title": "科员",
                                               "email": "xr@example.gov.cn"}, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["unit_name"] == "网络组" and data["temporary_password"] is None
    patched = client.patch(f"/api/org/people/{data['id']}", {"title": "副组长", "unit_id": world.unit_a.pk},
                           content_type="application/json")
    assert patched.status_code == 200 and patched.json()["title"] == "副组长" and patched.json()["unit_id"] == world.unit_a.pk
    assert AuditEntry.objects.filter(object_type="org.person", object_id=str(data["id"]), via="api").count() == 2


def test_staff_may_read_but_not_change_own_unit(world, api):
    colleague = person_of(world.head_a)
    response = api(world.staff_a).patch(f"/api/org/people/{colleague.pk}", {"title": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.staff_a).exists()


def test_admin_opens_account_through_api(world, api):
    response = api(world.admin).post("/api/org/people", {"name": "接口新人", "unit_id": world.unit_b.pk,
                                                         "username": "jiekou"}, content_type="application/json")
    assert response.status_code == 201
    password = response.json()["temporary_password"]
    user = User.objects.get(username="jiekou")
    assert user.check_password(password) and user.must_change_password
    duplicate = api(world.admin).post("/api/org/people", {"name": "重名账号", "unit_id": world.unit_b.pk,
                                                          "username": "jiekou"}, content_type="application/json")
    assert duplicate.status_code == 409 and "username" in duplicate.json()["detail"]


def test_invalid_input_is_422(world, api):
    client = api(world.admin)
    assert client.post("/api/org/people", {"name": "", "unit_id": world.unit_b.pk},
                       content_type="application/json").status_code == 422
    assert client.post("/api/org/people", {"name": "甲", "unit_id": world.unit_b.pk, "email": "bad@"},
                       content_type="application/json").status_code == 422
    assert client.post("/api/org/units", {"name": "a\x00b"}, content_type="application/json").status_code == 422


def test_units_admin_only_and_no_cycles(world, api):
    denied = api(world.first).post("/api/org/units", {"name": "新单位"}, content_type="application/json")
    assert denied.status_code == 403
    admin = api(world.admin)
    created = admin.post("/api/org/units", {"name": "新单位", "parent_id": world.root.pk, "kind": "office"},
                         content_type="application/json")
    assert created.status_code == 201 and created.json()["parent_id"] == world.root.pk
    loop = admin.patch(f"/api/org/units/{world.unit_a.pk}", {"parent_id": world.unit_a_child.pk},
                       content_type="application/json")
    assert loop.status_code == 409 and "parent" in loop.json()["detail"]
    dup = admin.post("/api/org/units", {"name": "宣传科", "parent_id": world.root.pk}, content_type="application/json")
    assert dup.status_code == 409
    moved = admin.patch(f"/api/org/units/{world.unit_a_child.pk}", {"parent_id": world.unit_b.pk},
                        content_type="application/json")
    assert moved.status_code == 200
    assert Unit.objects.get(pk=world.unit_a_child.pk).path.startswith(world.unit_b.path)


def test_roles_and_aliases(world, api):
    admin = api(world.admin)
    target = person_of(world.staff_b)
    created = admin.post("/api/org/roles", {"person_id": target.pk, "role": Role.LIAISON, "unit_id": world.unit_b.pk},
                         content_type="application/json")
    assert created.status_code == 201
    listed = api(world.staff_b).get("/api/org/roles", {"person_id": target.pk}).json()
    assert [r["role"] for r in listed["items"]] == [Role.LIAISON]
    assert api(world.staff_a).get("/api/org/roles", {"person_id": target.pk}).json()["count"] == 0
    assert api(world.head_b).delete(f"/api/org/roles/{created.json()['id']}").status_code == 403
    assert admin.delete(f"/api/org/roles/{created.json()['id']}").status_code == 204
    assert not RoleAssignment.objects.filter(person=target, role=Role.LIAISON).exists()
    aliases = {a["name"] for a in api(world.staff_a).get("/api/org/aliases").json()["items"]}
    assert "各科室" in aliases and "党组" not in aliases  # 党组 names a unit staff_a cannot see


# --- import -----------------------------------------------------------------------------------------


def _csv(rows: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile("org.csv", ("\r\n".join([",".join(COLUMNS), *rows]) + "\r\n").encode(), "text/csv")


def test_import_through_api(world, api):
    admin = api(world.admin)
    bad = admin.post("/api/org/import", {"file": _csv(["新科,测试机关,科室,,某人,,,bad-mail,,,,"])})
    assert bad.status_code == 400
    data = bad.json()
    assert data["errors"][0]["row"] == 2 and data["errors"][0]["column"] == "邮箱"
    assert not Unit.objects.filter(name="新科").exists()
    good = admin.post("/api/org/import", {"file": _csv(["新科,测试机关,科室,,某人,,,a@example.gov.cn,,moumou,,"])})
    assert good.status_code == 200, good.content
    assert good.json()["units_created"] == 1 and good.json()["accounts"][0]["username"] == "moumou"


def test_import_api_refuses_non_admin_and_missing_file(world, api):
    assert api(world.head_a).post("/api/org/import", {"file": _csv(["新科,测试机关,,,,,,,,,,"])}).status_code == 403
    assert api(world.admin).post("/api/org/import", {}).status_code == 422


@override_settings(YISHI_UPLOAD_MAX_BYTES=1024)
def test_import_api_oversized_upload(world, api):
    big = SimpleUploadedFile("org.csv", b"x" * 4096, "text/csv")
    response = api(world.admin).post("/api/org/import", {"file": big})
    assert response.status_code == 400 and "文件过大" in response.json()["errors"][0]["message"]
