"""The audit trail (one row per state change: who, when, what, before/after, source), its page and
export per unit and per user, person-list exports that need a reason, declarations through the
API, the API's rate limit and filters, and personal numbers masked in logs.

On the hand-built province of tests/web/helpers.py: HL001 and HL002 in Hạ Long (HL), CP001 in Cẩm
Phả (CP); Nguyễn Thị Lan (2201000001, ID 022085001234) works at HL001, Trần Văn Cẩm (2202000003,
ID 022090009876) at CP001.
"""
from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from sicollect.api.api import api
from sicollect.api.models import ApiToken
from sicollect.core.privacy import MaskPersonalData
from sicollect.exchange.registry_import import import_dir
from sicollect.core.models import AuditEvent
from sicollect.registry.models import Participation, Person
from sicollect.web.actions import do_assign_units

from ..web.helpers import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def qn() -> dict[str, Any]:
    return build()


def web(qn: dict[str, Any], name: str) -> Client:
    c = Client()
    c.force_login(qn["users"][name])
    return c


def api_client(qn: dict[str, Any], name: str) -> Client:
    _row, token = ApiToken.issue(qn["users"][name])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def csv_rows(resp: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))


def test_the_audit_page_and_export_per_unit_and_per_user_are_scoped(qn: dict[str, Any]) -> None:
    """hl_mgr gives HL001 to hl_off2: one row (assign_officer, HL001, officer hl_off → hl_off2).
    The unit's page and CSV show it to HL's manager; CP's manager gets 404 for HL001 and for hl_mgr's
    trail; hl_mgr may read hl_off2's trail (an officer of HL) but not cp_mgr's; an officer only their own."""
    units = qn["units"]
    do_assign_units([units["HL001"]], qn["users"]["hl_off2"], "hl_mgr")
    page = web(qn, "hl_mgr").get("/audit/?unit=HL001").content.decode()
    # the action in words and the time in Vietnam's zone, not the raw code and UTC (issue 20)
    assert "giao cán bộ" in page and "assign_officer" not in page and "hl_mgr" in page
    from django.utils import timezone

    from sicollect.core.models import AuditEvent

    at = timezone.localtime(AuditEvent.objects.get(action="assign_officer").created_at).strftime("%d/%m/%Y %H:%M")
    assert f"<td>{at}</td>" in page
    rows = csv_rows(web(qn, "hl_mgr").get("/audit.csv?unit=HL001"))
    assert [(r["actor"], r["action"], r["unit_code"]) for r in rows] == [("hl_mgr", "assign_officer", "HL001")]
    assert web(qn, "hl_mgr").get("/audit.xlsx?user=hl_mgr")["Content-Type"].startswith("application/vnd.openxml")
    assert web(qn, "cp_mgr").get("/audit/?unit=HL001").status_code == 404
    assert web(qn, "cp_mgr").get("/audit.csv?user=hl_mgr").status_code == 404
    assert web(qn, "hl_mgr").get("/audit/?user=cp_mgr").status_code == 404
    assert web(qn, "hl_mgr").get("/audit/?user=hl_off2").status_code == 200
    assert web(qn, "hl_off2").get("/audit/?user=hl_mgr").status_code == 404
    # the province-wide close of build() (Jul … Oct 2025) has no unit: the province sees it, HL does not
    prov = csv_rows(web(qn, "prov").get("/audit.csv"))
    assert ("close", "2025-07…2025-10") in {(r["action"], r["object_id"]) for r in prov}
    assert "close" not in {r["action"] for r in csv_rows(web(qn, "hl_mgr").get("/audit.csv"))}
    # the API gives the same rows, paginated
    body = api_client(qn, "hl_mgr").get("/api/audit?unit=HL001&limit=10").json()
    assert body["count"] == 1 and body["items"][0]["action"] == "assign_officer"
    assert api_client(qn, "cp_mgr").get("/api/audit?unit=HL001").status_code == 404


