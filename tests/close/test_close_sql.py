"""The set-based close equals the per-unit reference calculator, key by key, to the đồng."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from sicollect.arrears.cases import debts, debts_from_rows
from sicollect.close.sql import run_close
from sicollect.contributions.debts import Scope, unit_debts, unit_debts_many
from sicollect.close.sql.dialect import PostgresDialect, SqliteDialect
from sicollect.contributions.models import LedgerEntry
from sicollect.contributions.posting import account_of
from sicollect.core.months import Month
from sicollect.registry.models import Unit
from sicollect.rules.book import load_rulebook

from .. import factories as f
from ..dbutil import assert_every_interest_charge_explained

THROUGH = Month(2025, 12)


def ledger_by_key() -> dict[tuple[Any, ...], int]:
    have: dict[tuple[Any, ...], int] = defaultdict(int)
    for e in LedgerEntry.objects.all():
        have[(e.unit.code, e.period, e.posted_on, e.kind, e.fund, e.target, e.month, e.late_from, e.payment_id,
              e.source)] += e.amount
    return {k: v for k, v in have.items() if v}


def reference_by_key(through: Month = THROUGH) -> dict[tuple[Any, ...], int]:
    book = load_rulebook()
    want: dict[tuple[Any, ...], int] = defaultdict(int)
    for u in Unit.objects.order_by("code"):
        for e in account_of(u, through, book).entries:
            want[(u.code, *e.key)] += e.amount
    return {k: v for k, v in want.items() if v}


def assert_same(have: dict[tuple[Any, ...], int], want: dict[tuple[Any, ...], int]) -> None:
    diff = sorted((k for k in have.keys() | want.keys() if have.get(k) != want.get(k)), key=str)
    assert not diff, "first differences (key, set-based, reference):\n" + "\n".join(
        f"{k}: {have.get(k)} vs {want.get(k)}" for k in diff[:20])


def test_dialects_spell_what_differs() -> None:
    s, p = SqliteDialect(), PostgresDialect()
    assert s.least("a", "b") == "MIN(a, b)" and p.least("a", "b") == "LEAST(a, b)"
    assert s.date(date(2025, 7, 1)) == "'2025-07-01'" and p.date(date(2025, 7, 1)) == "DATE '2025-07-01'"
    assert "julianday" in s.days("x", "y") and p.days("x", "y") == "(x - y)"


def assert_month_end_debts_as_the_ledger_says(debts: dict[date, list[Any]] | None, months: int) -> None:
    """The debts the close computed at each month end from what is still owed (the aging reads them)
    are, unit by unit, what the KPI report's query reads from the ledger on that day."""
    assert debts is not None and len(debts) == months
    late = 0
    for day, found in sorted(debts.items()):
        want = sorted(unit_debts(Scope(None), day), key=lambda d: d.unit_id)
        assert sorted(found, key=lambda d: d.unit_id) == want, day
        late += sum(1 for d in found if d.late > 0)
    assert late > 0


@pytest.mark.django_db
def test_hand_built_units_both_ways() -> None:
    """The worked cases of test_calculator in one province: a retroactive raise with interest
    (October interest 2,484), a late decrease returned to credit, an overpayment, a quarterly unit,
    a debt across 1 Jul 2025 — the set-based close writes the same ledger as the reference."""
    f.worked_units()
    summary = run_close(Month(2025, 10))
    have = ledger_by_key()
    assert_same(have, reference_by_key(Month(2025, 10)))
    assert_month_end_debts_as_the_ledger_says(summary.debts, summary.months)
    october = Month(2025, 10)
    assert have[("A1", october, october.last_day, "interest", "HI", "interest", october, None, None, "")] == 2_484


@pytest.mark.django_db
@pytest.mark.parametrize("regions", [[1], [2, 3]])
def test_dues_by_differences_or_afresh_by_region_write_the_same_ledger(monkeypatch, regions) -> None:  # type: ignore[no-untyped-def]
    """A month's dues of a unit with a changed person come from last month's sums and that person's
    difference, unless the rules of the unit's region changed (then from every person afresh): told
    that ``regions`` changed every month as well as those that did, the close writes the reference's ledger."""
    from sicollect.close.sql.engine import SetClose

    changed = SetClose.rules_changed
    monkeypatch.setattr(SetClose, "rules_changed",
                        lambda self, period: sorted(set(changed(self, period)) | set(regions)))
    f.worked_units()
    run_close(Month(2025, 10))
    assert_same(ledger_by_key(), reference_by_key(Month(2025, 10)))


@pytest.fixture(scope="module")
def demo_unposted(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        call_command("demo", scale="small", seed=3, no_post=True)
        yield
        from ..dbutil import wipe_demo

        wipe_demo()


@pytest.mark.django_db
def test_demo_province_closed_both_ways_is_equal_to_the_dong(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """Every unit × month × fund × kind of the demo province: set-based close vs reference."""
    summary = run_close(THROUGH)
    assert summary.units == 200 and summary.months == 24
    have = ledger_by_key()
    assert len(have) > 40_000
    assert_same(have, reference_by_key())
    assert_month_end_debts_as_the_ledger_says(summary.debts, 24)
    # the arrears cases are synced from the close's own month-end debts: the ledger query's, row for row
    for day in (date(2024, 6, 30), date(2025, 12, 31)):
        computed = debts_from_rows(summary.debts.rows(day))  # type: ignore[union-attr]
        assert computed == debts(day) and sum(1 for d in computed.values() if d.late) > 5
    assert run_close(THROUGH).entries == 0  # a rerun appends nothing
    assert_every_interest_charge_explained(minimum=20)  # every charge's lines add up to it

    # The close ages every unit at every month end in one pass over the ledger: the same debts,
    # unit by unit, as the KPI report's query at each day on its own.
    days = [date(2024, 6, 30), date(2025, 2, 28), date(2025, 9, 15), date(2025, 9, 30), date(2025, 12, 31)]
    many = unit_debts_many(Scope(None), days, batch=2)
    for day in days:
        assert many[day] == unit_debts(Scope(None), day), day
    assert sum(1 for d in many[date(2025, 12, 31)] if d.late > 0) > 5
    assert connection.vendor in ("sqlite", "postgresql")
