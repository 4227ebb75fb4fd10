"""Posting to the append-only ledger, the C12-TS statement and the CLI."""
from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from sicollect.contributions.models import LedgerEntry
from sicollect.contributions.posting import post_units
from sicollect.contributions import statement as statement_module
from sicollect.contributions.statement import interest_lines, statement, statement_and_lines
from sicollect.core.months import Month

from .. import factories as f

pytestmark = pytest.mark.django_db


def raised_unit():
    """HI only, 10,000,000 from Jul 2025, paid 450,000 on the 20th of Jul, Aug, Sep; raised to
    12,000,000 from Jul by a declaration of 15 Oct 2025 with interest (see test_calculator)."""
    u = f.unit("TA0001")
    p = f.person()
    f.participation(u, p, "2025-07", None, 10_000_000, "HI")
    f.participation(u, p, "2025-07", None, 12_000_000, "HI", declared_on=date(2025, 10, 15), retro_interest=True)
    for m in (7, 8, 9):
        f.payment(u, date(2025, m, 20), 450_000, f"B{m}")
    return u


def test_statement_of_the_declaring_month_shows_the_adjustment_and_its_interest() -> None:
    """October 2025, HI column: opening 0 (Jul–Sep paid), assessed 540,000, adjusted 3 × 90,000 = 270,000,
    interest 2,484 (90,000 × 0.03 % × (61 + 31) days), nothing paid, closing 810,000 and 2,484."""
    u = raised_unit()
    post_units([u], Month(2025, 10))
    s = statement(u, Month(2025, 10))
    assert s["funds"]["HI"] == {
        "opening_principal": 0, "opening_interest": 0, "assessed": 540_000, "adjusted": 270_000,
        "interest_charged": 2_484, "paid_principal": 0, "paid_interest": 0,
        "closing_principal": 810_000, "closing_interest": 2_484,
    }
    assert s["funds"]["SI"]["assessed"] == 0
    assert s["total"]["closing_principal"] == 810_000
    assert s["headcount"] == {"opening": 1, "closing": 1}
    # The raise is booked at the close of October (RULES.md §4): it bears interest on its full amount
    # from each month's own deadline through the close, July 1 Sep … 31 Oct (61 days), August
    # 1 … 31 Oct (31 days); one line per contribution month.
    lines = interest_lines(u, Month(2025, 10))
    assert sorted((ln["month"], ln["from"], ln["to"], ln["days"], ln["base"]) for ln in lines) == [
        ("2025-07", "2025-09-01", "2025-10-31", 61, 90_000), ("2025-08", "2025-10-01", "2025-10-31", 31, 90_000),
    ]


def test_a_provisional_statement_and_its_interest_lines_run_the_calculator_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing posted, October 2025 not closed: the statement is provisional, computed in memory. The
    statement and its interest lines together run the calculator (``posting.differences``) once, not once
    each, and give what the two separate reads give: interest 2,484 in lines of 61 and 31 days."""
    u = raised_unit()
    runs = []
    real = statement_module.differences
    monkeypatch.setattr(statement_module, "differences", lambda *a, **k: runs.append(a) or real(*a, **k))
    data, lines = statement_and_lines(u, Month(2025, 10))
    assert len(runs) == 1
    assert data["provisional"] is True and data["funds"]["HI"]["interest_charged"] == 2_484
    assert sum(ln["amount"] for ln in lines) == 2_484 and sorted(ln["days"] for ln in lines) == [31, 61]
    assert (data, lines) == (statement(u, Month(2025, 10)), interest_lines(u, Month(2025, 10)))
    assert len(runs) == 3 and LedgerEntry.objects.count() == 0


def test_posting_twice_appends_nothing() -> None:
    u = raised_unit()
    first = post_units([u], Month(2025, 10))
    count = LedgerEntry.objects.count()
    second = post_units([u], Month(2025, 10))
    assert first.appended == count > 0
    assert second.appended == 0 and LedgerEntry.objects.count() == count


def test_a_payment_recorded_late_is_posted_as_corrections_not_edits() -> None:
    """October posted without the 20 Jul payment: the August payment went to July (oldest first)
    and September's to August. Recording July's payment later moves those allocations by
    appending corrections; the rows posted before stay as they were, and the balance is right again."""
    u = raised_unit()
    u.payments.get(payment_id="B7").delete()
    post_units([u], Month(2025, 10))
    before = {e.pk: e.amount for e in LedgerEntry.objects.all()}
    assert statement(u, Month(2025, 10))["funds"]["HI"]["closing_principal"] == 810_000 + 450_000
    f.payment(u, date(2025, 7, 20), 450_000, "B7")
    result = post_units([u], Month(2025, 10))
    assert result.corrections > 0
    assert {e.pk: e.amount for e in LedgerEntry.objects.filter(pk__in=before)} == before
    assert statement(u, Month(2025, 10))["funds"]["HI"]["closing_principal"] == 810_000


def test_overpayment_credit_in_the_statement() -> None:
    """HI 450,000 a month from July 2025; 1,000,000 paid 10 Jul. August: credit opens at 550,000,
    450,000 applied to August, closes at 100,000; August's HI is fully paid."""
    u = f.unit("TA0002")
    f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")
    f.payment(u, date(2025, 7, 10), 1_000_000)
    post_units([u], Month(2025, 9))
    aug = statement(u, Month(2025, 8))
    assert aug["credit"] == {"opening": 550_000, "received": 0, "applied": 450_000, "closing": 100_000}
    assert aug["funds"]["HI"]["paid_principal"] == 450_000
    assert aug["funds"]["HI"]["closing_principal"] == 0
    sep = statement(u, Month(2025, 9))
    assert sep["funds"]["HI"]["closing_principal"] == 350_000
    assert sep["credit"]["closing"] == 0


def test_cli_statement_json_and_text() -> None:
    u = raised_unit()
    out = StringIO()
    call_command("statement", u.code, period="2025-10", format="json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["unit"] == "TA0001" and data["period"] == "2025-10"
    assert set(data["funds"]) == {"SI", "HI", "UI", "OADI"}
    assert data["funds"]["HI"]["interest_charged"] == 2_484
    text = StringIO()
    call_command("statement", u.code, period="2025-10", format="text", stdout=text)
    assert "C12-TS" in text.getvalue() and "810.000" in text.getvalue()


def test_cli_ledger_lists_entries_with_running_balance() -> None:
    u = raised_unit()
    post_units([u], Month(2025, 10))
    out = StringIO()
    call_command("ledger", u.code, first="2025-10", last="2025-10", stdout=out)
    lines = out.getvalue().splitlines()
    assert any("adjustment" in ln and "90.000" in ln for ln in lines)
    assert lines[1].split()[-1] == "0"  # opening: July–September were paid
    # 540,000 due + 270,000 adjustments + 2,484 interest
    assert lines[-1].split()[7] == "812.484"