def test_imports_the_close_and_api_tokens_write_audit_rows(qn: dict[str, Any], tmp_path: Path) -> None:
    """import DIR of one payment (HL001, 450,000 đ on 5 Nov 2025) records who ran it, the folder and
    the counts; the same folder again records nothing (nothing changed). Issuing and revoking a
    token through the command are recorded too."""
    (tmp_path / "payments.csv").write_text("payment_id,unit_code,paid_on,amount,reference\n"
                                           "VCB-9,HL001,2025-11-05,450000,\n", encoding="utf-8")
    import_dir(tmp_path, actor="cli:ops")
    import_dir(tmp_path, actor="cli:ops")
    (event,) = AuditEvent.objects.filter(action="import_dir")
    assert (event.actor, event.object_id, event.detail["source"]) == ("cli:ops", tmp_path.name, str(tmp_path.resolve()))
    assert event.detail["after"] == {"payments.csv": "1 created, 0 updated, 0 unchanged"}
    close = AuditEvent.objects.get(action="close")
    assert close.detail["after"]["closed_through"] == "2025-10" and close.detail["before"]["closed_through"] is None
    assert close.detail["after"]["amounts"]["due"] == 4 * 450_000 + 3_200_000 + 3 * 450_000
    out = StringIO()
    call_command("apitoken", "create", "hl_mgr", stdout=out)
    prefix = out.getvalue().strip()[:8]
    call_command("apitoken", "revoke", prefix, stdout=StringIO())
    assert list(AuditEvent.objects.filter(action__endswith="api_token").values_list("action", "object_id")) == [
        ("issue_api_token", "hl_mgr"), ("revoke_api_token", prefix)]


def test_a_person_list_export_needs_a_reason_and_is_scoped(qn: dict[str, Any]) -> None:
    """Without a reason: back to the list with a message, no file, no audit row. With one, HL's
    manager gets HL's two persons (CP's 2202000003 absent), IDs masked (*********234) unless they
    tick "full IDs"; a viewer who ticks it still gets them masked. Each export is one audit row with
    the reason, the filter, the count and whether IDs were shown."""
    c = web(qn, "hl_mgr")
    resp = c.post("/persons/export/", {"q": "", "reason": "xem", "fmt": "csv"})
    assert resp.status_code == 302 and not AuditEvent.objects.filter(action="export_persons").exists()
    rows = csv_rows(c.post("/persons/export/", {"q": "", "reason": "Đối chiếu danh sách tháng 10", "fmt": "csv"}))
    assert [(r["si_code"], r["national_id"]) for r in rows] == [("2201000001", "*********234"), ("2201000002", "")]
    rows = csv_rows(c.post("/persons/export/", {"q": "Lan", "reason": "Thanh tra hồ sơ bà Lan", "fmt": "csv",
                                                "show_ids": "1"}))
    assert [(r["si_code"], r["national_id"]) for r in rows] == [("2201000001", "022085001234")]
    rows = csv_rows(web(qn, "hl_view").post("/persons/export/", {"q": "Lan", "reason": "Thanh tra hồ sơ bà Lan",
                                                                 "fmt": "csv", "show_ids": "1"}))
    assert rows[0]["national_id"] == "*********234"
    assert web(qn, "hl_mgr").post("/persons/export/", {"q": "", "reason": "Đối chiếu danh sách", "fmt": "xlsx"}
                                  )["Content-Type"].startswith("application/vnd.openxml")
    events = list(AuditEvent.objects.filter(action="export_persons").order_by("id"))
    assert [(e.actor, e.detail["reason"], e.detail["after"]) for e in events[:3]] == [
        ("hl_mgr", "Đối chiếu danh sách tháng 10", {"persons": 2, "national_ids": "masked"}),
        ("hl_mgr", "Thanh tra hồ sơ bà Lan", {"persons": 1, "national_ids": "full"}),
        ("hl_view", "Thanh tra hồ sơ bà Lan", {"persons": 1, "national_ids": "masked"}),
    ]
    # the API: same rule
    bad = api_client(qn, "hl_mgr").get("/api/persons?reason=x")
    assert bad.status_code == 422 and bad.json()["fields"] == {
        "reason": "a reason of at least 10 characters is required to export a person list"}
    body = api_client(qn, "hl_mgr").get("/api/persons?reason=Ho+so+thanh+tra+2025&show_ids=true&limit=1").json()
    assert body["count"] == 2 and body["items"] == [{"si_code": "2201000001", "full_name": "Nguyễn Thị Lan",
                                                     "national_id": "022085001234", "birth_date": "", "sex": "F"}]
    assert AuditEvent.objects.filter(action="export_persons").last().detail["source"].startswith("API GET /api/persons")


D02_GOOD = ("si_code,full_name,sex,action,from_month,wage,funds\n"
            "2201000009,Phạm Văn Hải,Nam,TM,2025-10,12000000,HI\n")
D02_BAD = ("si_code,full_name,sex,action,from_month,wage,funds\n"
           "2201000009,Phạm Văn Hải,Nam,TM,2025-10,12000000,HI\n"
           "2201000010,Lê Thị Mai,Nữ,TM,2025-13,-5,HI\n")


