"""The rule editor: create/edit/enable/delete through opinion.actions_monitor, syntax errors shown
with their position, the live test run against recent items, unit scoping and permissions."""

from __future__ import annotations

import pytest
from django.test import Client

from core.models import AuditAction, AuditEntry
from opinion import actions_monitor
from opinion.models import KeywordRule
from opinion.tests import test_views_helpers as helpers
from opinion.tests.test_views_helpers import make_item, make_rule, make_source

pytestmark = pytest.mark.django_db

# Fixtures shared with the other monitoring tests.
analyst = helpers.analyst
analyst_b = helpers.analyst_b


def form(**values):
    return {"name": "供水监测", "expression": "(停水|断水)&小区", "scope": "all", "purpose": "relevance",
            "enabled": "on", **values}


def test_create_rule_through_the_editor(world, login, analyst):
    client = login(analyst)
    page = client.get("/opinion/rules/new/")
    assert page.status_code == 200 and 'hx-post="/opinion/rules/check/"' in page.content.decode()
    response = client.post("/opinion/rules/new/", form(unit=world.unit_a.pk))
    assert response.status_code == 302
    rule = KeywordRule.objects.get()
    assert (rule.unit, rule.expression, rule.created_by, rule.version) == (world.unit_a, "(停水|断水)&小区", analyst, 1)
    assert AuditEntry.objects.filter(object_type="opinion.keywordrule", action=AuditAction.CREATE).count() == 1


def test_syntax_error_is_shown_with_its_position(world, login, analyst):
    client = login(analyst)
    response = client.post("/opinion/rules/new/", form(unit=world.unit_a.pk, expression="(停水|断水&小区"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "缺少右括号" in html and "第 10 个字符" in html
    assert 'data-position="9"' in html and 'id="rule-error-caret"' in html
    # The caret sits under the 10th character: full-width padding under the Chinese characters.
    assert "\u3000\u3000" in html and "^" in html
    assert not KeywordRule.objects.exists()


def test_live_check_error_then_fix_then_test_run(world, login, analyst):
    source = make_source()
    hit = make_item(source, "某小区突发停水", "物业通知今晚停水检修。")
    make_item(source, "断水三天无人管", "多个小区居民反映断水。")
    make_item(source, "城市公园新开放", "市民游园热情高涨。")
    client = login(analyst)
    bad = client.post("/opinion/rules/check/", {"expression": "停水&&小区", "scope": "all"}).content.decode()
    assert 'data-check="error"' in bad and 'data-position="2"' in bad and "后面缺少检索词" in bad
    good = client.post("/opinion/rules/check/", {"expression": "(停水|断水)&小区", "scope": "all"}).content.decode()
    assert 'data-check="ok"' in good
    assert "data-sample>3<" in good and "data-matched>2<" in good
    assert f'data-item="{hit.pk}"' in good and "城市公园新开放" not in good
    assert "<span class=\"badge bg-yellow-lt me-1\" data-term>停水</span>" in good
    title_only = client.post("/opinion/rules/check/", {"expression": "停水&小区", "scope": "title"}).content.decode()
    assert "data-matched>1<" in title_only  # only "某小区突发停水" has both words in its title
    empty = client.post("/opinion/rules/check/", {"expression": "  ", "scope": "all"}).content.decode()
    assert 'data-check="empty"' in empty


def test_edit_bumps_version_and_toggle_and_delete(world, login, analyst):
    rule = make_rule(world.unit_a, "旧规则", "停水")
    client = login(analyst)
    page = client.get(f"/opinion/rules/{rule.pk}/edit/").content.decode()
    assert "旧规则" in page and 'data-check="ok"' in page  # the current expression is checked on load
    assert client.post(f"/opinion/rules/{rule.pk}/edit/", form(unit=world.unit_a.pk, name="新规则")).status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.expression, rule.version) == ("新规则", "(停水|断水)&小区", 2)
    assert client.post(f"/opinion/rules/{rule.pk}/toggle/").status_code == 302
    rule.refresh_from_db()
    assert not rule.enabled and rule.version == 3
    assert client.post(f"/opinion/rules/{rule.pk}/delete/").status_code == 302
    assert not KeywordRule.objects.exists()
    assert AuditEntry.objects.filter(object_type="opinion.keywordrule", action=AuditAction.DELETE).exists()


def test_duplicate_name_in_unit_is_a_form_error(world, login, analyst):
    make_rule(world.unit_a, "供水监测", "停水")
    response = login(analyst).post("/opinion/rules/new/", form(unit=world.unit_a.pk))
    assert response.status_code == 400 and "本单位已有同名规则" in response.content.decode()


def test_users_see_only_their_scope(world, login, analyst, analyst_b):
    own = make_rule(world.unit_a, "宣传科规则", "停水")
    other = make_rule(world.unit_b, "信息科规则", "断水")
    client = login(analyst)
    html = client.get("/opinion/rules/").content.decode()
    assert "宣传科规则" in html and "信息科规则" not in html
    assert client.get(f"/opinion/rules/{other.pk}/edit/").status_code == 404
    assert client.post(f"/opinion/rules/{other.pk}/delete/").status_code == 404
    assert client.post(f"/opinion/rules/{other.pk}/toggle/").status_code == 404
    assert KeywordRule.objects.filter(pk=other.pk, enabled=True).exists()
    # A unit outside the scope, forged into the form, is an invalid choice.
    response = client.post("/opinion/rules/new/", form(unit=world.unit_b.pk, name="越权"))
    assert response.status_code == 400 and not KeywordRule.objects.filter(name="越权").exists()
    leader = login(world.first, Client())  # the whole organ in view, but no opinion.manage
    html = leader.get("/opinion/rules/").content.decode()
    assert "宣传科规则" in html and "信息科规则" in html and 'id="rule-create"' not in html
    assert leader.get(f"/opinion/rules/{own.pk}/edit/").status_code == 403
    assert leader.post("/opinion/rules/check/", {"expression": "停水"}).status_code == 403


def test_action_refuses_out_of_scope_and_without_manage(world, analyst):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        actions_monitor.do_create_rule(unit=world.unit_b, name="越权", expression="停水", acting_user=analyst)
    with pytest.raises(PermissionDenied):
        actions_monitor.do_create_rule(unit=world.unit_a, name="无权", expression="停水", acting_user=world.first)
    with pytest.raises(ValidationError) as exc:
        actions_monitor.do_create_rule(unit=world.unit_a, name="坏", expression="停水|", acting_user=analyst)
    assert "表达式语法错误" in exc.value.message_dict["expression"][0]
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, object_type="opinion.keywordrule").count() == 2
