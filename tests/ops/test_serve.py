"""The production mode, end to end (issue 23's acceptance): gunicorn with ``deploy/gunicorn.conf.py`` and
``SICOLLECT_DEBUG=0`` on a free loopback port, over this run's PostgreSQL test database; log in, load the
main pages and a PDF, static files through WhiteNoise, security headers, ``/health/``; the server stopped.

PostgreSQL pass only: the production mode is documented on PostgreSQL (docs/deploy.md), and the server's
processes cannot see SQLite's in-memory test database.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from django.db import connection

from ..dbutil import database_url
from ..web.helpers import PASSWORD, build

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # the rules seeded by migrations stay
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="production mode (gunicorn + PostgreSQL) is checked in the PostgreSQL pass only: "
                              "gunicorn's workers cannot open SQLite's in-memory test database"),
]

PAGES = ["/", "/worklist/", "/units/", "/units/HL001/", "/persons/", "/suspense/", "/arrears/",
         "/arrears/groups/", "/plans/", "/plans/weekly/", "/plans/forecast/", "/coverage/", "/audit/",
         "/account/otp/"]


def _unsecure(s: requests.Session) -> None:
    for cookie in s.cookies:
        cookie.secure = False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {**os.environ, "SICOLLECT_DEBUG": "0", "SICOLLECT_SECRET_KEY": secrets.token_urlsafe(50),
           "SICOLLECT_VAR": str(tmp_path), "SICOLLECT_ALLOWED_HOSTS": "127.0.0.1",
           "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "sicollect.settings",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))}
    collect = subprocess.run([sys.executable, "-m", "sicollect.cli", "collectstatic", "--noinput", "-v0"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert collect.returncode == 0, collect.stderr
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w+", encoding="utf-8")  # noqa: SIM115 (read after the server stops)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                             "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/health/", timeout=5).status_code in (200, 503):
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
            time.sleep(0.2)
        yield {"base": base, "proc": proc, "log": tmp_path / "gunicorn.log"}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # graceful stop, as systemd does
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def test_gunicorn_in_production_mode_serves_pages_pdf_static_and_health(server: dict[str, Any]) -> None:
    build()  # province QN, HL001 late since September; user "prov" (province manager)
    User.objects.filter(username="prov").update(is_staff=True)
    base = server["base"]

    # /health/ answers plain HTTP (the monitor on the server); everything else is sent to HTTPS
    health = requests.get(f"{base}/health/", timeout=10)
    assert health.status_code == 200, health.text
    checks = health.json()["checks"]
    assert all(checks[name]["ok"] for name in ("database", "cache", "migrations")), checks
    assert checks["database"]["vendor"] == "postgresql" and checks["last_close"]["month"] == "2025-10"
    plain = requests.get(f"{base}/login/", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")

    # as behind nginx: X-Forwarded-Proto https; the cookies are Secure (checked), and sent back here over
    # loopback HTTP as nginx would after TLS
    s = requests.Session()
    s.headers.update({"X-Forwarded-Proto": "https", "Origin": f"https://127.0.0.1:{base.rsplit(':', 1)[1]}",
                      "Referer": f"https://127.0.0.1:{base.rsplit(':', 1)[1]}/login/"})
    login = s.get(f"{base}/login/", timeout=10)
    assert login.status_code == 200
    h = login.headers
    assert h["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "script-src 'self'" in h["Content-Security-Policy"] and h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff" and h["Referrer-Policy"] == "same-origin"
    assert "secure" in h["Set-Cookie"].lower() and "csrftoken" in h["Set-Cookie"]
    _unsecure(s)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    r = s.post(f"{base}/login/", data={"username": "prov", "password": PASSWORD, "csrfmiddlewaretoken": token},
               allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == "/", r.text[:300]
    assert "sessionid" in r.headers["Set-Cookie"] and "secure" in r.headers["Set-Cookie"].lower()
    _unsecure(s)

    for page in PAGES:
        r = s.get(base + page, timeout=30)
        assert r.status_code == 200, (page, r.status_code)
        assert "text/html" in r.headers["Content-Type"] and "Strict-Transport-Security" in r.headers, page
    dashboard = s.get(f"{base}/", timeout=30).text
    assert "/static/web/app.css" in dashboard and "HL001" in s.get(f"{base}/worklist/", timeout=30).text
    admin = s.get(f"{base}/admin/", timeout=30)
    assert admin.status_code == 200 and "/static/admin/css/base.css" in admin.text

    pdf = s.get(f"{base}/units/HL001/statement.pdf?month=2025-10", timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5_000

    # static files: from WhiteNoise, compressed for the browsers that ask, the admin's too
    for path, kind in (("/static/web/app.css", "text/css"), ("/static/web/htmx.min.js", "javascript"),
                       ("/static/admin/css/base.css", "text/css")):
        r = s.get(base + path, headers={"Accept-Encoding": "gzip"}, timeout=10)
        assert r.status_code == 200 and kind in r.headers["Content-Type"], path
        assert r.headers.get("Content-Encoding") == "gzip" and "max-age" in r.headers["Cache-Control"], path
    assert s.get(f"{base}/static/web/nothing.css", timeout=10).status_code == 404

    # the server logs one JSON line per request, no national ID in full
    server["proc"].send_signal(signal.SIGTERM)
    assert server["proc"].wait(timeout=15) == 0
    lines = [json.loads(x) for x in server["log"].read_text(encoding="utf-8").splitlines() if x.startswith("{")]
    requests_logged = [x for x in lines if x.get("msg") == "request"]
    assert any(x["path"] == "/units/HL001/statement.pdf" and x["status"] == 200 for x in requests_logged)
    assert all(isinstance(x["duration_ms"], float) for x in requests_logged)
    assert "022085001234" not in server["log"].read_text(encoding="utf-8")