def upload(client: Client, unit: str, text: str, name: str = "d02.csv") -> Any:
    f = io.BytesIO(text.encode("utf-8"))
    f.name = name
    return client.post("/api/declarations", {"file": f, "unit": unit, "declared_on": "2025-10-15"})


def test_a_declaration_through_the_api_is_scoped(qn: dict[str, Any]) -> None:
    """HL's manager declares a new hire at HL001 (Phạm Văn Hải, 12,000,000 đ from Oct 2025, HI):
    201 and one participation, audited with the request as source. A file with a bad line 3
    (month 2025-13, wage −5) is a 422 listing both cells, and writes nothing (not even line 2). CP001
    is a 404 for HL; a viewer gets 403; the same file twice is a 422."""
    c = api_client(qn, "hl_mgr")
    before = Participation.objects.count()
    bad = upload(c, "HL001", D02_BAD)
    assert bad.status_code == 422
    assert {"d02.csv:3:from_month", "d02.csv:3:wage"} <= set(bad.json()["fields"])
    assert bad.json()["detail"].endswith("nothing was imported")
    assert Participation.objects.count() == before and not Person.objects.filter(si_code="2201000009").exists()
    assert upload(c, "CP001", D02_GOOD).status_code == 404
    assert upload(api_client(qn, "hl_view"), "HL001", D02_GOOD).status_code == 403
    ok = upload(c, "HL001", D02_GOOD)
    assert ok.status_code == 201 and ok.json()["lines"] == 1 and ok.json()["new_persons"] == 1
    p = Participation.objects.get(person__si_code="2201000009")
    assert (p.unit.code, p.wage, p.hi, p.si, str(p.from_month)) == ("HL001", 12_000_000, True, False, "2025-10")
    event = AuditEvent.objects.get(action="import_declaration")
    assert (event.actor, event.unit_code, event.detail["source"]) == (
        "hl_mgr", "HL001", "API POST /api/declarations file d02.csv")
    again = upload(c, "HL001", D02_GOOD)
    assert again.status_code == 422 and "already" in " ".join(again.json()["fields"].values())


def test_lists_filter_and_paginate_the_same_way(qn: dict[str, Any]) -> None:
    c = api_client(qn, "prov")
    body = c.get("/api/units?office=HL&limit=1&offset=1").json()
    assert body["count"] == 2 and [u["code"] for u in body["items"]] == ["HL002"]
    assert c.get("/api/units?office=ZZ").status_code == 404
    assert api_client(qn, "hl_mgr").get("/api/units?office=CP").status_code == 404
    # HL001 through Oct 2025: 4 months due 450,000 each (HI), nothing paid
    dues = c.get("/api/units/HL001/ledger?kind=due&fund=HI").json()
    assert dues["count"] == 4 and {e["amount"] for e in dues["items"]} == {450_000}


