"""Security defaults: CSRF on every form, secure cookies behind HTTPS, CSP."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import Client

from core.testing import BASE_DIR, TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_login_form_requires_csrf(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "staff_a", "password": TEST_PASSWORD})
    assert response.status_code == 403


def test_logged_in_post_requires_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.staff_a)
    assert client.post("/inbox/read-all/").status_code == 403


def test_logout_is_post_only(world, login):
    c = login(world.staff_a)
    assert c.get("/accounts/logout/").status_code == 405


def test_https_settings_turn_on_secure_cookies_and_hsts(tmp_path):
    code = (
        "import json; from django.conf import settings as s; print(json.dumps([s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY]))"
    )
    env = {"YISHI_HTTPS": "1", "PATH": "/usr/bin:/bin", "YISHI_VAR_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "shell", "-c", code],
        env=env, cwd=BASE_DIR, capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]
    assert json.loads(out) == [True, True, 31536000, True, True]


def test_csp_forbids_inline_scripts(client):
    csp = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
