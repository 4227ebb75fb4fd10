"""What a unit owes for one contribution month, per fund (the assessment).

Worked example (region I, contribution month 2025-03, base salary 2,340,000,
regional minimum 4,960,000): two employees on SI+HI+UI+OADI, one declared at
3,000,000 (below the floor) and one at 60,000,000 (above the cap).

* SI, HI and OADI count each wage between the floor and 20 × base salary
  (46,800,000): 4,960,000 + 46,800,000 = 51,760,000.
* UI is capped at 20 × the regional minimum (99,200,000), so the second wage
  stays 60,000,000: 4,960,000 + 60,000,000 = 64,960,000.
* Amounts (employer + employee, rounded half up once per unit × month × fund):
  HT-TT 22 % → 11,387,200; OĐ-TS 3 % → 1,552,800; OADI 0.5 % → 258,800;
  HI 4.5 % → 2,329,200; UI 2 % → 1,299,200.

Which declaration counts: for one person, unit and month, the row declared
last wins (rows declared in time come first), so a retroactive raise or a
late decrease (a row with wage 0) supersedes what was declared before.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sicollect.core.money import apply_rate
from sicollect.core.months import Month
from sicollect.rules.book import RuleBook
from sicollect.rules.funds import FLAG_OF_FUND, Fund

_EARLIEST = date.min


@dataclass(frozen=True)
class Row:
    """A participation row as the calculator sees it (no database)."""

    person: object
    from_month: Month
    to_month: Month | None
    wage: int
    funds: frozenset[str]  # subset of {"si", "hi", "ui", "oadi"}
    declared_on: date | None = None
    retro_interest: bool = False
    seq: int = 0  # tie-breaker: the database id

    def covers(self, month: Month) -> bool:
        return self.from_month <= month and (self.to_month is None or month <= self.to_month)

    @property
    def precedence(self) -> tuple[date, Month, int]:
        return (self.declared_on or _EARLIEST, self.from_month, self.seq)

    def is_late_for(self, month: Month) -> bool:
        """Declared after ``month`` ended: it changes a past month."""
        return self.declared_on is not None and self.declared_on > month.last_day


@dataclass(frozen=True)
class Terms:
    """What of the unit the calculation depends on."""

    region: int
    cycle: int = 1
    low_risk: bool = False


@dataclass(frozen=True)
class FundAssessment:
    base: int  # sum of clamped wages
    headcount: int
    rate_ppm: int
    amount: int


def effective_rows(rows: Iterable[Row], month: Month, known_on: date) -> dict[object, Row]:
    """Per person, the row in force for ``month`` among those declared by ``known_on``."""
    chosen: dict[object, Row] = {}
    for row in rows:
        if not row.covers(month):
            continue
        if row.declared_on is not None and row.declared_on > known_on:
            continue
        current = chosen.get(row.person)
        if current is None or row.precedence > current.precedence:
            chosen[row.person] = row
    return chosen


def assess(rows: Iterable[Row], month: Month, terms: Terms, book: RuleBook, known_on: date) -> dict[Fund, FundAssessment]:
    """The amounts due for ``month`` per fund, as declared by ``known_on``.

    Funds nobody pays into that month are left out.
    """
    effective = [r for r in effective_rows(rows, month, known_on).values() if r.wage > 0]
    floor = book.floor(terms.region, month)
    result: dict[Fund, FundAssessment] = {}
    for fund in Fund:
        flag = FLAG_OF_FUND[fund]
        payers = [r for r in effective if flag in r.funds]
        if not payers:
            continue
        cap = book.cap(fund, terms.region, month)
        base = sum(min(max(r.wage, floor), cap) for r in payers)
        rate = book.rate_ppm(fund, month, low_risk=terms.low_risk)
        result[fund] = FundAssessment(base=base, headcount=len(payers), rate_ppm=rate, amount=apply_rate(base, rate))
    return result


def headcount(rows: Iterable[Row], month: Month, known_on: date) -> int:
    return sum(1 for r in effective_rows(rows, month, known_on).values() if r.wage > 0)