def test_the_api_rate_limit_counts_per_token(qn: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """At 3 requests a minute per token the fourth answers 429 with the error body and Retry-After;
    another token of the same user is counted apart."""
    (throttle,) = api.throttle
    monkeypatch.setattr(throttle, "num_requests", 3)
    monkeypatch.setattr(throttle, "duration", 60)
    c = api_client(qn, "prov")
    assert [c.get("/api/units/HL001").status_code for _ in range(3)] == [200, 200, 200]
    r = c.get("/api/units/HL001")
    assert r.status_code == 429 and r.json()["error"] == "rate_limited" and int(r["Retry-After"]) > 0
    assert api_client(qn, "prov").get("/api/units/HL001").status_code == 200
    assert settings.SICOLLECT_API_RATE == "600/min"


RATE_PROBE = """
import sys
from types import SimpleNamespace

import django

django.setup()
from sicollect.api.api import TokenRateThrottle

throttle = TokenRateThrottle("3/min")
request = SimpleNamespace(api_token=SimpleNamespace(key_hash="one-token"))
print(" ".join("ok" if throttle.allow_request(request) else "429" for _ in range(int(sys.argv[1]))))
"""


def test_the_api_rate_limit_is_shared_by_server_processes(tmp_path: Path) -> None:
    """Two server processes on one database (SQLite file here) share the count of a token: at 3 a minute,
    2 requests in the first process and 2 in the second make the fourth a 429. The count is in the
    database cache CACHES["shared"] (table sicollect_cache), not in a process's memory."""
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    (throttle,) = api.throttle
    assert isinstance(throttle.cache, DatabaseCache) and throttle.cache is caches["shared"]
    env = {**os.environ, "SICOLLECT_VAR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "sicollect.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "django", "createcachetable"], env=env, check=True, timeout=120)

    def server_process(requests: int) -> str:
        run = subprocess.run([sys.executable, "-c", RATE_PROBE, str(requests)], env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert server_process(2) == "ok ok"
    assert server_process(2) == "ok 429"


def test_logs_mask_national_ids_and_phone_numbers() -> None:
    """"CCCD 001085012345, ĐT 0912 345 678" is logged as "CCCD *********345, ĐT *******678"; an SI
    number (10 digits, 2201000001) and an amount stay as they are. Every configured handler masks."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPersonalData())
    log = logging.getLogger("sicollect.test.privacy")
    log.addHandler(handler)
    try:
        log.warning("person %s: CCCD %s, ĐT %s, owes %s", "2201000001", "001085012345", "0912 345 678", 450000)
        try:
            raise ValueError("bad national id 022090009876")
        except ValueError:
            log.exception("import failed for +84912345678")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "person 2201000001: CCCD *********345, ĐT *******678, owes 450000" in text
    assert "********678" in text and "*********876" in text
    assert "001085012345" not in text and "0912 345 678" not in text and "022090009876" not in text
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["mask_personal_data"]


def test_admin_edits_write_audit_rows(qn: dict[str, Any]) -> None:
    """Through the Django admin a superuser (root) makes hl_off2 a grassroots manager, gives a new
    user a viewer profile at HL, sets hl_off2's password and deletes two profiles with the bulk
    action: each writes an AuditEvent with who, what object and, for a change, the changed fields
    before and after (a password only as "***", never its hash)."""
    from django.contrib.auth.models import User

    from sicollect.staff.models import StaffProfile

    root = User.objects.create_superuser("root", password="root-pass-123")
    c = Client()
    c.force_login(root)
    hl = qn["users"]["hl_mgr"].staff.office
    profile = qn["users"]["hl_off2"].staff
    url = f"/admin/staff/staffprofile/{profile.pk}/change/"
    r = c.post(url, {"user": profile.user_id, "office": hl.pk, "role": "grassroots_manager", "_save": "Save"})
    assert r.status_code == 302, r.content.decode()[:2000]
    event = AuditEvent.objects.get(action="admin_change")
    assert (event.actor, event.object_type, event.object_id) == ("root", "staff.staffprofile", str(profile.pk))
    assert event.detail["before"] == {"role": "officer"} and event.detail["after"] == {"role": "grassroots_manager"}
    assert event.detail["source"] == f"admin: POST {url}" and "Role" in event.detail["change_message"]

    newcomer = User.objects.create_user("newcomer")
    assert c.post("/admin/staff/staffprofile/add/", {"user": newcomer.pk, "office": hl.pk, "role": "viewer",
                                                   "_save": "Save"}).status_code == 302
    added = AuditEvent.objects.get(action="admin_add")
    assert added.object_type == "staff.staffprofile" and added.detail["before"] is None
    assert {k: added.detail["after"][k] for k in ("user_id", "office_id", "role")} == {
        "user_id": newcomer.pk, "office_id": hl.pk, "role": "viewer"}

    user = qn["users"]["hl_off2"]
    r = c.post(f"/admin/auth/user/{user.pk}/password/", {"password1": "Brand-new-pass-42",
                                                        "password2": "Brand-new-pass-42", "usable_password": "true"})
    assert r.status_code == 302, r.content.decode()[:2000]
    user.refresh_from_db()
    pw = AuditEvent.objects.filter(action="admin_change", object_type="auth.user").get()
    assert pw.object_id == str(user.pk) and pw.detail["before"] == pw.detail["after"] == {"password": "***"}
    assert user.password not in str(pw.detail) and "Brand-new-pass-42" not in str(pw.detail)

    ids = [profile.pk, newcomer.staff.pk]
    r = c.post("/admin/staff/staffprofile/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert r.status_code == 302 and not StaffProfile.objects.filter(pk__in=ids).exists()
    deleted = AuditEvent.objects.filter(action="admin_delete").order_by("object_id")
    assert sorted(int(e.object_id) for e in deleted) == sorted(ids)
    assert {e.detail["before"]["role"] for e in deleted} == {"grassroots_manager", "viewer"}
    assert all(e.actor == "root" and e.detail["after"] is None for e in deleted)
