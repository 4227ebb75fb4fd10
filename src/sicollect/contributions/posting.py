"""Write the reference calculator's result into the append-only ledger.

Posting is idempotent: the calculator's entries through a month are compared,
key by key, with what the ledger already holds for those months, and only the
differences are appended (as corrections where a key already had rows). A
second run with the same data appends nothing.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from sicollect.core.months import Month
from sicollect.registry.models import Participation, Unit
from sicollect.rules.book import RuleBook, load_rulebook

from .assessment import Row, Terms
from .calculator import Account, PaymentIn, calculate
from .models import ClosedMonth, LedgerEntry, Payment

BATCH_UNITS = 200


def terms_of(unit: Unit) -> Terms:
    return Terms(region=unit.region, cycle=unit.payment_cycle, low_risk=unit.oadi_low_risk)


def row_of(p: Participation) -> Row:
    funds = frozenset(f for f in ("si", "hi", "ui", "oadi") if getattr(p, f))
    return Row(p.person_id, p.from_month, p.to_month, p.wage, funds, p.declared_on, p.retro_interest, p.pk)


def account_of(unit: Unit, through: Month, book: RuleBook | None = None) -> Account:
    """The reference calculation for one unit, read from the database."""
    book = book or load_rulebook()
    rows = [row_of(p) for p in Participation.objects.filter(unit=unit)]
    pays = [PaymentIn(p.pk, p.paid_on, p.amount) for p in Payment.objects.filter(unit=unit)]
    return calculate(terms_of(unit), rows, pays, book, through)


@dataclass
class PostResult:
    units: int = 0
    appended: int = 0
    corrections: int = 0


def _key_of_row(e: LedgerEntry) -> tuple[Any, ...]:
    return (e.period, e.posted_on, e.kind, e.fund, e.target, e.month, e.late_from, e.payment_id, e.source)


def _closed_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """Within closed months only the sums matter, not the day they were posted."""
    return key[2:]


def post_units(
    units: QuerySet[Unit] | Iterable[Unit],
    through: Month,
    progress: bool = False,
    closed_through: Month | None | bool = True,
) -> PostResult:
    """Bring the ledger of ``units`` up to date through ``through``.

    Months up to ``closed_through`` (default: the last month the close has
    locked) are never written again: what the calculation now finds different
    there (a payment or declaration recorded late) is appended to the first open
    month as corrections, with ``for_period`` set, and interest from the original
    deadlines.
    """
    if closed_through is True:
        closed_through = ClosedMonth.last()
    closed = closed_through or None
    if closed is not None and through <= closed:
        return PostResult()  # closed months are final
    book = load_rulebook()
    unit_list = list(units)
    result = PostResult()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(unit_list), desc="post ledger", unit="unit")
    for start in range(0, len(unit_list), BATCH_UNITS):
        batch = unit_list[start : start + BATCH_UNITS]
        _post_batch(batch, through, book, result, closed)
        if bar:
            bar.update(len(batch))
    if bar:
        bar.close()
    return result


def _post_batch(units: list[Unit], through: Month, book: RuleBook, result: PostResult, closed: Month | None) -> None:
    """Append the batch's differences, under a lock on its units: two posters at once never both append
    the same difference (the second reads the ledger after the first has written it)."""
    with transaction.atomic():
        lock_units([u.pk for u in units])
        new_rows = differences(units, through, book, closed)
        LedgerEntry.objects.bulk_create(new_rows, batch_size=2000)
    result.units += len(units)
    result.appended += len(new_rows)
    result.corrections += sum(1 for r in new_rows if r.is_correction)


def lock_units(ids: list[int]) -> None:
    """Take the posting lock on ``ids`` until the end of the transaction. PostgreSQL: the units' rows
    ``FOR UPDATE``, in id order (no deadlock between two posters of overlapping batches). SQLite has
    one writer at a time: a transaction takes the write lock at ``BEGIN IMMEDIATE`` (settings:
    ``transaction_mode``), before it reads the ledger."""
    if connection.vendor == "postgresql" and ids:
        list(Unit.objects.filter(pk__in=ids).order_by("pk").select_for_update().values_list("pk", flat=True))


def differences(units: list[Unit], through: Month, book: RuleBook | None = None,
                closed: Month | None | bool = True) -> list[LedgerEntry]:
    """The ledger rows (not saved) that posting ``units`` through ``through`` would append: what the
    reference calculation finds that the ledger does not hold yet, key by key. Reading only."""
    if closed is True:
        closed = ClosedMonth.last()
    closed = closed or None
    book = book or load_rulebook()
    ids = [u.pk for u in units]
    rows: dict[int, list[Row]] = defaultdict(list)
    for p in Participation.objects.filter(unit_id__in=ids):
        rows[p.unit_id].append(row_of(p))
    pays: dict[int, list[PaymentIn]] = defaultdict(list)
    for p in Payment.objects.filter(unit_id__in=ids).only("pk", "unit_id", "paid_on", "amount"):
        pays[p.unit_id].append(PaymentIn(p.pk, p.paid_on, p.amount))
    open_have: dict[int, dict[tuple[Any, ...], int]] = defaultdict(lambda: defaultdict(int))
    closed_have: dict[int, dict[tuple[Any, ...], int]] = defaultdict(lambda: defaultdict(int))
    for e in LedgerEntry.objects.filter(unit_id__in=ids, period__lte=max(through, closed or through)):
        scope = e.for_period or e.period
        if closed is not None and scope <= closed:
            closed_have[e.unit_id][_closed_key(_key_of_row(e))] += e.amount
        elif e.period <= through:
            open_have[e.unit_id][_key_of_row(e)] += e.amount
    new_rows: list[LedgerEntry] = []
    for unit in units:
        account = calculate(terms_of(unit), rows[unit.pk], pays[unit.pk], book, through)
        open_want: dict[tuple[Any, ...], int] = defaultdict(int)
        closed_want: dict[tuple[Any, ...], int] = defaultdict(int)
        details: dict[tuple[Any, ...], dict[str, Any]] = {}
        for entry in account.entries:
            if closed is not None and entry.period <= closed:
                closed_want[_closed_key(entry.key)] += entry.amount
                details[_closed_key(entry.key)] = entry.detail
            else:
                open_want[entry.key] += entry.amount
                details[entry.key] = entry.detail
        have = open_have[unit.pk]
        for key in open_want.keys() | have.keys():
            delta = open_want.get(key, 0) - have.get(key, 0)
            if delta:
                new_rows.append(_row(unit, key, delta, key in have, details.get(key, {"reversal": True})))
        if closed is not None:
            have = closed_have[unit.pk]
            opening = closed + 1
            for key in closed_want.keys() | have.keys():
                delta = closed_want.get(key, 0) - have.get(key, 0)
                if delta:
                    full = (opening, opening.first_day, *key)
                    new_rows.append(_row(unit, full, delta, True, details.get(key, {"reversal": True}), closed))
    return new_rows


def _row(unit: Unit, key: tuple[Any, ...], amount: int, correction: bool, detail: dict[str, Any],
         for_period: Month | None = None) -> LedgerEntry:
    period, posted_on, kind, fund, target, month, late_from, payment_id, source = key
    return LedgerEntry(
        unit=unit, period=period, posted_on=posted_on, kind=kind, fund=fund, target=target, month=month,
        late_from=late_from, payment_id=payment_id, source=source, amount=amount, detail=detail,
        is_correction=correction, for_period=for_period,
    )


def post_unit(unit: Unit, through: Month) -> PostResult:
    return post_units([unit], through)
