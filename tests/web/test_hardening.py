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


@pytest.mark.django_db
def test_a_nul_character_anywhere_in_a_request_is_refused_naming_where() -> None:
    """PostgreSQL cannot compare a text with NUL: schemathesis sent a declaration whose `unit` form field held
    one and got a 500. Now a NUL in the path, a query parameter or a field of a form or JSON body is refused
    before any view on both databases: a 400 page naming where, or the API's 422 naming the field. An
    upload's file with NUL bytes still reaches its view."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sicollect.api.models import ApiToken

    user = User.objects.create_superuser("nul-tester", password="x")
    web = Client()
    web.force_login(user)
    r = web.get("/units/AB%00CD/")
    assert r.status_code == 400 and r.content.decode() == "path: a NUL character (0x00) is not allowed"
    r = web.get("/worklist/?q=%00")
    assert r.status_code == 400 and r.content.decode().startswith("q: ")
    r = web.post("/worklist/filters/", "name=x%00y&query=", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and r.content.decode().startswith("name: ")
    _row, token = ApiToken.issue(user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    r = api.get("/api/units?q=%00")
    assert r.status_code == 422 and r.json() == {"error": "invalid", "detail": "q: a NUL character (0x00) is not "
                                                 "allowed", "fields": {"q": "a NUL character (0x00) is not allowed"}}
    r = api.post("/api/payments", '{"payment_id": "A\\u0000B", "unit": "HL001"}', content_type="application/json")
    assert r.status_code == 422 and list(r.json()["fields"]) == ["payment_id"]
    # the declaration schemathesis found: a multipart upload whose `unit` field holds a NUL
    r = api.post("/api/declarations", {"unit": "9i\x00c", "file": SimpleUploadedFile("d.xlsx", b"PK\x00")})
    assert r.status_code == 422 and list(r.json()["fields"]) == ["unit"]
    # the same requests without the NUL reach their views
    assert web.get("/worklist/?q=AB").status_code == 200
    assert api.get("/api/units?q=AB").status_code == 200
    # a file upload with NUL bytes is not refused here: the view gets it
    upload = SimpleUploadedFile("list.xlsx", b"PK\x03\x04\x00\x00not really", content_type="application/octet-stream")
    assert web.post("/arrears/reward/", {"file": upload}).status_code != 400
