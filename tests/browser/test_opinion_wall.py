"""Monitoring in a real browser: an analyst writes a keyword rule with a syntax error, sees where it
is, fixes it and sees the live test run match recent items; the monitoring wall shows an item pushed
through the push API after its htmx poll, without a reload."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from core.roles import Role
from core.testing import make_user
from opinion.models import KeywordRule
from opinion.sources import do_create_push_token
from opinion.tests.test_views_helpers import make_item, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def analyst(world):
    return make_user("analyst_a", world.unit_a, roles=[(Role.OPINION_ANALYST, world.unit_a)], name="分析员甲")


def test_analyst_fixes_a_rule_and_sees_the_test_run(world, analyst, new_page, browser_login, live_server):
    source = make_source("本地新闻网")
    make_item(source, "某小区突发停水", "物业通知今晚停水检修，居民提前储水。", segment=True)
    make_item(source, "断水三天无人管", "多个小区居民反映断水，供水公司正在抢修。", segment=True)
    make_item(source, "城市公园新开放", "市民游园热情高涨。", segment=True)
    page = browser_login(new_page(), analyst)
    page.goto(f"{live_server.url}/opinion/rules/new/")
    page.fill("#id_name", "供水监测")
    page.fill("#id_expression", "(停水|断水&小区")
    error = page.locator("#rule-check [data-check='error']")
    expect(error).to_be_visible()
    expect(error).to_contain_text("缺少右括号")
    expect(error).to_have_attribute("data-position", "9")
    expect(page.locator("#rule-error-caret")).to_contain_text("^")
    # Saving anyway is refused with the same message on the field.
    page.click("#rule-save")
    expect(page.locator(".invalid-feedback")).to_contain_text("缺少右括号")
    assert not KeywordRule.objects.exists()
    page.fill("#id_expression", "(停水|断水)&小区")
    ok = page.locator("#rule-check [data-check='ok']")
    expect(ok).to_be_visible()
    expect(ok.locator("[data-matched]")).to_have_text("2")
    results = page.locator("#rule-test-results")
    expect(results).to_contain_text("某小区突发停水")
    expect(results).to_contain_text("断水三天无人管")
    expect(results).not_to_contain_text("城市公园新开放")
    page.click("#rule-save")
    expect(page.locator("#rule-table")).to_contain_text("供水监测")
    rule = KeywordRule.objects.get()
    assert rule.expression == "(停水|断水)&小区" and rule.unit == world.unit_a and rule.created_by == analyst


def test_wall_shows_a_pushed_item_after_the_poll(world, analyst, new_page, browser_login, live_server):
    push = make_source("推送客户端", kind="push", url="")
    token = do_create_push_token(push, analyst)
    make_item(make_source("新华网"), "早先的报道", "早先的报道内容，供对照。")
    page = browser_login(new_page(), analyst)
    page.goto(f"{live_server.url}/opinion/?poll=2")
    stream = page.locator("#wall-stream")
    expect(stream).to_contain_text("早先的报道")
    expect(page.locator("#wall-trend canvas")).to_have_count(1)  # ECharts drew the trend
    title = "化工园区突发泄漏 周边居民紧急疏散"
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{live_server.url}/api/opinion/push", method="POST",
        data=json.dumps({"items": [{"title": title, "body": "今日上午化工园区一企业发生泄漏，应急管理部门已组织周边居民紧急疏散，"
                                    "环境监测人员正在现场监测空气质量。", "url": "https://example.cn/news/9", "id": "n-9"}]}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test's own live server
        assert json.loads(response.read())["new"] == 1
    expect(stream.locator("[data-item]").first).to_contain_text(title, timeout=15000)
    expect(stream).to_contain_text("早先的报道")  # prepended, nothing replaced
