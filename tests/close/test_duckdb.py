"""The close on DuckDB equals the per-unit reference and the SQL close, key by key, to the đồng.

The same SQL steps (close/sql/engine.py) run on DuckDB over copies of the tables (close/sql/duck.py);
the entries are written back as the ledger's differences, and the month-end debts for the aging.
"""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.close import service
from sicollect.contributions.models import ClosedMonth
from sicollect.close.models import UnitDebtState
from sicollect.close.sql import run_close
from sicollect.close.sql.dialect import DuckDialect
from sicollect.close.sql.duck import run_duckdb
from sicollect.contributions.models import LedgerEntry
from sicollect.core.months import Month
from sicollect.registry.models import Unit

from .. import factories as f
from ..dbutil import assert_every_interest_charge_explained
from .test_close_sql import (THROUGH, assert_month_end_debts_as_the_ledger_says, assert_same,
                             demo_unposted, ledger_by_key, reference_by_key)  # noqa: F401 (a fixture)


def test_duckdb_spells_what_differs() -> None:
    d = DuckDialect()
    assert d.idiv("a", "b") == "CAST((a) // (b) AS BIGINT)"
    assert d.days("x", "y") == "(x - y)" and d.minus_day("x") == "(x - 1)"
    assert d.date(date(2025, 7, 1)) == "DATE '2025-07-01'"


@pytest.mark.django_db
def test_hand_built_units_on_duckdb() -> None:
    """The worked cases of test_calculator (A1's October interest 2,484 đ on a retroactive raise, a late
    decrease returned to credit, an overpayment, a quarterly unit, a debt across 1 Jul 2025): DuckDB
    writes the reference's ledger, and a SQL close after it appends nothing."""
    f.worked_units()
    october = Month(2025, 10)
    summary = run_duckdb(october)
    have = ledger_by_key()
    assert_same(have, reference_by_key(october))
    assert have[("A1", october, october.last_day, "interest", "HI", "interest", october, None, None, "")] == 2_484
    assert_month_end_debts_as_the_ledger_says(summary.debts, summary.months)
    assert summary.entries == LedgerEntry.objects.count()
    assert run_close(october).entries == 0
    assert run_duckdb(october).entries == 0  # a rerun (the ledger is not empty: differences) appends nothing


@pytest.mark.django_db
def test_duckdb_close_locks_months_and_adjusts_the_open_one() -> None:
    """`sicollect close --engine duckdb` through June, then a payment dated in a closed month arrives:
    the close through October books it in the first open month (for_period June), as the SQL close does."""
    f.worked_units()
    engine = service_engine()
    service.close(Month(2025, 6), engine=engine)
    assert ClosedMonth.objects.filter(month=Month(2025, 6).first_day).exists()
    f.payment(Unit.objects.get(code="A1"), date(2025, 6, 20), 1_000_000)
    service.close(Month(2025, 10), engine=engine)
    duck = ledger_by_key()
    corrections = LedgerEntry.objects.filter(is_correction=True, for_period=Month(2025, 6).first_day)
    assert corrections.exists() and all(e.period == Month(2025, 7) for e in corrections)
    assert UnitDebtState.objects.exists()
    # the SQL close over the same data agrees to the đồng
    assert run_close(Month(2025, 10), Month(2025, 6)).entries == 0
    assert ledger_by_key() == duck


def service_engine():  # type: ignore[no-untyped-def]
    from sicollect.close.management.commands.close import ENGINES

    return ENGINES["duckdb"]()


@pytest.mark.django_db
def test_demo_province_on_duckdb_is_equal_to_the_dong(demo_unposted) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Every unit × month × fund × kind of the demo province (200 units, 24 months): DuckDB vs the
    reference; the SQL close then appends nothing, nor does a DuckDB rerun."""
    summary = run_duckdb(THROUGH)
    assert summary.units == 200 and summary.months == 24
    have = ledger_by_key()
    assert len(have) > 40_000
    assert_same(have, reference_by_key())
    assert_month_end_debts_as_the_ledger_says(summary.debts, 24)
    assert_every_interest_charge_explained(minimum=20)  # every charge's lines add up to it
    assert run_close(THROUGH).entries == 0
    assert run_duckdb(THROUGH).entries == 0
