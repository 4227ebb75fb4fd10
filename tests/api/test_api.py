"""The API on the hand-built province of tests/web/helpers.py (worked figures there).

HL001 (Hạ Long) owes 450,000 of HI a month from July 2025 and never pays; closed through Oct 2025.
"""
from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from sicollect.contributions.models import Payment
from sicollect.core.models import AuditEvent

from .helpers import client_for

pytestmark = pytest.mark.django_db


def test_without_a_token_every_route_is_401_with_the_error_body(province: dict[str, Any]) -> None:
    for url in ("/api/units", "/api/units/HL001", "/api/kpi?as_of=2025-10-31"):
        r = Client().get(url)
        assert r.status_code == 401
        assert r.json() == {"error": "unauthenticated", "detail": "send Authorization: Bearer <token>", "fields": {}}
    r = Client(HTTP_AUTHORIZATION="Bearer sic_wrong").get("/api/units")
    assert r.status_code == 401


def test_a_grassroots_user_sees_only_its_office(province: dict[str, Any]) -> None:
    hl = client_for(province["users"]["hl_mgr"])
    r = hl.get("/api/units")
    assert r.status_code == 200
    assert r.json()["count"] == 2 and [u["code"] for u in r.json()["items"]] == ["HL001", "HL002"]
    assert hl.get("/api/units/CP001").json()["error"] == "not_found"
    assert hl.get("/api/units/CP001/statement?period=2025-10").status_code == 404
    assert hl.get("/api/persons/2202000003").status_code == 404  # CP001's employee
    assert hl.get("/api/kpi?as_of=2025-10-31&office=CP").status_code == 404
    prov = client_for(province["users"]["prov"])
    assert prov.get("/api/units").json()["count"] == 3


def test_statement_and_ledger_in_dong(province: dict[str, Any]) -> None:
    """October 2025: opening 1,350,000 (July … September), assessed 450,000, closing 1,800,000; interest
    in October on July and August (late 1 … 31 Oct): 2 × 450,000 × 0.03 % × 31 = 8,370."""
    c = client_for(province["users"]["hl_off"])
    hi = c.get("/api/units/HL001/statement?period=2025-10").json()["funds"]["HI"]
    assert (hi["opening_principal"], hi["assessed"], hi["closing_principal"]) == (1_350_000, 450_000, 1_800_000)
    assert hi["interest_charged"] == 8_370
    rows = c.get("/api/units/HL001/ledger?first=2025-10&last=2025-10").json()
    assert {(r["kind"], r["fund"], r["amount"]) for r in rows["items"]} == {("due", "HI", 450_000),
                                                                            ("interest", "HI", 8_370)}
    bad = c.get("/api/units/HL001/statement?period=10/2025")
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid" and "period" in bad.json()["fields"]


def test_national_ids_are_masked_unless_the_role_may_see_them(province: dict[str, Any]) -> None:
    officer = client_for(province["users"]["hl_off"]).get("/api/persons/2201000001").json()
    manager = client_for(province["users"]["hl_mgr"]).get("/api/persons/2201000001").json()
    assert manager["national_id"] == "022085001234"
    assert officer["national_id"] != "022085001234" and officer["national_id"].endswith("234")


def test_kpi_of_the_users_scope(province: dict[str, Any]) -> None:
    """At 31 Oct 2025 HL's late debt is HL001's July and August: 900,000."""
    data = client_for(province["users"]["hl_mgr"]).get("/api/kpi?as_of=2025-10-31").json()
    assert data["office"] == "HL" and data["debt"]["interest_bearing"] == 900_000


def test_recording_a_payment_is_idempotent_and_validated(province: dict[str, Any]) -> None:
    c = client_for(province["users"]["hl_off"])
    body = {"payment_id": "QUAY-0001", "unit": "HL001", "paid_on": "2025-11-05", "amount": 900_000}
    first = c.post("/api/payments", body, content_type="application/json")
    assert first.status_code == 201 and first.json()["created"] is True
    again = c.post("/api/payments", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["created"] is False
    assert Payment.objects.filter(payment_id="QUAY-0001").count() == 1
    audit = AuditEvent.objects.get(action="record_payment", object_id="QUAY-0001")
    assert audit.actor == "hl_off" and audit.detail["after"]["amount"] == 900_000
    other = c.post("/api/payments", {**body, "amount": 1}, content_type="application/json")
    assert other.status_code == 409 and other.json()["error"] == "conflict"
    bad = c.post("/api/payments", {**body, "payment_id": "QUAY-0002", "amount": -5, "paid_on": "2999-01-01"},
                 content_type="application/json")
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"amount", "paid_on"}
    huge = c.post("/api/payments", {**body, "payment_id": "QUAY-0003", "amount": 2**70}, content_type="application/json")
    assert huge.status_code == 422 and huge.json()["fields"] == {
        "amount": "amount too large: 1,180,591,620,717,411,303,424 (at most 1,000,000,000,000)"}  # core.domain
    missing = c.post("/api/payments", {"unit": "HL001"}, content_type="application/json")
    assert missing.status_code == 422 and "payment_id" in str(missing.json()["fields"])
    assert client_for(province["users"]["hl_off"]).post(
        "/api/payments", {**body, "payment_id": "X1", "unit": "CP001"}, content_type="application/json",
    ).status_code == 404
    viewer = client_for(province["users"]["hl_view"])
    assert viewer.post("/api/payments", {**body, "payment_id": "X2"}, content_type="application/json").status_code == 403
    assert Payment.objects.filter(paid_on=date(2025, 11, 5)).count() == 1


def test_payment_ids_are_unique_per_office(province: dict[str, Any]) -> None:
    """CP's QUAY-0001 and HL's QUAY-0001 are two payments, each of its unit's office; within HL the id is
    still idempotent (200) and another payment under it still a 409, with the same message as ever."""
    body = {"payment_id": "QUAY-0001", "unit": "CP001", "paid_on": "2025-11-05", "amount": 700_000}
    cp, hl = client_for(province["users"]["cp_off"]), client_for(province["users"]["hl_off"])
    assert cp.post("/api/payments", body, content_type="application/json").status_code == 201
    mine = {**body, "unit": "HL001", "amount": 900_000}
    first = hl.post("/api/payments", mine, content_type="application/json")
    assert first.status_code == 201 and first.json()["created"] is True
    assert sorted(Payment.objects.filter(payment_id="QUAY-0001").values_list("office__code", "unit__code", "amount")) \
        == [("CP", "CP001", 700_000), ("HL", "HL001", 900_000)]
    again = hl.post("/api/payments", mine, content_type="application/json")
    assert again.status_code == 200 and again.json()["created"] is False
    other = hl.post("/api/payments", {**mine, "amount": 1}, content_type="application/json")
    assert other.status_code == 409 and other.json()["detail"] == "payment 'QUAY-0001' exists with other figures"
    assert Payment.objects.filter(payment_id="QUAY-0001").count() == 2


def test_openapi_schema_lists_every_route_and_tokens_come_from_the_cli(province: dict[str, Any]) -> None:
    schema = Client().get("/api/openapi.json").json()
    assert {"/api/units", "/api/units/{code}", "/api/units/{code}/statement", "/api/units/{code}/ledger",
            "/api/persons/{si_code}", "/api/kpi", "/api/payments"} <= set(schema["paths"])
    assert Client().get("/api/docs").status_code == 200
    out = StringIO()
    call_command("apitoken", "create", "hl_mgr", stdout=out)
    token = out.getvalue().strip()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/units").status_code == 200
    call_command("apitoken", "revoke", token[:8], stdout=StringIO())
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/units").status_code == 401
