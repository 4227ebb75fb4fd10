"""Year-end forecasts from the monthly series, with the seasonality of prior years.

**Revenue.** Each month's share of its year in the prior years, averaged over those years, is the
season ``s1 … s12`` (Σ = 1; a flat 1/12 each without a prior year). After ``n`` whole months with
``C`` collected, the year end is ``C ÷ (s1 + … + sn)``; the gap to the target ``T`` is ``T − that``;
what must be collected in each remaining month ``m`` to reach ``T`` is ``(T − C) × sm ÷ (s(n+1) + … +
s12)`` (split by largest remainder so the months sum to ``T − C`` exactly). Worked example: prior
years collected 10 % of their year in each of Jan … Apr and 7.5 % in each of May … Dec; this year
30,000,000 by the end of March: 30,000,000 ÷ 0.3 = 100,000,000 at year end. Target 120,000,000: gap
20,000,000; 90,000,000 to collect, 90,000,000 × 0.1 ÷ 0.7 = 12,857,143 in April and
90,000,000 × 0.075 ÷ 0.7 = 9,642,857 in each of May … December.

**Participants.** The year-end count is the count now plus the average change from the same month
to December in the prior years; without a prior year, the trend of this year so far (the change
since last December ÷ n × (12 − n)). The number to add per remaining month to reach the target is
``(target − count) ÷ (12 − n)``, rounded up.

**Debt ratio.** The interest-bearing debt at year end is the debt now × the average of
(December's debt ÷ the same month's debt) in the prior years (the debt now without a prior year);
the ratio is that over the revenue target, in %.
"""
from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from sicollect.close.debts import debts_at
from sicollect.contributions.debts import Scope
from sicollect.contributions.models import Payment
from sicollect.core.money import pct
from sicollect.coverage import counts

from .targets import split


def _round(x: Fraction) -> int:
    """Half away from zero, to the đồng."""
    sign = -1 if x < 0 else 1
    return sign * int(abs(x) + Fraction(1, 2))


def seasonality(prior: dict[int, list[int]]) -> list[Fraction]:
    """Each month's share of its year, averaged over the prior years with a non-zero total."""
    years = [months for months in prior.values() if sum(months) > 0]
    if not years:
        return [Fraction(1, 12)] * 12
    return [sum((Fraction(m[i], sum(m)) for m in years), Fraction(0)) / len(years) for i in range(12)]


@dataclass
class RevenueForecast:
    months_elapsed: int
    collected: int
    season: list[float]
    year_end: int
    target: int | None
    gap: int | None  # target − year end: > 0 short of the target
    still_to_collect: int | None  # target − collected
    needed_per_month: dict[int, int]  # month number → amount to reach the target
    projected_per_month: dict[int, int]  # month number → the forecast at this pace


def revenue_forecast(this_year: list[int], prior: dict[int, list[int]], target: int | None) -> RevenueForecast:
    """``this_year``: the collection of months 1 … n (whole months); ``prior``: year → 12 monthly
    amounts. Pure; the worked example is the module's."""
    n = len(this_year)
    season = seasonality(prior)
    collected = sum(this_year)
    elapsed = sum(season[:n], Fraction(0))
    year_end = _round(Fraction(collected) / elapsed) if elapsed > 0 else collected
    remaining = list(range(n + 1, 13))
    weights = season[n:]
    projected: dict[int, int] = {}
    needed: dict[int, int] = {}
    if remaining:
        lcm = 1
        for w in weights:
            lcm = lcm * w.denominator // _gcd(lcm, w.denominator)
        ints = [int(w * lcm) for w in weights]
        if sum(ints) > 0:
            projected = dict(zip(remaining, split(year_end - collected, ints), strict=True)) \
                if year_end - collected >= 0 else {m: 0 for m in remaining}
            if target is not None and target - collected > 0:
                needed = dict(zip(remaining, split(target - collected, ints), strict=True))
    return RevenueForecast(
        months_elapsed=n, collected=collected, season=[float(s) for s in season], year_end=year_end,
        target=target, gap=None if target is None else target - year_end,
        still_to_collect=None if target is None else max(target - collected, 0),
        needed_per_month=needed or ({m: 0 for m in remaining} if target is not None else {}),
        projected_per_month=projected,
    )


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


@dataclass
class StockForecast:
    count: int
    year_end: int
    target: int | None
    gap: int | None
    needed_per_month: int | None


