"""The year-end forecast on synthetic series with known answers (plans.forecast)."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.plans.forecast import debt_forecast, forecast, revenue_forecast, seasonality, stock_forecast
from sicollect.plans.models import PlanTarget

from .. import factories as f

# Two prior years with the same shape: 10 % of the year in each of Jan … Apr, 7.5 % in each of May … Dec.
PRIOR = {
    2023: [10_000_000] * 4 + [7_500_000] * 8,  # 100,000,000
    2024: [20_000_000] * 4 + [15_000_000] * 8,  # 200,000,000
}


def test_seasonality_is_each_months_average_share() -> None:
    season = seasonality(PRIOR)
    assert [float(s) for s in season] == [0.1] * 4 + [0.075] * 8 and sum(season) == 1
    assert seasonality({}) == seasonality({2024: [0] * 12}) == [seasonality({})[0]] * 12


def test_revenue_year_end_gap_and_amount_per_remaining_month() -> None:
    """30,000,000 by the end of March is 30 % of a seasonal year: 100,000,000 at year end. Target
    120,000,000: gap 20,000,000; 90,000,000 still to collect, in April 90,000,000 × 0.1 ÷ 0.7 = 12,857,142.9
    and in May … Dec 90,000,000 × 0.075 ÷ 0.7 = 9,642,857.1 each; the floors sum to 89,999,998 and the
    two đồng left go to the largest remainders, April (0.86) and May (the first of the equal 0.14):
    12,857,143 + 9,642,858 + 7 × 9,642,857 = 90,000,000. At this pace April brings 10,000,000 and each
    later month 7,500,000."""
    r = revenue_forecast([10_000_000, 12_000_000, 8_000_000], PRIOR, 120_000_000)
    assert (r.months_elapsed, r.collected, r.year_end, r.gap, r.still_to_collect) == (
        3, 30_000_000, 100_000_000, 20_000_000, 90_000_000)
    assert r.needed_per_month == {4: 12_857_143, 5: 9_642_858, **{m: 9_642_857 for m in range(6, 13)}}
    assert sum(r.needed_per_month.values()) == 90_000_000
    assert r.projected_per_month == {4: 10_000_000, **{m: 7_500_000 for m in range(5, 13)}}


def test_without_prior_years_the_year_is_flat() -> None:
    """9 months, 90,000,000: 120,000,000 at year end; target 150,000,000 needs 20,000,000 a month."""
    r = revenue_forecast([10_000_000] * 9, {}, 150_000_000)
    assert (r.year_end, r.gap) == (120_000_000, 30_000_000)
    assert r.needed_per_month == {10: 20_000_000, 11: 20_000_000, 12: 20_000_000}


def test_participants_and_debt_ratio() -> None:
    """Participants: 1,000 at end Sep; prior years grew by 30 and 50 from Sep to Dec → 1,040 at year end;
    target 1,100: 60 short, (1,100 − 1,000) ÷ 3 = 33.3 → 34 a month. Without prior years: 1,000 now,
    910 last December, 10 a month → 1,030. Debt: 50,000,000 late now; prior Decembers were 0.8 and
    0.6 of September → × 0.7 = 35,000,000; over a 2,000,000,000 plan 1.75 % (now 2.50 %)."""
    s = stock_forecast(1_000, 950, 9, [30, 50], 1_100)
    assert (s.year_end, s.gap, s.needed_per_month) == (1_040, 60, 34)
    assert stock_forecast(1_000, 910, 9, [], None).year_end == 1_030
    d = debt_forecast(50_000_000, [(10_000_000, 8_000_000), (20_000_000, 12_000_000)], 2_000_000_000)
    assert (d["late_year_end"], d["ratio_now_pct"], d["ratio_year_end_pct"]) == (35_000_000, 2.5, 1.75)


@pytest.mark.django_db
def test_forecast_from_the_payments_in_the_database() -> None:
    """One unit paying the PRIOR series in 2023 and 2024 on the 15th of each month, and 10,000,000,
    12,000,000 and 8,000,000 in Jan … Mar 2025; plan 120,000,000: the same answer as the pure test,
    as of 31 Mar 2025 (and as of 15 Apr, since only whole months count)."""
    qn = f.office("QN")
    u = f.unit("TA0001", office=qn)
    for year, months in PRIOR.items():
        for m, amount in enumerate(months, 1):
            f.payment(u, date(year, m, 15), amount)
    for m, amount in enumerate([10_000_000, 12_000_000, 8_000_000], 1):
        f.payment(u, date(2025, m, 15), amount)
    f.payment(u, date(2025, 4, 10), 1_000_000)
    PlanTarget.objects.create(year=2025, office=qn, indicator="revenue", value=120_000_000)
    for as_of in (date(2025, 3, 31), date(2025, 4, 15)):
        data = forecast(as_of)
        assert data["prior_years"] == [2023, 2024] and data["through"] == "2025-03-31"
        assert (data["revenue"]["year_end"], data["revenue"]["gap"]) == (100_000_000, 20_000_000)
        assert data["revenue"]["needed_per_month"][4] == 12_857_143
    assert data["debt"]["late_now"] == 0 and data["participants"]["hi"]["count"] == 0
