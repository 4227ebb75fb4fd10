"""What held before issue 17 and must keep holding, tried again as part of the robustness tally: office scope
on URLs and API routes, CSRF, the login lockout, CSP, XXE and billion laughs in camt.053 (no entity is
expanded, nothing is written), and stored XSS. (Kill -9 of a close and two closes at once:
tests/close/test_robustness.py.)"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sicollect.contributions.models import Payment
from sicollect.exchange.bank import import_statement
from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.models import BankEntry
from sicollect.registry.models import Unit

from ..api.helpers import client_for
from ..exchange.helpers import camt053
from ..web.helpers import build
from .conftest import refused, snapshot, unchanged

pytestmark = pytest.mark.django_db


def test_another_offices_unit_is_a_404_on_the_web_and_the_api() -> None:
    province = build()
    web = Client()
    web.force_login(province["users"]["hl_mgr"])
    api = client_for(province["users"]["hl_mgr"])
    assert web.get("/units/CP001/").status_code == 404
    assert api.get("/api/units/CP001").status_code == 404
    assert api.get("/api/persons/2202000003").status_code == 404
    refused(3)


def test_a_post_without_the_csrf_token_is_refused() -> None:
    province = build()
    web = Client(enforce_csrf_checks=True)
    web.force_login(province["users"]["hl_mgr"])
    before = snapshot()
    r = web.post("/worklist/assign/", {"officer_id": "1", "unit": ["HL002"]})
    assert r.status_code == 403
    unchanged(before, snapshot())
    refused()


def test_five_failed_logins_lock_the_user_out() -> None:
    User.objects.create_user("lan", password="right-password-1")
    c = Client()
    for _ in range(5):
        c.post("/login/", {"username": "lan", "password": "wrong"})
    assert c.post("/login/", {"username": "lan", "password": "right-password-1"}).status_code in (403, 429)
    refused()


def test_pages_carry_the_content_security_policy() -> None:
    r = Client().get("/login/")
    assert "script-src 'self'" in r["Content-Security-Policy"] and r["X-Frame-Options"] == "DENY"


XXE = """<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>&xxe;</Id>
</Stmt></BkToCstmrStmt></Document>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>&lol4;</Id>
</Stmt></BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("text", [XXE, LAUGHS], ids=["XXE", "billion laughs"])
def test_camt053_entities_are_never_expanded(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.xml"
    path.write_text(text, encoding="utf-8")
    before = snapshot()
    try:
        report = import_statement(path, fmt="camt053")
        assert report.entries == 0
    except ImportErrors as exc:
        assert "root:" not in str(exc) and "lollol" not in str(exc)
    assert not BankEntry.objects.filter(statement_id__contains="root").exists()
    unchanged(before, snapshot())
    refused()


def test_a_unit_name_with_a_script_is_shown_as_text() -> None:
    province = build()
    Unit.objects.filter(code="HL001").update(name="<script>alert(1)</script>")
    web = Client()
    web.force_login(province["users"]["hl_mgr"])
    page = web.get("/units/HL001/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    refused()


def test_a_good_bank_entry_still_becomes_one_payment(tmp_path: Path) -> None:
    """The domain checks refuse nothing legitimate: a credit of 450,000 on 20 Aug 2025 naming its unit."""
    from .. import factories as f

    u = f.unit("RB0001")
    f.participation(u, f.person("3101000001"), "2025-07", None, 10_000_000, "HI")
    path = tmp_path / "s.xml"
    path.write_text(camt053("S-OK", "1234567890123", [{"ref": "E1", "amount": 450000, "booked": "2025-08-20",
                                                       "message": "BHXH RB0001 T07/2025"}]), encoding="utf-8")
    report = import_statement(path, fmt="camt053")
    assert report.matched == 1
    assert list(Payment.objects.values_list("amount", "paid_on")) == [(450_000, date(2025, 8, 20))]