def stock_forecast(now: int, last_december: int, months_elapsed: int, prior_changes: list[int],
                   target: int | None) -> StockForecast:
    """Participants: ``now`` at the end of month ``months_elapsed``; ``prior_changes``: December's
    count less the same month's in each prior year."""
    left = 12 - months_elapsed
    if prior_changes:
        change = _round(Fraction(sum(prior_changes), len(prior_changes)))
    elif months_elapsed:
        change = _round(Fraction(now - last_december, months_elapsed) * left)
    else:
        change = 0
    year_end = now + change
    needed = None
    if target is not None and left > 0:
        needed = max(0, -((now - target) // left))  # ceiling of (target − now) ÷ left
    return StockForecast(now, year_end, target, None if target is None else target - year_end, needed)


def debt_forecast(late_now: int, prior_ratios: list[tuple[int, int]], revenue_target: int | None) -> dict[str, Any]:
    """``prior_ratios``: (debt in the same month, debt in December) of each prior year."""
    usable = [(m, d) for m, d in prior_ratios if m > 0]
    if usable:
        factor = sum((Fraction(d, m) for m, d in usable), Fraction(0)) / len(usable)
    else:
        factor = Fraction(1)
    year_end = _round(late_now * factor)
    return {"late_now": late_now, "late_year_end": year_end, "factor": float(factor),
            "ratio_now_pct": pct(late_now, revenue_target), "ratio_year_end_pct": pct(year_end, revenue_target)}


# --------------------------------------------------------------------------- from the database


def monthly_revenue(scope: Scope, first_year: int, last: date) -> dict[int, list[int]]:
    """Year → 12 monthly totals of the units' payments (one query)."""
    qs = Payment.objects.filter(paid_on__gte=date(first_year, 1, 1), paid_on__lte=last)
    ids = scope.office_ids()
    if ids is not None:
        qs = qs.filter(unit__office_id__in=ids)
    out: dict[int, list[int]] = {}
    for month, total in qs.annotate(m=TruncMonth("paid_on")).values("m").annotate(s=Sum("amount")).values_list("m", "s"):
        out.setdefault(month.year, [0] * 12)[month.month - 1] += int(total)
    return out


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def forecast(as_of: date, office: Any = None, prior_years: int = 2) -> dict[str, Any]:
    """The year-end forecast of the province (``office`` None) or an office at ``as_of``: whole months
    only (``as_of`` on a month's last day counts that month)."""
    from .targets import parent_targets, province_office

    scope = Scope(office)
    year = as_of.year
    n = as_of.month if as_of == month_end(year, as_of.month) else as_of.month - 1
    last_whole = month_end(year, n) if n else date(year - 1, 12, 31)
    series = monthly_revenue(scope, year - prior_years, last_whole)
    this_year = series.get(year, [0] * 12)[:n]
    prior = {y: series[y] for y in range(year - prior_years, year) if y in series}
    plan = parent_targets(year, office or province_office())
    rev = revenue_forecast(this_year, prior, plan.get("revenue"))

    ids = scope.office_ids()
    def same_point(y: int) -> date:  # the prior year's date matching ``last_whole``
        return month_end(y, n) if n else date(y - 1, 12, 31)

    days = [last_whole, date(year - 1, 12, 31)]
    for y in prior:
        days += [same_point(y), date(y, 12, 31)]
    stock_at = {d: counts.participant_counts(ids, d) for d in sorted(set(days))}
    participants = {}
    for key in ("si_compulsory", "si_voluntary", "ui", "hi", "oadi"):
        changes = [stock_at[date(y, 12, 31)][key] - stock_at[same_point(y)][key] for y in prior]
        participants[key] = asdict(stock_forecast(stock_at[last_whole][key], stock_at[date(year - 1, 12, 31)][key],
                                                  n, changes, plan.get(key)))
    debt_days = sorted(set(days))
    debts = debts_at(scope, debt_days)
    late = {d: sum(x.late for x in debts[d] if x.late > 0) for d in debt_days}
    pairs = [(late[same_point(y)], late[date(y, 12, 31)]) for y in prior]
    debt = debt_forecast(late[last_whole], pairs, plan.get("revenue"))
    ceiling = plan.get("debt_ratio_ceiling_bp")
    debt["ceiling_pct"] = ceiling / 100 if ceiling is not None else None
    return {
        "as_of": as_of.isoformat(), "office": office.code if office else None, "through": last_whole.isoformat(),
        "revenue": asdict(rev), "participants": participants, "debt": debt,
        "prior_years": sorted(prior),
    }
