"""The reference calculator with worked numbers: deadlines, allocation, interest, credit, retroactive months."""
from __future__ import annotations

from datetime import date

from sicollect.contributions.assessment import Row, Terms
from sicollect.contributions.calculator import Account, PaymentIn, calculate
from sicollect.core.months import Month
from sicollect.rules.book import default_rulebook
from sicollect.rules.funds import Fund

BOOK = default_rulebook()
ALL = frozenset({"si", "hi", "ui", "oadi"})
HI = frozenset({"hi"})


def run(rows: list[Row], payments: list[PaymentIn], through: str, terms: Terms = Terms(region=1)) -> Account:
    return calculate(terms, rows, payments, BOOK, Month.parse(through))


def entries(account: Account, kind: str, **match: object) -> list[tuple[str, str, str, int]]:
    out = []
    for e in account.entries:
        if e.kind == kind and all(getattr(e, k) == v for k, v in match.items()):
            out.append((str(e.period), e.fund, str(e.month), e.amount))
    return out


def test_deadline_of_a_three_monthly_fisheries_unit() -> None:
    """Law 41/2024 Art. 34.4: a 3-monthly unit pays by the last day of the month after the cycle.

    August 2025 belongs to the cycle Jul–Sep, so it is due on 31 Oct 2025; a 6-monthly unit's
    August (cycle Jul–Dec) on 31 Jan 2026. Monthly payers: June 2025 (QĐ 595) on 30 Jun 2025,
    July 2025 (Law 41) on 31 Aug 2025.
    """
    assert BOOK.deadline(3, Month(2025, 8)) == date(2025, 10, 31)
    assert BOOK.deadline(3, Month(2025, 7)) == date(2025, 10, 31)
    assert BOOK.deadline(6, Month(2025, 8)) == date(2026, 1, 31)
    assert BOOK.deadline(1, Month(2025, 6)) == date(2025, 6, 30)
    assert BOOK.deadline(1, Month(2025, 7)) == date(2025, 8, 31)


def test_three_monthly_unit_is_not_late_before_its_cycle_deadline() -> None:
    """HI only, 10,000,000 → 450,000 a month for Jul, Aug, Sep 2025, nothing paid, quarterly.

    All three are due 31 Oct 2025: no interest through October. In November each is late every
    day (1 … 30 Nov = 30 days): 3 × 450,000 × 0.03 % × 30 = 12,150.
    """
    rows = [Row("p", Month(2025, 7), Month(2025, 9), 10_000_000, HI)]
    account = run(rows, [], "2025-11", Terms(region=1, cycle=3))
    dues = [e for e in account.entries if e.kind == "due"]
    assert {e.late_from for e in dues} == {date(2025, 11, 1)}
    assert entries(account, "interest") == [("2025-11", "HI", "2025-11", 12_150)]


def test_a_partial_payment_is_split_across_funds_in_legal_order() -> None:
    """Decree 233/2025 Art. 7.4: HI → UI → OĐ-TS → OADI → HT-TT.

    One employee at 10,000,000, August 2025: HT-TT 2,200,000 · OĐ-TS 300,000 · OADI 50,000 ·
    HI 450,000 · UI 200,000 (total 3,200,000). 800,000 paid on 25 Aug 2025 goes
    HI 450,000 → UI 200,000 → OĐ-TS 150,000 (of 300,000); nothing to OADI or HT-TT.
    """
    rows = [Row("p", Month(2025, 8), Month(2025, 8), 10_000_000, ALL)]
    account = run(rows, [PaymentIn("B1", date(2025, 8, 25), 800_000)], "2025-08")
    assert entries(account, "payment") == [
        ("2025-08", "HI", "2025-08", -450_000),
        ("2025-08", "UI", "2025-08", -200_000),
        ("2025-08", "SI_ST", "2025-08", -150_000),
    ]
    closing = account.balances[Month(2025, 8)]
    assert closing[Fund.SI_ST].principal == 150_000
    assert closing[Fund.SI_LT].principal == 2_200_000
    assert closing[Fund.OADI].principal == 50_000


