"""The per-unit reference calculator: a unit's whole account, month by month.

Given what a unit declared (participation rows), what it paid and the rules,
:func:`calculate` returns every ledger entry from the first contribution month
through a given month. It is pure (no database) and deterministic, and it is
the readable reference the set-based close is compared against.

The month, step by step
-----------------------
For each statement month P, in order of date:

1. On the day a **payment** arrives it is applied in the legal order of Decree
   233/2025 Art. 7.4: HI → UI → SI short-term (OĐ-TS) → OADI → SI long-term
   (HT-TT); within a fund interest before principal, oldest month first, to
   what is owed that day: the dues, adjustments and interest booked at earlier
   closes. What is left is a **credit** of the unit.
2. At the **close** of P (its last day) the month's bill is booked
   (RULES.md §4, "When dues are owed"): the **dues** of contribution month P,
   one entry per fund (see :mod:`.assessment`), each late from the day after
   its deadline (``RuleBook.deadline``); then, for each day of P on which a
   late **declaration** was made (a participation row declared after the
   months it covers), in order, the difference it makes to each earlier month
   as an **adjustment** of that month. An adjustment is late from that month's
   own deadline when the row says ``retro_interest``, otherwise from the
   deadline of month P; one late from its own deadline bears interest on its
   full amount up to the close that books it (it could not be paid before).
3. The credit then pays what was just booked, in the same legal order (the
   close day bears interest only on what is still unpaid after it, as on the
   day of a payment).
4. The month's **interest** is charged per fund (below), and credit pays it.

Why the close and not the first day: with a fund-major legal order, booking
P's dues on its first day would let a payment made in P + 1 for P's bill go to
P + 1's HI and UI first, leaving part of P unpaid at its deadline: an employer
who paid its bill exactly and on time would bear interest.

Interest
--------
Daily regime (from 1 Jul 2025, Law 41/2024 Art. 40): ``rate`` per day on the
late principal outstanding at the end of each day, from the day after the
deadline, simple. A payment counts on the day it arrives, so the day of
payment bears no interest: paid on the 3rd day after the deadline → 2 days.

Monthly regime (before 1 Jul 2025, QĐ 595): at the end of each month,
``rate`` × the principal then outstanding that is at least ``min_days_late``
(30) days past its deadline.

A debt that straddles 1 Jul 2025 is charged by the monthly regime through the
June month end and by the daily regime from 1 July.

Rounding: interest is summed exactly (in đồng × ppm) over all contribution
months and days of the charge month, and rounded to the đồng, half up, once
per unit × fund × month. Every charge keeps its segments: contribution month,
base, rate, days, regime.

Worked example: a wage of 10,000,000 on HI only owes 450,000 (4.5 %) for
2025-07, due 31 Aug 2025. Paid on 10 Sep 2025, it was late at the end of
1 … 9 Sep: 9 days × 0.03 % × 450,000 = 1,215 đ, charged with September.

Not modelled here (documented limits): the first step of Art. 7.4 (amounts of
employees now due a benefit are paid first) needs benefit data the office
does not keep in sicollect; interest already charged on an amount that a later
declaration reduces is not reversed.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sicollect.core.money import PPM, round_half_up
from sicollect.core.months import Month
from sicollect.rules.book import RuleBook
from sicollect.rules.funds import LEGAL_ORDER, Fund

from .assessment import FundAssessment, Row, Terms, assess

DAY = timedelta(days=1)

DUE = "due"
ADJUSTMENT = "adjustment"
INTEREST = "interest"
PAYMENT = "payment"
CREDIT = "credit"
PRINCIPAL = "principal"


@dataclass(frozen=True)
class PaymentIn:
    payment_id: object
    paid_on: date
    amount: int


@dataclass
class Entry:
    """A ledger entry before it is written (see ``models.LedgerEntry``)."""

    period: Month
    posted_on: date
    kind: str
    fund: str
    target: str
    month: Month | None
    amount: int
    late_from: date | None = None
    payment_id: object = None
    source: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.period, self.posted_on, self.kind, self.fund, self.target, self.month, self.late_from,
                self.payment_id, self.source)


@dataclass
class _Item:
    """A principal debt: one fund, one contribution month, one late-from date."""

    fund: Fund
    month: Month
    late_from: date
    outstanding: int
    seq: int


@dataclass
class _Charge:
    fund: Fund
    period: Month
    outstanding: int


@dataclass(frozen=True)
class Balance:
    principal: int
    interest: int


@dataclass
class Account:
    """What :func:`calculate` returns: the entries and the state after each month."""

    entries: list[Entry]
    balances: dict[Month, dict[Fund, Balance]]
    credit: dict[Month, int]


class _Calculator:
    def __init__(self, terms: Terms, rows: Sequence[Row], book: RuleBook) -> None:
        self.terms = terms
        self.rows = rows
        self.book = book
        self.items: dict[Fund, list[_Item]] = {f: [] for f in Fund}
        self.charges: dict[Fund, list[_Charge]] = {f: [] for f in Fund}
        self.credit = 0
        self.entries: dict[tuple[Any, ...], Entry] = {}
        self.seq = 0
        # interest of the month being calculated, exact (đồng × ppm), and its segments
        self.accrued: dict[Fund, int] = defaultdict(int)
        self.segments: dict[Fund, list[dict[str, Any]]] = defaultdict(list)

    # --- writing entries -----------------------------------------------------------------
    def post(self, entry: Entry) -> None:
        if entry.amount == 0:
            return
        existing = self.entries.get(entry.key)
        if existing is None:
            self.entries[entry.key] = entry
            return
        existing.amount += entry.amount
        parts = existing.detail.get("parts") or [existing.detail]
        existing.detail = {"parts": [*parts, entry.detail]}

    def deadline(self, month: Month) -> date:
        return self.book.deadline(self.terms.cycle, month)

    # --- new debt ----------------------------------------------------------------------
    def add_item(self, fund: Fund, month: Month, late_from: date, amount: int, on: date) -> None:
        """Record ``amount`` of new principal (negative: a decrease) known from ``on``."""
        if amount > 0:
            self.seq += 1
            self.items[fund].append(_Item(fund, month, late_from, amount, self.seq))
            if late_from < on:
                self.catch_up(fund, month, late_from, amount, on)
            return
        # A decrease: take it off what is still owed for that month, newest first; what
        # was already paid goes back to the unit's credit.
        remaining = -amount
        for item in sorted(self.items[fund], key=lambda i: i.seq, reverse=True):
            if item.month != month or remaining == 0:
                continue
            take = min(item.outstanding, remaining)
            item.outstanding -= take
            remaining -= take
        if remaining:
            period = Month.of(on)
            self.post(Entry(period, on, PAYMENT, fund, PRINCIPAL, month, remaining, source="to-credit"))
            self.post(Entry(period, on, CREDIT, "", "", None, remaining, source="decrease"))
            self.credit += remaining

    def catch_up(self, fund: Fund, month: Month, late_from: date, amount: int, on: date) -> None:
        """Interest on a retroactive amount for the days it was late before it was declared."""
        self.accrue_item(fund, month, late_from, amount, late_from, on - DAY)
        m = Month.of(late_from)
        while m.last_day < on:
            self.month_end_charge(fund, month, late_from, amount, m.last_day)
            m = m + 1

    # --- interest ---------------------------------------------------------------------------
    def accrue(self, start: date, end: date) -> None:
        """Daily-regime interest for the days ``start`` … ``end`` with today's balances."""
        if end < start:
            return
        for fund in Fund:
            for item in self.items[fund]:
                if item.outstanding > 0:
                    self.accrue_item(fund, item.month, item.late_from, item.outstanding, start, end)

    def accrue_item(self, fund: Fund, month: Month, late_from: date, base: int, start: date, end: date) -> None:
        start = max(start, late_from)
        if end < start:
            return
        cuts = [start, *self.book.interest_changes_between(start, end), end + DAY]
        for a, b in zip(cuts, cuts[1:]):
            rule = self.book.interest_on(a)
            if rule is None or rule.kind != "daily":
                continue
            days = (b - a).days
            self.accrued[fund] += base * rule.rate_ppm * days
            before = (a - DAY).isoformat()
            same = next((s for s in reversed(self.segments[fund])
                         if s["to"] == before and s["regime"] == "daily" and s["month"] == str(month)
                         and s["base"] == base and s["rate_ppm"] == rule.rate_ppm), None)
            if same is not None:  # the same principal on the next days (accrual is cut at the close): one line
                same["days"] += days
                same["to"] = (b - DAY).isoformat()
                continue
            self.segments[fund].append({
                "month": str(month), "regime": "daily", "base": base, "rate_ppm": rule.rate_ppm,
                "days": days, "from": a.isoformat(), "to": (b - DAY).isoformat(),
            })

    def month_end_charge(self, fund: Fund, month: Month, late_from: date, base: int, day: date) -> None:
        rule = self.book.interest_on(day)
        if rule is None or rule.kind != "monthly":
            return
        days_late = (day - late_from).days + 1
        if days_late < rule.min_days_late:
            return
        self.accrued[fund] += base * rule.rate_ppm
        self.segments[fund].append({
            "month": str(month), "regime": "monthly", "base": base, "rate_ppm": rule.rate_ppm,
            "days": days_late, "from": late_from.isoformat(), "to": day.isoformat(),
        })

    def charge_interest(self, period: Month) -> None:
        day = period.last_day
        for fund in Fund:
            for item in self.items[fund]:
                if item.outstanding > 0:
                    self.month_end_charge(fund, item.month, item.late_from, item.outstanding, day)
        for fund in Fund:
            exact = self.accrued.pop(fund, 0)
            segments = self.segments.pop(fund, [])
            amount = round_half_up(exact, PPM)
            if amount:
                self.charges[fund].append(_Charge(fund, period, amount))
                self.post(Entry(period, day, INTEREST, fund, INTEREST, period, amount,
                                detail={"exact_ppm": exact, "segments": segments}))

    # --- money in ----------------------------------------------------------------------
    def allocate(self, amount: int, on: date, payment_id: object, source: str) -> int:
        """Apply ``amount`` in the legal order; return what is left over."""
        period = Month.of(on)
        for fund in LEGAL_ORDER:
            for charge in self.charges[fund]:
                if amount == 0:
                    return 0
                take = min(charge.outstanding, amount)
                if take:
                    charge.outstanding -= take
                    amount -= take
                    self.post(Entry(period, on, PAYMENT, fund, INTEREST, charge.period, -take,
                                    payment_id=payment_id, source=source))
            for item in sorted(self.items[fund], key=lambda i: (i.month, i.late_from, i.seq)):
                if amount == 0:
                    return 0
                take = min(item.outstanding, amount)
                if take:
                    item.outstanding -= take
                    amount -= take
                    self.post(Entry(period, on, PAYMENT, fund, PRINCIPAL, item.month, -take,
                                    payment_id=payment_id, source=source))
        return amount

    def receive(self, payment: PaymentIn) -> None:
        left = self.allocate(payment.amount, payment.paid_on, payment.payment_id, "")
        if left:
            self.credit += left
            self.post(Entry(Month.of(payment.paid_on), payment.paid_on, CREDIT, "", "", None, left,
                            payment_id=payment.payment_id))

    def apply_credit(self, on: date) -> None:
        if self.credit <= 0:
            return
        left = self.allocate(self.credit, on, None, "credit")
        used = self.credit - left
        if used:
            self.credit = left
            self.post(Entry(Month.of(on), on, CREDIT, "", "", None, -used, source="applied"))

    # --- declarations ---------------------------------------------------------------------
    def post_dues(self, month: Month) -> None:
        on = month.last_day  # booked at the close of the month (RULES.md §4)
        # Rows declared during the month count for it; later ones are adjustments.
        known = [r for r in self.rows if not r.is_late_for(month)]
        late_from = self.deadline(month) + DAY
        for fund, a in assess(known, month, self.terms, self.book, date.max).items():
            self.post(Entry(month, on, DUE, fund.value, PRINCIPAL, month, a.amount, late_from=late_from,
                            detail=_assessment_detail(a)))
            self.add_item(fund, month, late_from, a.amount, on)

    def post_adjustments(self, declared_on: date, first: Month, on: date) -> None:
        """The effect of the rows declared on ``declared_on`` on the months before it, booked on ``on``
        (the close of the month they were declared in)."""
        period = Month.of(declared_on)
        todays = [r for r in self.rows if r.declared_on == declared_on]
        months = sorted({m for r in todays for m in _months_of(r, first, period - 1)})
        before = [r for r in self.rows if r.declared_on is None or r.declared_on < declared_on]
        plain = before + [r for r in todays if not r.retro_interest]
        every = plain + [r for r in todays if r.retro_interest]
        for month in months:
            old = assess(before, month, self.terms, self.book, date.max)
            mid = assess(plain, month, self.terms, self.book, date.max)
            new = assess(every, month, self.terms, self.book, date.max)
            # Rows without retro interest first, then those with it: each step's
            # difference is late from its own date.
            steps = ((False, old, mid), (True, mid, new))
            for retro, a_map, b_map in steps:
                late_from = (self.deadline(month) if retro else self.deadline(period)) + DAY
                for fund in Fund:
                    a, b = a_map.get(fund), b_map.get(fund)
                    delta = (b.amount if b else 0) - (a.amount if a else 0)
                    if not delta:
                        continue
                    self.post(Entry(period, on, ADJUSTMENT, fund.value, PRINCIPAL, month, delta,
                                    late_from=late_from, source=f"declared {declared_on.isoformat()}",
                                    detail={"declared_on": declared_on.isoformat(), "retro_interest": retro,
                                            "base_before": a.base if a else 0, "base_after": b.base if b else 0,
                                            "rate_ppm": (b or a).rate_ppm}))  # type: ignore[union-attr]
                    self.add_item(fund, month, late_from, delta, on)

    # --- state -----------------------------------------------------------------------------
    def snapshot(self) -> dict[Fund, Balance]:
        return {
            f: Balance(sum(i.outstanding for i in self.items[f]), sum(c.outstanding for c in self.charges[f]))
            for f in Fund
        }


