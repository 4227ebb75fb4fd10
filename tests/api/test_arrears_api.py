"""The arrears API on the hand-built province of tests/web/helpers.py, closed through Oct 2025.

On 31 Oct 2025 HL001 (Hạ Long) has 900,000 late (July and August, 2 months, 61 days), 1,800,000
outstanding, class II; CP001 (Cẩm Phả) 450,000 late (August, 1 month). Each has NOTICE proposed.
Confirming HL001's issues a notice of 1,800,000 principal + 12,420 interest = 1,812,420.
"""
from __future__ import annotations

from typing import Any

import pytest

from sicollect.arrears.models import CaseStep, Notice
from sicollect.core.models import AuditEvent

from .helpers import client_for

pytestmark = pytest.mark.django_db


def step_id(code: str) -> int:
    return CaseStep.objects.get(case__unit__code=code, step__code="NOTICE").pk


def test_cases_are_paginated_filtered_and_scoped(province: dict[str, Any]) -> None:
    prov = client_for(province["users"]["prov"])
    body = prov.get("/api/arrears/cases").json()
    assert body["count"] == 2
    assert [(c["unit"], c["late_amount"], c["outstanding"], c["months_late"], c["days_late"], c["debt_class"],
             c["step_reached"]) for c in body["items"]] == [
        ("HL001", 900_000, 1_800_000, 2, 61, "II", None), ("CP001", 450_000, 1_350_000, 1, 31, "II", None)]
    assert prov.get("/api/arrears/cases?limit=1&offset=1").json()["items"][0]["unit"] == "CP001"
    assert [c["unit"] for c in prov.get("/api/arrears/cases?min_months=2").json()["items"]] == ["HL001"]
    assert [c["unit"] for c in prov.get("/api/arrears/cases?office=CP").json()["items"]] == ["CP001"]
    assert prov.get("/api/arrears/cases?min_amount=1000000").json()["count"] == 0
    hl = client_for(province["users"]["hl_mgr"])
    assert [c["unit"] for c in hl.get("/api/arrears/cases").json()["items"]] == ["HL001"]
    assert hl.get("/api/arrears/cases?office=CP").status_code == 404
    assert hl.get("/api/arrears/cases/CP001").json()["error"] == "not_found"
    work = hl.get("/api/arrears/worklist").json()
    assert [(s["unit"], s["step"], s["status"], s["late_amount"]) for s in work["items"]] == [
        ("HL001", "NOTICE", "proposed", 900_000)]


def test_confirm_goes_through_the_action_with_an_audit_row(province: dict[str, Any]) -> None:
    hl = client_for(province["users"]["hl_off"])
    # another office's step: 404, nothing confirmed
    r = hl.post("/api/arrears/steps/confirm", {"ids": [step_id("HL001"), step_id("CP001")]},
                content_type="application/json")
    assert r.status_code == 404 and not Notice.objects.exists()
    r = hl.post("/api/arrears/steps/confirm", {"ids": [step_id("HL001")]}, content_type="application/json")
    assert r.status_code == 200
    assert r.json() == {"confirmed": 1, "notices": 1, "disclosures": 0, "confirmed_ids": [step_id("HL001")],
                        "skipped": []}
    n = Notice.objects.get()
    assert (n.total, n.figures["interest"]) == (1_812_420, 12_420)
    audit = AuditEvent.objects.get(action="confirm_case_step")
    assert (audit.actor, audit.detail["step"], audit.detail["notice"], audit.detail["source"]) == (
        "hl_off", "NOTICE", n.number, "API POST /api/arrears/steps/confirm")
    again = hl.post("/api/arrears/steps/confirm", {"ids": [step_id("HL001")]}, content_type="application/json")
    assert again.json()["skipped"] == [f"{step_id('HL001')}: confirmed"] and Notice.objects.count() == 1
    case = hl.get("/api/arrears/cases/HL001").json()
    assert case["step_reached"] == "NOTICE" and case["notices"][0]["total"] == 1_812_420
    assert case["steps"][0]["confirmed_by"] == "hl_off" and case["steps"][0]["notice"] == n.number
    viewer = client_for(province["users"]["hl_view"])
    r = viewer.post("/api/arrears/steps/confirm", {"ids": [step_id("CP001")]}, content_type="application/json")
    assert r.status_code == 403
    r = hl.post("/api/arrears/steps/confirm", {"ids": []}, content_type="application/json")
    assert r.status_code == 422 and r.json()["fields"] == {"ids": "at least one step id"}
    r = hl.post("/api/arrears/steps/confirm", {"ids": [2**70]}, content_type="application/json")
    assert r.status_code == 422 and "ids" in str(r.json()["fields"])  # beyond a database id: not a 500


def test_reward_check_one_and_a_batch(province: dict[str, Any]) -> None:
    hl = client_for(province["users"]["hl_mgr"])
    r = hl.get("/api/arrears/reward/5700100001?as_of=2025-10-31").json()
    assert r == {"unit": "HL001", "may_confirm": False, "as_of": "2025-10-31",
                 "reason": "còn nợ chậm đóng 900.000 đồng, 2 tháng, đến ngày 31/10/2025"}
    assert hl.get("/api/arrears/reward/HL002?as_of=2025-10-31").json()["may_confirm"] is True
    assert hl.get("/api/arrears/reward/CP001").status_code == 404
    r = hl.post("/api/arrears/reward", {"keys": ["HL001", "HL002", "CP001"], "as_of": "2025-10-31"},
                content_type="application/json").json()
    assert [(a["unit"], a["may_confirm"]) for a in r] == [("HL001", False), ("HL002", True), ("CP001", False)]
    assert r[2]["reason"] == "không tìm thấy đơn vị"  # another office's unit is not disclosed
    prov = client_for(province["users"]["prov"])
    r = prov.post("/api/arrears/reward", {"keys": ["CP001"], "as_of": "2025-10-31"},
                  content_type="application/json").json()
    assert r[0]["reason"] == "còn nợ chậm đóng 450.000 đồng, 1 tháng, đến ngày 31/10/2025"
    assert prov.post("/api/arrears/reward", {"keys": []}, content_type="application/json").status_code == 422
