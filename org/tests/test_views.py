"""The org pages: tree, units, people, roles (htmx), aliases, the 工作台 panel and API tokens."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from core.models import ApiToken, AuditAction, AuditEntry, User
from core.roles import Role
from org.models import Person, RoleAssignment, Unit, UnitAlias

pytestmark = pytest.mark.django_db


def person_of(user):
    return Person.objects.get(user=user)


# --- unit tree and detail ---------------------------------------------------------------------------


def test_admin_sees_whole_tree_indented_with_counts(world, login):
    body = login(world.admin).get("/org/").content.decode()
    rows = re.findall(r'data-unit="(\d+)"', body)
    # tree order: each unit right after its parent, siblings in creation order
    expected = [world.root, world.party, world.office, world.unit_a, world.unit_a_child, world.unit_b]
    assert rows == [str(u.pk) for u in expected]
    assert 'padding-left: 48px' in body  # 网络组, two levels down
    assert 'data-people-count>2<' in body  # 宣传科: head and staff


def test_staff_tree_shows_only_own_unit(world, login):
    body = login(world.staff_a).get("/org/").content.decode()
    assert "宣传科" in body and "信息科" not in body and "网络组" not in body


def test_tree_filter_and_htmx_partial(world, login):
    client = login(world.admin)
    response = client.get("/org/", {"q": "信息"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and '<div id="unit-tree">' in body and "<html" not in body
    assert "信息科" in body and "宣传科" not in body
    kinds = client.get("/org/", {"kind": "section"}).content.decode()
    assert "宣传科" in kinds and "网络组" not in kinds


def test_unit_detail_lists_people_roles_aliases(world, login):
    body = login(world.head_a).get(f"/org/units/{world.unit_a.pk}/").content.decode()
    assert "宣传科员" in body and "宣传科长" in body
    assert "分管领导甲" in body  # holds 直接责任人 for 宣传科
    assert "各科室" in body  # kind-wide alias
    assert "网络组" in body  # child


def test_unit_detail_out_of_scope_is_404(world, login):
    assert login(world.staff_a).get(f"/org/units/{world.unit_b.pk}/").status_code == 404


def test_admin_creates_and_edits_unit(world, login):
    client = login(world.admin)
    response = client.post("/org/units/new/", {"name": "档案室", "kind": "section", "parent": world.office.pk,
                                               "sort_order": 0, "code": "DA"})
    unit = Unit.objects.get(code="DA")
    assert response.status_code == 302 and unit.parent == world.office and unit.path.startswith(world.office.path)
    response = client.post(f"/org/units/{unit.pk}/edit/", {"name": "档案科", "kind": "section",
                                                           "parent": world.unit_b.pk, "sort_order": 1, "code": "DA"})
    unit.refresh_from_db()
    assert response.status_code == 302 and unit.name == "档案科" and unit.path.startswith(world.unit_b.path)
    assert AuditEntry.objects.filter(object_type="org.unit", object_id=str(unit.pk), action=AuditAction.UPDATE).exists()


def test_unit_cannot_move_under_its_own_subtree(world, login):
    client = login(world.admin)
    data = {"name": "宣传科", "kind": "section", "parent": world.unit_a_child.pk, "sort_order": 0, "code": "T3"}
    response = client.post(f"/org/units/{world.unit_a.pk}/edit/", data)
    assert response.status_code == 200 and "有效的选项" in response.content.decode()
    world.unit_a.refresh_from_db()
    assert world.unit_a.parent == world.root


def test_duplicate_unit_name_under_parent_is_refused_in_chinese(world, login):
    response = login(world.admin).post("/org/units/new/", {"name": "宣传科", "kind": "section",
                                                          "parent": world.root.pk, "sort_order": 0})
    assert "已有名为“宣传科”的单位" in response.content.decode()


def test_deactivate_unit_with_people_is_refused(world, login):
    client = login(world.admin)
    client.post(f"/org/units/{world.unit_b.pk}/toggle-active/")
    world.unit_b.refresh_from_db()
    assert world.unit_b.is_active
    empty = Unit.objects.create(name="临时组", parent=world.root)
    client.post(f"/org/units/{empty.pk}/toggle-active/")
    empty.refresh_from_db()
    assert not empty.is_active


def test_non_admin_cannot_create_or_edit_units(world, login):
    client = login(world.first)
    assert client.get("/org/units/new/").status_code == 403
    assert client.post(f"/org/units/{world.unit_b.pk}/edit/", {"name": "x", "kind": "section"}).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.first).exists()


# --- people -----------------------------------------------------------------------------------------


def test_people_list_filters(world, login):
    client = login(world.admin)
    by_unit = client.get("/org/people/", {"unit": world.unit_a.pk}).content.decode()
    assert "宣传科员" in by_unit and "网络组员" in by_unit and "信息科员" not in by_unit  # subtree
    by_role = client.get("/org/people/", {"role": Role.UNIT_HEAD}).content.decode()
    assert "宣传科长" in by_role and "信息科长" in by_role and "宣传科员" not in by_role
    by_name = client.get("/org/people/", {"q": "网络"}).content.decode()
    assert "网络组员" in by_name and "宣传科员" not in by_name
    Person.objects.filter(user=world.staff_b).update(is_active=False)
    assert "信息科员" not in client.get("/org/people/").content.decode()
    assert "信息科员" in client.get("/org/people/", {"active": "0"}).content.decode()
    partial = client.get("/org/people/", {"q": "网络"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<div id="people-results">' in partial and "<html" not in partial


def test_people_list_is_scoped_and_forged_unit_filter_is_ignored(world, login):
    client = login(world.staff_a)
    body = client.get("/org/people/").content.decode()
    assert "宣传科员" in body and "信息科员" not in body
    forged = client.get("/org/people/", {"unit": world.unit_b.pk}).content.decode()
    assert "信息科员" not in forged and "有效的选项" in forged


def test_people_list_paginates(world, login):
    Person.objects.bulk_create([Person(name=f"批量{i:03d}", unit=world.unit_b) for i in range(45)])
    client = login(world.admin)
    first = client.get("/org/people/").content.decode()
    assert 'data-total>' in first and "下一页" in first
    third = client.get("/org/people/", {"page": 3}).content.decode()
    assert "第 3 / 3 页" in third


def test_unit_head_creates_person_in_own_unit(world, login):
    client = login(world.head_a)
    response = client.post("/org/people/new/", {"name": "新科员", "unit": world.unit_a_child.pk, "sort_order": 0})
    assert response.status_code == 302
    person = Person.objects.get(name="新科员")
    assert person.unit == world.unit_a_child and person.user is None


def test_forged_unit_in_person_form_is_an_invalid_choice(world, login):
    client = login(world.head_a)
    response = client.post("/org/people/new/", {"name": "越权", "unit": world.unit_b.pk, "sort_order": 0})
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Person.objects.filter(name="越权").exists()
    denied = AuditEntry.objects.get(action=AuditAction.DENIED, actor=world.head_a)
    assert denied.changes["fields"] == {"unit": str(world.unit_b.pk)}
    # the same through the edit form of a person the head may change
    target = person_of(world.staff_a)
    response = client.post(f"/org/people/{target.pk}/edit/", {"name": "宣传科员", "unit": world.unit_b.pk,
                                                               "sort_order": 0, "is_active": "on"})
    assert "选择一个有效的选项" in response.content.decode()
    assert Person.objects.get(pk=target.pk).unit == world.unit_a


def test_admin_creates_person_with_account_and_sees_password_once(world, login, client):
    admin = login(world.admin)
    response = admin.post("/org/people/new/", {"name": "新同志", "unit": world.unit_b.pk, "sort_order": 0,
                                              "username": "xintongzhi", "email": "x@example.gov.cn"})
    body = response.content.decode()
    assert response.status_code == 200 and "临时密码" in body and "只显示这一次" in body
    user = User.objects.get(username="xintongzhi")
    assert user.must_change_password and user.person.unit == world.unit_b
    password = body.split('<code>')[1].split('</code>')[0]
    assert user.check_password(password)
    person_page = admin.get(f"/org/people/{user.person.pk}/").content.decode()
    assert password not in person_page


def test_unit_head_cannot_open_accounts(world, login):
    client = login(world.head_a)
    client.post("/org/people/new/", {"name": "某", "unit": world.unit_a.pk, "sort_order": 0, "username": "mou"})
    assert not User.objects.filter(username="mou").exists()  # the field is not offered; the value is ignored


def test_person_edit_in_scope_and_staff_refused(world, login):
    target = person_of(world.staff_a)
    head = login(world.head_a)
    response = head.post(f"/org/people/{target.pk}/edit/", {"name": "宣传科员", "unit": world.unit_a.pk,
                                                             "title": "干事", "sort_order": 0, "is_active": "on"})
    assert response.status_code == 302
    assert Person.objects.get(pk=target.pk).title == "干事"
    staff = login(world.staff_a, Client())
    assert staff.get(f"/org/people/{person_of(world.head_a).pk}/edit/").status_code == 403


# --- roles (htmx in place) --------------------------------------------------------------------------


def test_admin_assigns_and_removes_role_in_place(world, login):
    client = login(world.admin)
    target = person_of(world.staff_b)
    response = client.post(f"/org/people/{target.pk}/roles/add/", {"role": Role.LIAISON, "unit": world.unit_b.pk},
                           HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and '<div class="card" id="person-roles">' in body and "<html" not in body
    assert "信息员" in body
    assignment = RoleAssignment.objects.get(person=target, role=Role.LIAISON)
    duplicate = client.post(f"/org/people/{target.pk}/roles/add/", {"role": Role.LIAISON, "unit": world.unit_b.pk},
                            HTTP_HX_REQUEST="true").content.decode()
    assert "已是“信息科”的信息员" in duplicate
    removed = client.post(f"/org/roles/{assignment.pk}/remove/", HTTP_HX_REQUEST="true").content.decode()
    assert "暂无角色" in removed
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_last_sysadmin_role_cannot_be_removed(world, login):
    client = login(world.admin)
    assignment = RoleAssignment.objects.get(role=Role.SYSADMIN)
    client.post(f"/org/roles/{assignment.pk}/remove/")
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_non_admin_cannot_assign_roles(world, login):
    client = login(world.head_a)
    target = person_of(world.staff_a)
    response = client.post(f"/org/people/{target.pk}/roles/add/", {"role": Role.UNIT_HEAD, "unit": world.unit_a.pk})
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(person=target).exists()


# --- aliases ----------------------------------------------------------------------------------------


def test_aliases_page_create_and_delete(world, login):
    client = login(world.admin)
    assert "党组" in client.get("/org/aliases/").content.decode()
    client.post("/org/aliases/", {"name": "部党委", "unit": world.party.pk})
    alias = UnitAlias.objects.get(name="部党委")
    assert alias.unit == world.party
    both = client.post("/org/aliases/", {"name": "乱写", "unit": world.party.pk, "unit_kind": "section"})
    assert "选择且只选择一项" in both.content.decode()
    response = client.post(f"/org/aliases/{alias.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert not UnitAlias.objects.filter(pk=alias.pk).exists()


def test_aliases_are_scoped_and_read_only_for_staff(world, login):
    UnitAlias.objects.create(name="信息部门", unit=world.unit_b)
    client = login(world.staff_a)
    body = client.get("/org/aliases/").content.decode()
    assert "各科室" in body and "信息部门" not in body
    assert client.post("/org/aliases/", {"name": "x", "unit_kind": "section"}).status_code == 403


# --- 工作台 panel ------------------------------------------------------------------------------------


def test_home_panel_shows_my_unit(world, login):
    body = login(world.staff_a).get("/").content.decode()
    assert 'data-panel="我的单位"' in body
    assert "宣传科" in body and "宣传科长" in body


# --- API tokens -------------------------------------------------------------------------------------


def test_token_created_shown_once_and_revoked(world, login):
    client = login(world.staff_a)
    response = client.post("/accounts/tokens/", {"name": "脚本", "expires_days": 30})
    body = response.content.decode()
    key = body.split('id="new-token-key">')[1].split("<")[0]
    assert key.startswith("ys_")
    token = ApiToken.objects.get(user=world.staff_a)
    assert token.expires_at is not None
    listing = client.get("/accounts/tokens/").content.decode()
    assert key not in listing and token.prefix in listing
    api = Client()  # no session: the token alone
    assert api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "已吊销" in response.content.decode()
    assert api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_cannot_revoke_someone_elses_token(world, login):
    from core.tokens import do_create_token

    token, _ = do_create_token(world.staff_b, "别人的", acting_user=world.staff_b)
    client = login(world.staff_a)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert "别人的" not in client.get("/accounts/tokens/").content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
