"""The follow-up log in the API, on the hand-built province of tests/web/helpers.py (HL001 of the
officer hl_off, 900,000 late on 31 Oct 2025; CP001 in another office)."""
from __future__ import annotations

from typing import Any

import pytest

from sicollect.arrears.models import FollowUp
from sicollect.core.models import AuditEvent

from .helpers import client_for

pytestmark = pytest.mark.django_db

CALL = {"unit": "HL001", "kind": "call", "contacted_on": "2025-11-03", "outcome": "promised",
        "contact_name": "Kế toán trưởng", "note": "hứa đóng trước 20/11", "promise_amount": 900000,
        "promise_date": "2025-11-20", "next_action": "gọi lại", "next_action_on": "2025-11-21"}


def test_an_officer_logs_a_call_with_a_promise_audited_and_scoped(province: dict[str, Any]) -> None:
    off = client_for(province["users"]["hl_off"])
    r = off.post("/api/arrears/followups", CALL, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["unit"], body["officer"], body["promise_amount"], body["promise_status"], body["next_action_on"]) == (
        "HL001", "hl_off", 900_000, "pending", "2025-11-21")
    assert body["case"] is not None
    a = AuditEvent.objects.get(action="log_followup")
    assert (a.actor, a.unit_code, a.detail["source"]) == ("hl_off", "HL001", "API POST /api/arrears/followups")
    items = off.get("/api/arrears/followups?unit=HL001&promise_status=pending").json()["items"]
    assert [i["id"] for i in items] == [body["id"]]
    # another office's unit: 404 both ways, nothing written
    cp = client_for(province["users"]["cp_off"])
    assert cp.get("/api/arrears/followups?unit=HL001").status_code == 404
    assert cp.get("/api/arrears/followups").json()["count"] == 0
    assert cp.post("/api/arrears/followups", CALL, content_type="application/json").status_code == 404
    # a viewer may read, not write
    view = client_for(province["users"]["hl_view"])
    assert view.post("/api/arrears/followups", CALL, content_type="application/json").status_code == 403
    assert view.get("/api/arrears/followups").json()["count"] == 1
    assert FollowUp.objects.count() == 1


def test_a_bad_entry_is_a_422_naming_each_field(province: dict[str, Any]) -> None:
    off = client_for(province["users"]["hl_off"])
    bad = {**CALL, "kind": "pigeon", "promise_date": "2025-11-01", "next_action": ""}
    r = off.post("/api/arrears/followups", bad, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["fields"] == {"kind": "one of call, visit, letter, email",
                                  "promise_date": "cannot be before the contact",
                                  "next_action": "the next action needs both a text and a date"}
    assert off.get("/api/arrears/followups?promise_status=maybe").status_code == 422
    assert not FollowUp.objects.exists() and not AuditEvent.objects.filter(action="log_followup").exists()