def test_interest_is_paid_before_principal_and_rounded_once_per_fund_and_month() -> None:
    """HI 450,000 and UI 200,000 a month for Jul and Aug 2025, unpaid until 1 Oct 2025.

    September: only July is late (1 … 30 Sep, 30 days): HI 450,000 × 0.03 % × 30 = 4,050;
    UI 200,000 × 0.03 % × 30 = 1,800.
    1,000,000 paid on 1 Oct: HI interest 4,050 → HI Jul 450,000 → HI Aug 450,000 →
    UI interest 1,800 → UI Jul 94,150 (of 200,000).
    October UI: Jul 105,850 and Aug 200,000 late on each of 1 … 31 Oct:
    (105,850 + 200,000) × 0.03 % × 31 = 2,844.405 → 2,844 (one rounding; rounding each
    month separately would give 984 + 1,860 = 2,844 here too, but the exact sum is kept).
    """
    rows = [Row("p", Month(2025, 7), Month(2025, 8), 10_000_000, frozenset({"hi", "ui"}))]
    account = run(rows, [PaymentIn("B1", date(2025, 10, 1), 1_000_000)], "2025-10")
    assert entries(account, "interest") == [
        ("2025-09", "HI", "2025-09", 4_050), ("2025-09", "UI", "2025-09", 1_800), ("2025-10", "UI", "2025-10", 2_844),
    ]
    paid = [(e.fund, e.target, str(e.month), e.amount) for e in account.entries if e.kind == "payment"]
    assert paid == [
        ("HI", "interest", "2025-09", -4_050), ("HI", "principal", "2025-07", -450_000),
        ("HI", "principal", "2025-08", -450_000), ("UI", "interest", "2025-09", -1_800),
        ("UI", "principal", "2025-07", -94_150),
    ]
    october = next(e for e in account.entries if e.kind == "interest" and e.period == Month(2025, 10))
    assert october.detail["exact_ppm"] == 2_844_405_000
    assert {(s["month"], s["base"], s["days"], s["rate_ppm"]) for s in october.detail["segments"]} == {
        ("2025-07", 105_850, 31, 300), ("2025-08", 200_000, 31, 300),
    }


def test_interest_across_1_july_2025_uses_both_regimes() -> None:
    """HI 450,000 for May 2025 (due 31 May 2025 under QĐ 595), paid on 11 Aug 2025.

    June (monthly regime, ≥ 30 days late at 30 Jun: 30 days): 450,000 × 0.9666 % = 4,349.7 → 4,350.
    July (daily regime from 1 Jul): 450,000 × 0.03 % × 31 = 4,185.
    11 Aug: 458,535 pays June's 4,350, July's 4,185 and the 450,000; late at the end of
    1 … 10 Aug: 450,000 × 0.03 % × 10 = 1,350, charged with August and left unpaid.
    """
    rows = [Row("p", Month(2025, 5), Month(2025, 5), 10_000_000, HI)]
    account = run(rows, [PaymentIn("B1", date(2025, 8, 11), 458_535)], "2025-08")
    assert entries(account, "interest") == [
        ("2025-06", "HI", "2025-06", 4_350), ("2025-07", "HI", "2025-07", 4_185), ("2025-08", "HI", "2025-08", 1_350),
    ]
    june = next(e for e in account.entries if e.kind == "interest" and e.period == Month(2025, 6))
    assert june.detail["segments"] == [{
        "month": "2025-05", "regime": "monthly", "base": 450_000, "rate_ppm": 9_666, "days": 30,
        "from": "2025-06-01", "to": "2025-06-30",
    }]
    closing = account.balances[Month(2025, 8)][Fund.HI]
    assert (closing.principal, closing.interest) == (0, 1_350)


def test_monthly_regime_skips_amounts_less_than_30_days_late() -> None:
    """HI 450,000 for January 2025, due 31 Jan, unpaid: at 28 Feb it is 28 days late → no interest;
    at 31 Mar 59 days → 450,000 × 0.9666 % = 4,349.7 → 4,350."""
    rows = [Row("p", Month(2025, 1), Month(2025, 1), 10_000_000, HI)]
    account = run(rows, [], "2025-03")
    assert entries(account, "interest") == [("2025-03", "HI", "2025-03", 4_350)]


