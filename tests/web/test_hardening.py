"""Login throttling, security headers, no inline scripts, a clean `check --deploy` in production."""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

import sicollect

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> int:
    return client.post("/login/", {"username": username, "password": password}).status_code


def test_five_failed_logins_lock_that_user_out_from_that_address() -> None:
    User.objects.create_user("lan", password="right-password-1")
    User.objects.create_user("minh", password="right-password-2")
    c = Client()
    for _ in range(4):
        assert _login(c, "lan", "wrong") == 200  # the form again, with its error
    assert _login(c, "lan", "wrong") in (403, 429)  # the 5th failure locks
    assert _login(c, "lan", "right-password-1") in (403, 429)  # even the right password, for 15 minutes
    assert "_auth_user_id" not in c.session
    assert _login(Client(), "minh", "right-password-2") == 302  # another user is not affected


def test_pages_carry_a_content_security_policy_and_no_inline_script() -> None:
    r = Client().get("/login/")
    policy = r["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
    templates = Path(sicollect.__file__).parent.glob("**/templates/**/*.html")
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path}: inline event handler"
        for script in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
            assert "application/json" in script, f"{path}: inline script"


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    env = {**os.environ, "SICOLLECT_DEBUG": "0", "SICOLLECT_SECRET_KEY": secrets.token_urlsafe(60),
           "SICOLLECT_VAR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "sicollect.settings"}
    env.pop("DATABASE_URL", None)
    run = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout
    no_key = {k: v for k, v in env.items() if k != "SICOLLECT_SECRET_KEY"}
    refused = subprocess.run([sys.executable, "-m", "django", "check"], env=no_key, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode != 0 and "SICOLLECT_SECRET_KEY must be set" in refused.stderr
