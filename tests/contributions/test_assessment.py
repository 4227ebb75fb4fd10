"""Floors, caps and rates per contribution month (RULES.md §1)."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.contributions.assessment import Row, Terms, assess
from sicollect.core.months import Month
from sicollect.rules.book import default_rulebook, load_rulebook
from sicollect.rules.funds import Fund

ALL = frozenset({"si", "hi", "ui", "oadi"})
BOOK = default_rulebook()


def two_employees(month: str) -> list[Row]:
    m = Month.parse(month)
    return [Row("low", m, None, 3_000_000, ALL), Row("high", m, None, 60_000_000, ALL)]


def test_it_raises_wages_to_the_floor_and_cuts_them_at_the_cap() -> None:
    """Region I, March 2025: floor 4,960,000 (Decree 74/2024), base salary 2,340,000.

    SI/HI/OADI cap 20 × 2,340,000 = 46,800,000; UI cap 20 × 4,960,000 = 99,200,000.
    SI/HI/OADI base: 4,960,000 + 46,800,000 = 51,760,000.
    UI base:         4,960,000 + 60,000,000 = 64,960,000.
    HT-TT 22 % 11,387,200 · OĐ-TS 3 % 1,552,800 · OADI 0.5 % 258,800 · HI 4.5 % 2,329,200 · UI 2 % 1,299,200.
    """
    a = assess(two_employees("2025-03"), Month(2025, 3), Terms(region=1), BOOK, date.max)
    assert {f: x.amount for f, x in a.items()} == {
        Fund.SI_LT: 11_387_200, Fund.SI_ST: 1_552_800, Fund.OADI: 258_800, Fund.HI: 2_329_200, Fund.UI: 1_299_200,
    }
    assert a[Fund.SI_LT].base == 51_760_000
    assert a[Fund.UI].base == 64_960_000
    assert a[Fund.HI].headcount == 2


def test_it_uses_the_rules_in_force_for_the_contribution_month() -> None:
    """Region I, March 2024: floor 4,680,000 (Decree 38/2022), base salary 1,800,000 → cap 36,000,000.

    SI base 4,680,000 + 36,000,000 = 40,680,000 → HT-TT 22 % = 8,949,600.
    UI cap 20 × 4,680,000 = 93,600,000 → base 4,680,000 + 60,000,000 = 64,680,000 → 2 % = 1,293,600.
    """
    a = assess(two_employees("2024-03"), Month(2024, 3), Terms(region=1), BOOK, date.max)
    assert a[Fund.SI_LT].amount == 8_949_600
    assert a[Fund.UI].amount == 1_293_600


def test_region_iv_floor_from_2026() -> None:
    """Region IV, January 2026 (Decree 293/2025): floor 3,700,000; 3,000,000 declared → HI 4.5 % of 3,700,000 = 166,500."""
    rows = [Row("p", Month(2026, 1), None, 3_000_000, frozenset({"hi"}))]
    a = assess(rows, Month(2026, 1), Terms(region=4), BOOK, date.max)
    assert a == {Fund.HI: a[Fund.HI]} and a[Fund.HI].amount == 166_500


def test_low_risk_unit_pays_the_reduced_oadi_rate() -> None:
    """OADI 0.3 % instead of 0.5 % for an approved unit: 10,000,000 → 30,000."""
    rows = [Row("p", Month(2025, 8), None, 10_000_000, ALL)]
    a = assess(rows, Month(2025, 8), Terms(region=1, low_risk=True), BOOK, date.max)
    assert a[Fund.OADI].amount == 30_000
    assert a[Fund.SI_LT].amount == 2_200_000


def test_the_last_declaration_wins_and_zero_wage_means_left() -> None:
    """A row declared later supersedes: 10M in time, 12M declared 2025-10-15, then 0 declared 2025-11-02."""
    m = Month(2025, 7)
    rows = [
        Row("p", m, None, 10_000_000, frozenset({"hi"})),
        Row("p", m, None, 12_000_000, frozenset({"hi"}), declared_on=date(2025, 10, 15)),
        Row("p", Month(2025, 9), None, 0, frozenset({"hi"}), declared_on=date(2025, 11, 2)),
    ]
    assert assess(rows, Month(2025, 8), Terms(1), BOOK, date(2025, 10, 14))[Fund.HI].amount == 450_000
    assert assess(rows, Month(2025, 8), Terms(1), BOOK, date(2025, 10, 15))[Fund.HI].amount == 540_000
    assert assess(rows, Month(2025, 9), Terms(1), BOOK, date(2025, 11, 2)) == {}


@pytest.mark.django_db
def test_rules_in_the_database_match_rules_md() -> None:
    """The data migration loads RULES.md's values; lookups agree with the in-code defaults."""
    db = load_rulebook()
    for month in (Month(2024, 3), Month(2025, 6), Month(2025, 7), Month(2026, 1), Month(2026, 7)):
        for region in (1, 2, 3, 4):
            assert db.floor(region, month) == BOOK.floor(region, month)
            for fund in Fund:
                assert db.cap(fund, region, month) == BOOK.cap(fund, region, month)
                assert db.rate_ppm(fund, month) == BOOK.rate_ppm(fund, month)
        for cycle in (1, 3, 6):
            assert db.deadline(cycle, month) == BOOK.deadline(cycle, month)
    assert db.cap(Fund.HI, 1, Month(2026, 7)) == 50_600_000
