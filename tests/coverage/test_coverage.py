"""Voluntary SI and household HI (RULES.md §8), and how they count in the KPI report."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.core.months import Month
from sicollect.coverage.calc import IncomeOutOfRange, default_book, household, load_book, voluntary
from sicollect.coverage.models import Household, HouseholdMember, VoluntaryEnrolment, VoluntarySupport
from sicollect.registry.models import Commune, Office, Participation
from sicollect.reports.kpi import kpi

from .. import factories as f
from ..reports.test_kpi import build_province

AUG_2025 = Month(2025, 8)


def test_a_six_member_household_in_2025_and_after_the_2026_base_salary() -> None:
    """Base salary 2,340,000 (from 1 Jul 2024): the 1st member 4.5 % = 105,300; the 2nd 70 % of it
    73,710; the 3rd 60 % 63,180; the 4th 50 % 52,650; the 5th and 6th 40 % 42,120 each; 379,080 a month.
    From July 2026 the base is 2,530,000: 113,850, 79,695, 68,310, 56,925, 45,540, 45,540."""
    book = default_book()
    assert household(book, 6, AUG_2025) == [105_300, 73_710, 63_180, 52_650, 42_120, 42_120]
    assert sum(household(book, 6, AUG_2025)) == 379_080
    assert household(book, 6, Month(2026, 7)) == [113_850, 79_695, 68_310, 56_925, 45_540, 45_540]


@pytest.mark.parametrize(("category", "support", "pays"), [
    ("poor", 165_000, 165_000),  # 50 % of 22 % × 1,500,000 = 330,000
    ("near_poor", 132_000, 198_000),  # 40 %
    ("ethnic_minority", 99_000, 231_000),  # 30 %
    ("other", 66_000, 264_000),  # 20 %
])
def test_voluntary_si_at_the_poverty_line_for_each_support_category(category: str, support: int, pays: int) -> None:
    v = voluntary(default_book(), 1_500_000, category, AUG_2025)
    assert (v.total, v.support, v.person_pays) == (330_000, support, pays)


def test_support_before_july_2025_follows_the_older_decree() -> None:
    """June 2025 (Decree 134/2015): poor 30 % of 330,000 = 99,000, near-poor 25 % = 82,500, others 10 % = 33,000."""
    book = default_book()
    assert voluntary(book, 1_500_000, "poor", Month(2025, 6)).person_pays == 231_000
    assert voluntary(book, 1_500_000, "near_poor", Month(2025, 6)).person_pays == 247_500
    assert voluntary(book, 1_500_000, "other", Month(2025, 6)).person_pays == 297_000


def test_a_chosen_income_paid_three_monthly_and_the_income_bounds() -> None:
    """5,000,000 chosen, others, 3-monthly: 22 % = 1,100,000 a month, support 66,000 a month;
    one payment of 3 × 1,034,000 = 3,102,000. Bounds: 1,500,000 … 20 × 2,340,000 = 46,800,000."""
    book = default_book()
    v = voluntary(book, 5_000_000, "other", AUG_2025, months=3)
    assert (v.total, v.support, v.person_pays) == (3_300_000, 198_000, 3_102_000)
    assert voluntary(book, 46_800_000, "other", AUG_2025).total == 10_296_000
    with pytest.raises(IncomeOutOfRange, match="46,800,000"):
        voluntary(book, 46_800_001, "other", AUG_2025)
    with pytest.raises(IncomeOutOfRange, match="poverty line"):
        voluntary(book, 1_499_999, "other", AUG_2025)


@pytest.mark.django_db
def test_rule_rows_in_the_database_are_effective_dated_and_editable() -> None:
    """The migration loads the same rows as defaults.py; a new row from 2026 changes 2026 only."""
    db = load_book()
    assert (db.voluntary, db.support, db.household) == (
        default_book().voluntary, default_book().support, default_book().household)
    VoluntarySupport.objects.create(category="poor", valid_from=date(2026, 1, 1), share_ppm=600_000)
    db = load_book()
    assert voluntary(db, 1_500_000, "poor", Month(2025, 12)).support == 165_000
    assert voluntary(db, 1_500_000, "poor", Month(2026, 1)).support == 198_000


@pytest.mark.django_db
def test_voluntary_and_household_participants_count_in_the_kpi_report() -> None:
    """The hand-built province of test_kpi at 15 Oct 2025: 2 persons insured through units (A's and B's,
    with SI, HI and UI). Add a household of 3 in CP, one of whom is B's employee (counted once), and two
    voluntary members, one of whom stopped in June: HI 2 + 2 = 4 of a population of 10 = 40.00 %;
    SI 2 compulsory + 1 voluntary = 3 of a labour force of 8 = 37.50 %."""
    units = build_province()
    cp = Office.objects.get(code="CP")
    commune = Commune.objects.create(code="C1", name="Xã 1", office=cp)
    home = Household.objects.create(code="HGD1", head_name="Nguyễn Văn A", commune=commune, office=cp)
    b_employee = Participation.objects.get(unit=units["B"]).person
    for person in (b_employee, f.person(), f.person()):
        HouseholdMember.objects.create(household=home, person=person, from_month=Month(2025, 1))
    VoluntaryEnrolment.objects.create(person=f.person(), office=cp, income=2_000_000, from_month=Month(2025, 3))
    VoluntaryEnrolment.objects.create(person=f.person(), office=cp, income=2_000_000, from_month=Month(2025, 1),
                                      to_month=Month(2025, 6))
    data = kpi(date(2025, 10, 15))
    counts = {k: v["count"] for k, v in data["participants"].items()}
    assert counts == {"si_compulsory": 2, "si_voluntary": 1, "si_total": 3, "ui": 2, "hi": 4}
    assert data["coverage"] == {"hi_pct_population": 40.0, "si_pct_labour_force": 37.5}
    hl = kpi(date(2025, 10, 15), Office.objects.get(code="HL"))["participants"]
    assert (hl["hi"]["count"], hl["si_voluntary"]["count"]) == (1, 0)
