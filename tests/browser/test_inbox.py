"""The inbox badge in a real browser: a notification raises it, reading it clears it in place (htmx)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.notify import notify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_badge_counts_unread_and_clears_in_place(world, new_page, browser_login, live_server):
    page = browser_login(new_page(), world.staff_a)
    assert page.locator("#inbox-badge [data-unread]").count() == 0
    notify([world.staff_a], "请于本周五前报送排查表", "宣传科日常排查", level="reminder")
    notify([world.staff_a], "督办：网站三审三校落实情况", level="warning")
    notify([world.staff_b], "信息科的通知", level="info")  # someone else's: never counted here
    page.reload()
    badge = page.locator("#inbox-badge [data-unread]")
    assert badge.inner_text() == "2"
    page.click("#inbox-link")
    page.wait_for_url(f"{live_server.url}/inbox/")
    assert "信息科的通知" not in page.content()
    first = page.locator("#inbox-list button:has-text('标为已读')").first
    first.click()
        # The htmx response swaps the row and fires inbox-changed, which refreshes the badge without a reload.
    expect(page.locator("#inbox-badge [data-unread]")).to_have_text("1")
    page.locator("#inbox-list button:has-text('标为已读')").first.click()
    expect(page.locator("#inbox-badge [data-unread]")).to_have_count(0)
    assert page.url == f"{live_server.url}/inbox/"