def test_an_overpayment_is_carried_forward_as_credit() -> None:
    """HI 450,000 a month from July 2025. 1,000,000 paid on 10 Jul 2025:
    July 450,000 paid, 550,000 credit. 1 Aug: August's 450,000 paid from credit (100,000 left).
    1 Sep: 100,000 of September paid from credit, 350,000 still owed (due 31 Oct, not late)."""
    rows = [Row("p", Month(2025, 7), None, 10_000_000, HI)]
    account = run(rows, [PaymentIn("B1", date(2025, 7, 10), 1_000_000)], "2025-09")
    assert account.credit == {Month(2025, 7): 550_000, Month(2025, 8): 100_000, Month(2025, 9): 0}
    assert entries(account, "payment") == [
        ("2025-07", "HI", "2025-07", -450_000), ("2025-08", "HI", "2025-08", -450_000),
        ("2025-09", "HI", "2025-09", -100_000),
    ]
    assert account.balances[Month(2025, 9)][Fund.HI].principal == 350_000
    assert entries(account, "interest") == []


def _raise_rows(retro: bool) -> list[Row]:
    return [
        Row("p", Month(2025, 7), None, 10_000_000, HI, seq=1),
        Row("p", Month(2025, 7), None, 12_000_000, HI, declared_on=date(2025, 10, 15), retro_interest=retro, seq=2),
    ]


ON_TIME = [PaymentIn(f"B{m}", date(2025, m, 20), 450_000) for m in (7, 8, 9)]


def test_a_retroactive_raise_with_interest_is_late_from_each_months_deadline() -> None:
    """10,000,000 from July 2025 (HI 450,000, paid on time each month), raised to 12,000,000
    from July by a declaration of 15 Oct 2025 that says interest applies.

    Adjustments posted 15 Oct: +90,000 for each of Jul, Aug, Sep (540,000 − 450,000).
    October's own due is 540,000. Late from each month's deadline: Jul from 1 Sep, Aug from
    1 Oct, Sep from 1 Nov. October interest, nothing paid: Jul 1 Sep … 31 Oct = 61 days,
    Aug 1 … 31 Oct = 31 days: 90,000 × 0.03 % × 92 = 2,484.
    """
    account = run(_raise_rows(retro=True), ON_TIME, "2025-10")
    assert entries(account, "adjustment") == [
        ("2025-10", "HI", "2025-07", 90_000), ("2025-10", "HI", "2025-08", 90_000), ("2025-10", "HI", "2025-09", 90_000),
    ]
    assert entries(account, "due", period=Month(2025, 10)) == [("2025-10", "HI", "2025-10", 540_000)]
    assert entries(account, "interest") == [("2025-10", "HI", "2025-10", 2_484)]
    assert [e.late_from for e in account.entries if e.kind == "adjustment"] == [
        date(2025, 9, 1), date(2025, 10, 1), date(2025, 11, 1),
    ]


def test_a_retroactive_raise_without_interest_is_late_from_the_declaring_months_deadline() -> None:
    """Same raise, declared without interest: the 270,000 is late only after October's deadline
    (30 Nov 2025), like October's own 540,000. No interest in Oct or Nov; in December
    (1 … 31 Dec, 31 days) on 270,000 + 540,000 = 810,000 × 0.03 % × 31 = 7,533."""
    account = run(_raise_rows(retro=False), ON_TIME, "2025-12")
    assert {e.late_from for e in account.entries if e.kind == "adjustment"} == {date(2025, 12, 1)}
    assert entries(account, "interest") == [("2025-12", "HI", "2025-12", 7_533)]


def test_a_late_decrease_returns_what_was_paid_to_credit() -> None:
    """A person at 10,000,000 (HI 450,000) paid for Jul and Aug 2025; on 5 Sep a declaration says
    they left at the end of June (wage 0 from July). The two months' 900,000 go back to the unit's
    credit and pay September's dues of nobody: credit stays 900,000."""
    rows = [
        Row("p", Month(2025, 7), None, 10_000_000, HI, seq=1),
        Row("p", Month(2025, 7), None, 0, HI, declared_on=date(2025, 9, 5), seq=2),
    ]
    pays = [PaymentIn("B7", date(2025, 7, 20), 450_000), PaymentIn("B8", date(2025, 8, 20), 450_000)]
    account = run(rows, pays, "2025-09")
    assert entries(account, "adjustment") == [("2025-09", "HI", "2025-07", -450_000), ("2025-09", "HI", "2025-08", -450_000)]
    assert account.credit[Month(2025, 9)] == 900_000
    assert account.balances[Month(2025, 9)][Fund.HI].principal == 0
