"""The UI shell in a real browser: login, the 工作台, logout."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_shows_home_and_logout(world, new_page, browser_login, live_server):
    page = browser_login(new_page(), world.staff_a)
    assert "工作台" in page.title()
    assert page.locator("text=组织机构").first.is_visible()
    page.click("#user-menu")
    page.click("#logout-btn")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert "已安全退出" in page.content()


def test_wrong_password_shows_chinese_error(world, new_page, live_server):
    page = new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "staff_a")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator("#login-error").inner_text()
