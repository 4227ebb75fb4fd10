"""Amounts of voluntary SI and household HI (RULES.md §8), from effective-dated rule rows.

Pure functions over a :class:`CoverageBook` (a snapshot of the rows, like ``rules.RuleBook``)::

    >>> book = default_book()
    >>> voluntary(book, 1_500_000, "poor", Month(2025, 8)).person_pays
    165000
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

from sicollect.core.money import apply_rate
from sicollect.core.months import Month
from sicollect.rules.book import RuleBook, RuleMissing, default_rulebook, load_rulebook

from . import defaults


def _latest(rows: list[tuple[date, object]], when: date, what: str) -> object:
    i = bisect.bisect_right([r[0] for r in rows], when) - 1
    if i < 0:
        raise RuleMissing(f"no {what} in force on {when}")
    return rows[i][1]


class IncomeOutOfRange(ValueError):
    """A voluntary SI income below the poverty line or above the ceiling."""


@dataclass
class CoverageBook:
    rules: RuleBook
    voluntary: list[tuple[date, tuple[int, int, int]]] = field(default_factory=list)  # rate, min, multiple
    support: dict[str, list[tuple[date, int]]] = field(default_factory=dict)
    household: list[tuple[date, tuple[int, int, int, int, int]]] = field(default_factory=list)


def load_book() -> CoverageBook:
    from .models import HouseholdRule, VoluntaryRule, VoluntarySupport

    book = CoverageBook(load_rulebook())
    book.voluntary = [(r.valid_from, (r.rate_ppm, r.min_income, r.max_base_multiple)) for r in VoluntaryRule.objects.all()]
    for r in VoluntarySupport.objects.order_by("valid_from"):
        book.support.setdefault(r.category, []).append((r.valid_from, r.share_ppm))
    book.household = [(r.valid_from, (r.rate_ppm, r.second_ppm, r.third_ppm, r.fourth_ppm, r.fifth_on_ppm))
                      for r in HouseholdRule.objects.all()]
    return book


def default_book() -> CoverageBook:
    book = CoverageBook(default_rulebook())
    book.voluntary = sorted((v, (rate, low, mult)) for v, rate, low, mult, _s in defaults.VOLUNTARY)
    for category, v, share, _s in sorted(defaults.SUPPORT, key=lambda r: r[1]):
        book.support.setdefault(category, []).append((v, share))
    book.household = sorted((v, tuple(x)) for v, *x, _s in defaults.HOUSEHOLD)  # type: ignore[misc]
    return book


@dataclass(frozen=True)
class Voluntary:
    income: int
    total: int  # 22 % of the income
    support: int  # the State's part: a share of 22 % of the poverty line
    person_pays: int


def voluntary(book: CoverageBook, income: int, category: str, month: Month, months: int = 1) -> Voluntary:
    """One month's voluntary SI (× ``months`` for a 3/6/12-monthly or lump payment)."""
    rate, low, multiple = _latest(book.voluntary, month.first_day, "voluntary SI rule")  # type: ignore[misc]
    high = multiple * book.rules.base(month)
    if not low <= income <= high:
        raise IncomeOutOfRange(f"income {income:,} for {month} must be from {low:,} (poverty line) "
                               f"to {high:,} ({multiple} × base salary)")
    share = _latest(book.support.get(category, []), month.first_day, f"support for {category!r}")
    total = apply_rate(income, rate)
    support = apply_rate(apply_rate(low, rate), share)  # type: ignore[arg-type]
    return Voluntary(income, total * months, support * months, (total - support) * months)


def household(book: CoverageBook, members: int, month: Month) -> list[int]:
    """Monthly household HI per member in order: the 1st pays rate × base salary, the others a share of it."""
    rate, *shares = _latest(book.household, month.first_day, "household HI rule")  # type: ignore[misc]
    first = apply_rate(book.rules.base(month), rate)
    out = []
    for order in range(1, members + 1):
        out.append(first if order == 1 else apply_rate(first, shares[min(order, 5) - 2]))
    return out
