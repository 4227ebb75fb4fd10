"""The follow-up form and "my work" on the hand-built province of helpers.py (closed through Oct 2025:
HL001 of the officer hl_off has an open case, 900,000 late, NOTICE proposed)."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sicollect.arrears.models import FollowUp
from sicollect.core.models import AuditEvent
from sicollect.registry.models import Unit

from .helpers import PASSWORD, as_user

pytestmark = pytest.mark.django_db

CALL = {"kind": "call", "contacted_on": "2025-11-01", "contact_name": "Kế toán trưởng", "outcome": "promised",
        "note": "hứa đóng tuần sau", "promise_amount": "900.000", "promise_date": "2025-11-05",
        "next_action": "gọi lại kế toán", "next_action_on": "2025-11-03", "next": "/units/HL001/"}


def test_an_officer_logs_a_call_and_sees_it_on_my_work(qn: dict[str, Any]) -> None:
    off = as_user(qn, "hl_off")
    r = off.post("/units/HL001/followup/", CALL)
    assert r.status_code == 302 and r["Location"] == "/units/HL001/"
    fu = FollowUp.objects.get()
    assert (fu.promise_amount, fu.actor, fu.case.unit.code) == (900_000, "hl_off", "HL001")
    assert AuditEvent.objects.get(action="log_followup").detail["source"] == "web POST /units/HL001/followup/"
    page = off.get("/units/HL001/").content.decode()
    assert "gọi lại kế toán" in page and "900.000 đ · 05/11/2025" in page
    assert "hứa đóng tuần sau" in off.get("/arrears/cases/HL001/").content.decode()
    # 3 Nov 2025 is a Monday: the action is due today, the promise (Wed 5 Nov) this week
    work = off.get("/work/?today=2025-11-03")
    assert work.status_code == 200
    ctx = work.context
    assert [c.unit.code for c in ctx["cases"]] == ["HL001"] and str(ctx["cases"][0].last_contact) == "2025-11-01"
    assert [a.next_action for a in ctx["today_actions"]] == ["gọi lại kế toán"] and ctx["overdue_actions"] == []
    assert [p.promise_amount for p in ctx["promises"]] == [900_000]
    assert (ctx["case_count"], ctx["late_total"]) == (1, 900_000)
    later = off.get("/work/?today=2025-11-10").context  # next week: the action is overdue, no promise due
    assert [a.next_action for a in later["overdue_actions"]] == ["gọi lại kế toán"] and later["promises"] == []
    # another officer's page is not theirs to see; a bad day is a 400
    assert off.get("/work/?today=3-11-2025").status_code == 400
    assert as_user(qn, "hl_off2").get("/work/").context["cases"] == []


def test_bad_or_forbidden_entries_write_nothing(qn: dict[str, Any]) -> None:
    off = as_user(qn, "hl_off")
    r = off.post("/units/HL001/followup/", {**CALL, "promise_amount": "chín trăm", "next_action_on": ""})
    assert r.status_code == 400
    assert [(str(name), str(reason)) for name, reason in r.context["errors"]] == [
        ("Số tiền hứa đóng (đồng)", "một số nguyên đồng"),
        ("Ngày làm việc tiếp theo", "việc tiếp theo cần cả nội dung và ngày")]
    assert off.post("/units/CP001/followup/", CALL).status_code == 404
    assert as_user(qn, "hl_view").post("/units/HL001/followup/", CALL).status_code == 403
    assert off.post("/units/HL001/followup/", {**CALL, "next": "//evil.example/"})["Location"] == "/units/HL001/"
    assert FollowUp.objects.count() == 1  # only the last, valid one


def test_a_manager_sees_each_officer_and_reassigns(qn: dict[str, Any]) -> None:
    off, off2 = qn["users"]["hl_off"], qn["users"]["hl_off2"]
    mgr = as_user(qn, "hl_mgr")
    page = mgr.get(f"/work/?officer={off.pk}")
    assert [c.unit.code for c in page.context["cases"]] == ["HL001"]
    team = {t["user"].username: (t["cases"], t["late"]) for t in page.context["team"]}
    assert team["hl_off"] == (1, 900_000) and team["hl_off2"] == (0, 0) and "cp_off" not in team
    assert mgr.get(f"/work/?officer={qn['users']['cp_off'].pk}").status_code == 404
    assert as_user(qn, "hl_off").post("/work/reassign/", {"unit": "HL001", "officer_id": off2.pk}).status_code == 403
    r = mgr.post("/work/reassign/", {"unit": "HL001", "officer_id": off2.pk, "from": off.pk})
    assert r.status_code == 302 and r["Location"] == f"/work/?officer={off.pk}"
    assert Unit.objects.get(code="HL001").officer == off2
    # one shape for every audit row (core.audit.record): the officer before and after
    assert AuditEvent.objects.get(action="assign_officer").detail == {
        "before": {"officer": off.pk}, "after": {"officer": off2.pk}, "source": ""}
    assert mgr.post("/work/reassign/", {"officer_id": off2.pk}).status_code == 400


def test_an_officer_lands_on_my_work_a_manager_on_the_dashboard(qn: dict[str, Any]) -> None:
    c = Client()
    r = c.post("/login/", {"username": "hl_off", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/work/"
    r = Client().post("/login/", {"username": "hl_mgr", "password": PASSWORD})
    assert r["Location"] == "/"
    r = Client().post("/login/?next=/units/", {"username": "hl_off", "password": PASSWORD})
    assert r["Location"] == "/units/"


@pytest.mark.parametrize(("url", "field"), [
    ("/worklist/?officer=x", "officer"), ("/worklist/?min_amount=abc", "min_amount"),
    ("/worklist/?sort=nope", "sort"), ("/?as_of=2025-13-01", "as_of"), ("/arrears/?min_months=two", "min_months"),
    ("/plans/?period=fortnight", "period"), ("/plans/?level=street", "level"), ("/coverage/?as_of=31/10/2025", "as_of"),
])
def test_a_malformed_filter_is_a_400_naming_it_not_a_silent_fallback(qn: dict[str, Any], url: str, field: str) -> None:
    r = as_user(qn, "prov").get(url)
    assert r.status_code == 400
    assert r.context["errors"][0][0] == field and 'id="form-errors"' in r.content.decode()
    assert as_user(qn, "prov").get("/worklist/?min_amount=1.000.000&sort=code").status_code == 200
