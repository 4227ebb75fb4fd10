"""An in-memory snapshot of the rules, looked up by contribution month or day.

The calculator is pure: it takes a :class:`RuleBook`, never the database, so a
test can build one by hand and a close loads it once for a whole province.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

from sicollect.core.months import Month

from .funds import Fund


class RuleMissing(LookupError):
    """No rule row is in force for the month or day asked."""


def _latest(rows: list[tuple[date, object]], when: date, what: str) -> object:
    keys = [r[0] for r in rows]
    i = bisect.bisect_right(keys, when) - 1
    if i < 0:
        raise RuleMissing(f"no {what} in force on {when}")
    return rows[i][1]


@dataclass(frozen=True)
class InterestRule:
    valid_from: date
    kind: str  # "daily" | "monthly"
    rate_ppm: int
    min_days_late: int


@dataclass
class RuleBook:
    # (fund, variant) -> sorted [(valid_from first day, total ppm of employer + employee)]
    rates: dict[tuple[Fund, str], list[tuple[date, int]]] = field(default_factory=dict)
    regional_minimum: dict[int, list[tuple[date, int]]] = field(default_factory=dict)
    base_salary: list[tuple[date, int]] = field(default_factory=list)
    caps: dict[Fund, list[tuple[date, tuple[int, str]]]] = field(default_factory=dict)
    deadlines: dict[int, list[tuple[date, int]]] = field(default_factory=dict)
    interest: list[InterestRule] = field(default_factory=list)

    # --- contribution month lookups -------------------------------------------------
    def rate_ppm(self, fund: Fund, month: Month, low_risk: bool = False) -> int:
        """Employer + employee rate of ``fund`` for ``month``."""
        variant = "low_risk" if low_risk and (fund, "low_risk") in self.rates else "standard"
        return _latest(self.rates.get((fund, variant), []), month.first_day, f"{fund} rate")  # type: ignore[return-value]

    def floor(self, region: int, month: Month) -> int:
        """The regional minimum wage in force on the first day of ``month``."""
        return _latest(self.regional_minimum.get(region, []), month.first_day, f"regional minimum (region {region})")  # type: ignore[return-value]

    def base(self, month: Month) -> int:
        return _latest(self.base_salary, month.first_day, "base salary")  # type: ignore[return-value]

    def cap(self, fund: Fund, region: int, month: Month) -> int:
        multiple, basis = _latest(self.caps.get(fund, []), month.first_day, f"{fund} cap")  # type: ignore[misc]
        reference = self.base(month) if basis == "base_salary" else self.floor(region, month)
        return multiple * reference

    def deadline(self, cycle: int, month: Month) -> date:
        """The last day a contribution month may be paid without being late.

        Cycles follow the calendar: a 3-monthly unit's August belongs to Jul–Sep,
        so under Law 41/2024 it is due on 31 Oct.
        """
        months_after = _latest(self.deadlines.get(cycle, []), month.first_day, f"deadline rule (cycle {cycle})")
        cycle_end = Month(month.year, ((month.month - 1) // cycle + 1) * cycle)
        return (cycle_end + int(months_after)).last_day  # type: ignore[arg-type]

    # --- interest ---------------------------------------------------------------------
    def interest_on(self, day: date) -> InterestRule | None:
        keys = [r.valid_from for r in self.interest]
        i = bisect.bisect_right(keys, day) - 1
        return self.interest[i] if i >= 0 else None

    def interest_changes_between(self, start: date, end: date) -> list[date]:
        """Days in ``(start, end]`` on which a new interest regime takes effect."""
        return [r.valid_from for r in self.interest if start < r.valid_from <= end]


def load_rulebook() -> RuleBook:
    """Read every rule row once."""
    from . import models as m

    book = RuleBook()
    totals: dict[tuple[Fund, str, date], int] = {}
    for r in m.ContributionRate.objects.all():
        key = (Fund(r.fund), r.variant, r.valid_from.first_day)
        totals[key] = totals.get(key, 0) + r.rate_ppm
    # A low-risk variant lists only the employer share; the employee share of the
    # standard row (none for OADI today) still applies.
    for (fund, variant, valid_from), ppm in sorted(totals.items()):
        book.rates.setdefault((fund, variant), []).append((valid_from, ppm))
    for r in m.RegionalMinimumWage.objects.order_by("valid_from"):
        book.regional_minimum.setdefault(r.region, []).append((r.valid_from, r.amount))
    book.base_salary = [(r.valid_from, r.amount) for r in m.BaseSalary.objects.order_by("valid_from")]
    for r in m.WageCap.objects.order_by("valid_from"):
        book.caps.setdefault(Fund(r.fund), []).append((r.valid_from.first_day, (r.multiple, r.basis)))
    for r in m.DeadlineRule.objects.order_by("valid_from"):
        book.deadlines.setdefault(r.cycle, []).append((r.valid_from.first_day, r.months_after))
    book.interest = [
        InterestRule(r.valid_from, r.kind, r.rate_ppm, r.min_days_late)
        for r in m.InterestRegime.objects.order_by("valid_from")
    ]
    return book


def default_rulebook() -> RuleBook:
    """The RULES.md values without a database (for pure tests and tools)."""
    from . import defaults as d

    book = RuleBook()
    totals: dict[tuple[Fund, str, date], int] = {}
    for fund, _party, variant, valid_from, ppm, _src in d.RATES:
        key = (Fund(fund), variant, Month.parse(valid_from).first_day)
        totals[key] = totals.get(key, 0) + ppm
    for (fund, variant, valid_from), ppm in sorted(totals.items()):
        book.rates.setdefault((fund, variant), []).append((valid_from, ppm))
    for region, valid_from, amount, _src in sorted(d.REGIONAL_MINIMUM, key=lambda r: r[1]):
        book.regional_minimum.setdefault(region, []).append((valid_from, amount))
    book.base_salary = [(v, a) for v, a, _s in sorted(d.BASE_SALARY)]
    for fund, valid_from, multiple, basis, _src in d.CAPS:
        book.caps.setdefault(Fund(fund), []).append((Month.parse(valid_from).first_day, (multiple, basis)))
    for cycle, valid_from, months_after, _src in sorted(d.DEADLINES, key=lambda r: r[1]):
        book.deadlines.setdefault(cycle, []).append((Month.parse(valid_from).first_day, months_after))
    book.interest = [InterestRule(v, k, r, m) for v, k, r, m, _s in sorted(d.INTEREST)]
    return book
