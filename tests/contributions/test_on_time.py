"""RULES.md §4, "When dues are owed": a unit that declares on time and pays, by each deadline, exactly the
amount its latest statement shows as due never bears interest.

The property over random units (region, payment cycle, low-risk OADI, 1–4 persons with wages under the
floor, over the cap or between, any mix of funds, joining and leaving), months from Jan 2024 (the
monthly interest regime) through Dec 2026 (the daily one) and random payment days; plus the worked
example of the issue (unit A1) on the reference calculator and every set-based engine.

How the unit pays: for each deadline D of its months, the statement that shows every month due on D is
the one closed at the end of the cycle's last month X. The unit pays what that statement shows as due
(principal + interest − credit) on a day after X's close and no later than D; when D is X's own last
day (monthly payers before Jul 2025), on D itself, before that day's close.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sicollect.contributions.assessment import Row, Terms
from sicollect.contributions.calculator import PaymentIn, calculate
from sicollect.core.months import Month
from sicollect.rules.book import default_rulebook

from ..conftest import CASES_RAN

BOOK = default_rulebook()
EXAMPLES = 240
FUNDS = ("si", "hi", "ui", "oadi")
FIRST, LAST = Month(2024, 1), Month(2026, 12)
checked: list[int] = []


def due_after_close(terms: Terms, rows: list[Row], pays: list[PaymentIn], month: Month) -> int:
    """What the statement of ``month`` shows as due: principal + interest still owed − credit."""
    account = calculate(terms, rows, pays, BOOK, month, first=None)
    if month not in account.balances:
        return 0
    owed = sum(b.principal + b.interest for b in account.balances[month].values())
    return owed - account.credit[month]


def pay_on_time(terms: Terms, rows: list[Row], start: Month, end: Month, offsets: list[int]) -> list[PaymentIn]:
    """The payments of a unit that pays each statement by its deadline (see the module docstring)."""
    cycle_ends: dict[date, Month] = {}
    for i in range(start.index, end.index + 1):
        m = Month.from_index(i)
        deadline = BOOK.deadline(terms.cycle, m)
        cycle_ends[deadline] = max(cycle_ends.get(deadline, m), m)
    pays: list[PaymentIn] = []
    for n, (deadline, last) in enumerate(sorted(cycle_ends.items())):
        window = (deadline - last.last_day).days  # days after the close of ``last``, up to the deadline
        day = deadline if window == 0 else last.last_day + timedelta(days=1 + offsets[n % len(offsets)] % window)
        amount = due_after_close(terms, rows, pays, last)
        if amount > 0:
            pays.append(PaymentIn(f"P{n}", day, amount))
    return pays


months = st.integers(FIRST.index, LAST.index - 1).map(Month.from_index)


@st.composite
def units(draw: st.DrawFn) -> tuple[Terms, list[Row], Month, Month]:
    terms = Terms(region=draw(st.integers(1, 4)), cycle=draw(st.sampled_from((1, 3, 6))),
                  low_risk=draw(st.booleans()))
    start = draw(months)
    end = Month.from_index(min(LAST.index, start.index + draw(st.integers(2, 15))))
    rows = []
    for person in range(draw(st.integers(1, 4))):
        joined = Month.from_index(draw(st.integers(start.index, end.index)))
        left = draw(st.one_of(st.none(), st.integers(joined.index, end.index).map(Month.from_index)))
        wage = draw(st.one_of(st.integers(1_000_000, 6_000_000), st.integers(4_000_000, 60_000_000),
                              st.integers(50_000_000, 200_000_000)))
        funds = frozenset(draw(st.sets(st.sampled_from(FUNDS), min_size=1)))
        rows.append(Row(f"p{person}", joined, left, wage, funds))
    return terms, rows, start, end


@hsettings(max_examples=EXAMPLES, deadline=None)
@given(unit=units(), offsets=st.lists(st.integers(0, 1_000), min_size=1, max_size=6))
def test_a_unit_that_pays_each_statement_by_its_deadline_never_bears_interest(
        unit: tuple[Terms, list[Row], Month, Month], offsets: list[int]) -> None:
    terms, rows, start, end = unit
    pays = pay_on_time(terms, rows, start, end, offsets)
    account = calculate(terms, rows, pays, BOOK, end)
    interest = [(str(e.period), e.fund, e.amount, e.detail.get("segments")) for e in account.entries
                if e.kind == "interest"]
    assert interest == []
    checked.append(1)


def test_the_property_ran_on_enough_units() -> None:
    """Runs after the property (file order): it must have tried at least 200 generated units."""
    CASES_RAN["hypothesis on-time payers"] = f"{len(checked)} generated units paid each statement by its deadline, 0 interest"
    assert len(checked) >= 200


# --- the worked example: unit A1 ---------------------------------------------------------------------

A1 = Terms(region=1, cycle=1)
ALL = frozenset(FUNDS)


def a1_rows() -> list[Row]:
    """Unit A1, region I, monthly: two employees over the SI/HI cap (46,800,000) at 60,000,000 and one at
    16,628,749, in every fund: 2025-07 comes to 35,801,200 đ (SI/HI/OADI base 110,228,749, UI base
    136,628,749)."""
    wages = (60_000_000, 60_000_000, 16_628_749)
    return [Row(f"a{i}", Month(2025, 7), None, w, ALL) for i, w in enumerate(wages)]


def test_a1_pays_its_july_statement_on_20_august_and_bears_no_interest() -> None:
    """The statement of 2025-07 asks for the July dues, due 31 Aug 2025. Paid exactly on 20 Aug, they are
    paid in full: August's dues are not booked until August's close, so nothing of July is left for
    September's interest (before RULES.md §4, the payment first covered August's HI, UI and OADI and
    left 11,550,875 of July's HT-TT unpaid at its deadline, charged 11,550,875 × 0.03 % × 30 days =
    103,958 đ in September)."""
    rows = a1_rows()
    july = due_after_close(A1, rows, [], Month(2025, 7))
    assert july == 35_801_200
    account = calculate(A1, rows, [PaymentIn("A1-T7", date(2025, 8, 20), july)], BOOK, Month(2025, 9))
    assert [e for e in account.entries if e.kind == "interest"] == []
    # July's dues were booked at July's close; the payment pays them, fund by fund, HI first
    paid = [(e.posted_on, e.fund, str(e.month), -e.amount) for e in account.entries if e.kind == "payment"]
    assert paid == [(date(2025, 8, 20), "HI", "2025-07", 4_960_294), (date(2025, 8, 20), "UI", "2025-07", 2_732_575),
                    (date(2025, 8, 20), "SI_ST", "2025-07", 3_306_862), (date(2025, 8, 20), "OADI", "2025-07", 551_144),
                    (date(2025, 8, 20), "SI_LT", "2025-07", 24_250_325)]
    assert [e for e in account.entries if e.kind == "credit"] == []
    # September: July is settled; August's dues (due 30 Sep) are owed, not late
    assert account.balances[Month(2025, 9)]["HI"].interest == 0


# --- every engine: on-time payers in the database, closed by the set-based engines ------------------------

ON_TIME = [(region, cycle, start) for region in (1, 2, 3, 4) for cycle in (1, 3, 6) for start in ("2024-03", "2025-05")]
STAFF = ((5_000_000, "SI+HI+UI+OADI"), (70_000_000, "SI+HI+UI+OADI"), (9_000_000, "HI"))
ON_TIME_THROUGH = Month(2026, 3)


def on_time_province() -> None:
    """24 units, one per region × payment cycle × first month (Mar 2024: both interest regimes; May 2025: across
    the new deadlines of Jul 2025), three employees each (under the floor, over the caps, HI only); each pays
    every statement by its deadline, as :func:`pay_on_time` reads the statements."""
    from .. import factories as f

    for n, (region, cycle, start) in enumerate(ON_TIME):
        unit = f.unit(f"OT{n:03d}", region=region, cycle=cycle)
        rows = []
        for k, (wage, funds) in enumerate(STAFF):
            f.participation(unit, f.person(), start, None, wage, funds)
            rows.append(Row(f"p{k}", Month.parse(start), None, wage, frozenset(x.lower() for x in funds.split("+"))))
        terms = Terms(region=region, cycle=cycle)
        for p in pay_on_time(terms, rows, Month.parse(start), ON_TIME_THROUGH, [3, 17, 40]):
            f.payment(unit, p.paid_on, p.amount, f"OT{n:03d}-{p.payment_id}")


def assert_no_interest_and_the_reference_ledger() -> None:
    from sicollect.contributions.models import LedgerEntry

    from ..close.test_close_sql import assert_same, ledger_by_key, reference_by_key

    assert LedgerEntry.objects.filter(kind="due").count() > 1_000
    assert list(LedgerEntry.objects.filter(kind="interest").values_list("unit__code", "period", "amount")) == []
    assert_same(ledger_by_key(), reference_by_key(ON_TIME_THROUGH))


@pytest.mark.django_db
def test_on_time_payers_bear_no_interest_in_the_set_based_close() -> None:
    from sicollect.close.sql import run_close

    on_time_province()
    run_close(ON_TIME_THROUGH)
    assert_no_interest_and_the_reference_ledger()


@pytest.mark.django_db
def test_on_time_payers_bear_no_interest_on_duckdb() -> None:
    from sicollect.close.sql.duck import run_duckdb

    on_time_province()
    run_duckdb(ON_TIME_THROUGH)
    assert_no_interest_and_the_reference_ledger()