def _months_of(row: Row, first: Month, last: Month) -> Iterable[Month]:
    start = max(row.from_month, first)
    end = last if row.to_month is None else min(row.to_month, last)
    return (Month.from_index(i) for i in range(start.index, end.index + 1))


def _assessment_detail(a: FundAssessment) -> dict[str, Any]:
    return {"base": a.base, "headcount": a.headcount, "rate_ppm": a.rate_ppm}


def calculate(
    terms: Terms,
    rows: Sequence[Row],
    payments: Iterable[PaymentIn],
    book: RuleBook,
    through: Month,
    first: Month | None = None,
) -> Account:
    """Every entry of one unit's account from its first contribution month through ``through``."""
    cutoff = through.last_day
    rows = [r for r in rows if r.declared_on is None or r.declared_on <= cutoff]
    pays = sorted((p for p in payments if p.paid_on <= cutoff), key=_payment_order)
    starts = [r.from_month for r in rows] + [Month.of(p.paid_on) for p in pays]
    if first is None:
        if not starts:
            return Account([], {}, {})
        first = min(starts)
    calc = _Calculator(terms, rows, book)
    declarations = sorted({r.declared_on for r in rows if r.declared_on is not None and r.declared_on >= first.first_day})
    balances: dict[Month, dict[Fund, Balance]] = {}
    credit: dict[Month, int] = {}
    p_i = d_i = 0
    for index in range(first.index, through.index + 1):
        period = Month.from_index(index)
        close = period.last_day
        cursor = period.first_day
        # Payments in the month pay what is already owed (earlier months' dues and interest); nothing
        # new is owed before the close (RULES.md §4, "When dues are owed").
        while p_i < len(pays) and pays[p_i].paid_on <= close:
            payment = pays[p_i]
            calc.accrue(cursor, payment.paid_on - DAY)
            cursor = payment.paid_on
            calc.receive(payment)
            p_i += 1
        calc.accrue(cursor, close - DAY)
        # The close: the month's dues and the late declarations made in it are booked, then the
        # credit (money received earlier) pays them, then the month's interest is charged.
        calc.post_dues(period)
        while d_i < len(declarations) and declarations[d_i] <= close:
            calc.post_adjustments(declarations[d_i], first, close)
            d_i += 1
        calc.apply_credit(close)
        calc.accrue(close, close)
        calc.charge_interest(period)
        calc.apply_credit(close)
        balances[period] = calc.snapshot()
        credit[period] = calc.credit
    # Stable sort: within a day and kind, entries stay in the order they were made
    # (for payments, the legal order of allocation).
    entries = sorted(calc.entries.values(), key=lambda e: (e.period, e.posted_on, _KIND_ORDER[e.kind]))
    return Account(entries, balances, credit)


def _payment_order(p: PaymentIn) -> tuple[date, int, str]:
    """Payments of a day go in the order they were recorded (database id; names in tests)."""
    if isinstance(p.payment_id, int):
        return (p.paid_on, p.payment_id, "")
    return (p.paid_on, 0, str(p.payment_id))


_KIND_ORDER = {DUE: 0, ADJUSTMENT: 1, PAYMENT: 2, CREDIT: 3, INTEREST: 4}
