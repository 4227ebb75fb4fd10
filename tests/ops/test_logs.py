"""JSON-lines logs: one object a line, extra fields kept, national IDs and phone numbers masked everywhere."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

from sicollect.core.privacy import MaskPersonalData
from sicollect.ops.logs import JsonLines


def _line(record: logging.LogRecord, mask_filter: bool = True) -> dict[str, object]:
    if mask_filter:  # settings.LOGGING's handlers have it; gunicorn's (deploy/gunicorn.conf.py) need not
        MaskPersonalData().filter(record)
    text = JsonLines().format(record)
    assert "\n" not in text
    return json.loads(text)


def test_a_message_with_a_national_id_and_extra_fields() -> None:
    record = logging.LogRecord("sicollect.web", logging.WARNING, __file__, 1, "person %s not found (phone %s)",
                               ("001085012345", "0912 345 678"), None)
    record.unit = "HL001"
    record.note = "CCCD 022085001234"  # an extra field the message filter never sees
    line = _line(record)
    assert line["level"] == "WARNING" and line["logger"] == "sicollect.web"
    assert line["msg"] == "person *********345 not found (phone *******678)"
    assert line["unit"] == "HL001" and line["note"] == "CCCD *********234"
    assert line["ts"].endswith("+00:00")


def test_an_exception_is_masked_too() -> None:
    try:
        raise ValueError("bad national id 022085001234")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = _line(record)
    assert "ValueError: bad national id *********234" in line["exc"] and "022085001234" not in json.dumps(line)


def test_gunicorn_access_records_become_fields() -> None:
    atoms = {"h": "127.0.0.1", "m": "GET", "U": "/persons/022085001234/", "q": "", "s": "200", "B": "5120",
             "D": "48250", "f": "-", "a": "locust", "r": "GET /persons/022085001234/ HTTP/1.1"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s %(B)s %(D)s',
                               (atoms,), None)
    line = _line(record, mask_filter=False)
    assert line["msg"] == "request" and line["method"] == "GET" and line["status"] == 200
    assert line["path"] == "/persons/*********234/" and line["duration_ms"] == 48.2
    assert "referer" not in line and "022085001234" not in json.dumps(line)


def test_production_settings_log_json_lines() -> None:
    code = ("import logging, django; django.setup(); "
            "logging.getLogger('sicollect.x').warning('lookup %s', '001085012345')")
    env = {"SICOLLECT_DEBUG": "0", "SICOLLECT_SECRET_KEY": "k" * 60, "DJANGO_SETTINGS_MODULE": "sicollect.settings",
           "PATH": "/usr/bin:/bin"}
    import os

    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    env["SICOLLECT_VAR"] = os.environ.get("SICOLLECT_VAR", "/tmp")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    line = json.loads(run.stderr.strip().splitlines()[-1])
    assert line["msg"] == "lookup *********345" and line["logger"] == "sicollect.x"


def test_the_lockout_sees_the_client_behind_nginx_and_only_from_the_proxy() -> None:
    from django.test import RequestFactory

    from sicollect.ops.proxy import client_ip

    rf = RequestFactory()
    behind = rf.get("/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.2.3")
    assert client_ip(behind) == "10.1.2.3"  # nginx appended the address it saw; the client's own claim is ignored
    direct = rf.get("/login/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(direct) == "10.9.9.9"  # not from the proxy: the header is not believed
    assert client_ip(rf.get("/login/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"
