"""Fixtures shared by every app's tests."""

from __future__ import annotations

from typing import Any

import pytest

from core.testing import TEST_PASSWORD, build_org_world


@pytest.fixture(autouse=True)
def _fresh_caches() -> Any:
    """Calendar overrides and overview figures are cached per process; no test may see another's."""
    from django.core.cache import cache

    from core import workdays

    workdays.clear_cache()
    cache.clear()
    yield
    workdays.clear_cache()
    cache.clear()


@pytest.fixture
def no_reuse(settings: Any) -> None:
    """Compute every page in full (core.caching off): query counts must measure the real work."""
    settings.YISHI_OVERVIEW_CACHE_SECONDS = 0


@pytest.fixture
def world(db: Any) -> Any:
    return build_org_world()


@pytest.fixture
def login(client: Any) -> Any:
    """login(user) → the Django test client, logged in through the real login form."""

    def _login(user: Any, target_client: Any = None) -> Any:
        c = target_client or client
        response = c.post("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD})
        assert response.status_code == 302, "login failed"
        return c

    return _login


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD
