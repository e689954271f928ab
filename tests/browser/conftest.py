"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from core.testing import TEST_PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still
# synchronous and safe, so lift Django's guard for the browser tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("YISHI_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"缺少 {CHROMIUM}：运行 make chromium 安装 Debian 的 chromium")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """new_page() → a page in a fresh browser context (its own cookies), closed after the test."""
    contexts: list[Any] = []

    def _new_page() -> Any:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def browser_login(live_server: Any) -> Any:
    """browser_login(page, user) logs in through the real form and lands on the 工作台."""

    def _login(page: Any, user: Any, password: str = TEST_PASSWORD) -> Any:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _login
