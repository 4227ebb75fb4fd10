"""The close on Apache Spark (local mode) equals the close on the database, to the đồng.

The same SQL steps (close/sql/engine.py) run on Spark over Parquet exports of the tables
(close/sql/spark.py); their entries, written back through the same ``write_ledger``, must leave the
ledger of the SQL close unchanged, and equal it key by key and unit × month × fund.

Runs once per ``make test``: in the PostgreSQL pass (the SQLite pass skips it, saying so; set
SICOLLECT_SPARK_TESTS=1 to run it on SQLite too). Skips with the reason when pyspark or Java 17
cannot be had (scripts/test.sh installs Debian's openjdk-17-jre-headless when it can).
"""
from __future__ import annotations

import os
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from sicollect.close.engines import EngineResult
from sicollect.close.sql import run_close
from sicollect.contributions.models import LedgerEntry
from sicollect.core.months import Month
from sicollect.registry.models import Unit

from .. import factories as f
from ..dbutil import assert_every_interest_charge_explained
from .test_close_sql import assert_same, ledger_by_key, reference_by_key
from ..tools import missing_tool

THROUGH = Month(2025, 10)


def _why_not() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    from sicollect.close.sql.spark import java_problem

    return java_problem()


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql" and not os.environ.get("SICOLLECT_SPARK_TESTS"):
        pytest.skip("the Spark comparison runs once per `make test`, in the PostgreSQL pass "
                    "(SICOLLECT_SPARK_TESTS=1 runs it on SQLite as well)")
    why = _why_not()
    if why:
        pytest.skip(missing_tool(f"Spark cannot run here: {why}") or "")
    from sicollect.close.sql.spark import spark_session

    session = spark_session(master="local[2]", memory="1g", partitions=2)
    yield session
    session.stop()


def build_units() -> None:
    """Seven units over 2025: A1–A5, the worked cases of test_calculator (``factories.worked_units``:
    a retroactive raise with October interest 2,484, a late decrease returned to credit, an overpayment,
    a quarterly unit, a debt across 1 Jul 2025), and
    A6 two persons, one above the SI cap (46.8 M) and one below the region I floor (4.96 M);
    A7 nothing paid: interest every month."""
    f.worked_units()
    two = f.unit("A6")
    f.participation(two, f.person(), "2025-08", None, 60_000_000, "SI+HI+UI+OADI")
    f.participation(two, f.person(), "2025-08", None, 3_000_000, "HI")
    f.payment(two, date(2025, 9, 30), 10_000_000)
    never = f.unit("A7")
    f.participation(never, f.person(), "2025-06", "2025-08", 8_000_000, "SI+HI+UI+OADI")


def spark_by_key(out: Path) -> dict[tuple[Any, ...], int]:
    """The Spark close's entries summed by ledger key (unit code first), zeros dropped."""
    from sicollect.close.sql.spark import read_entries

    code = dict(Unit.objects.values_list("id", "code"))
    have: dict[tuple[Any, ...], int] = defaultdict(int)
    for rows in read_entries(out):
        for (unit_id, period, posted_on, kind, fund, target, month, late_from, payment_id, source, amount,
             _detail) in rows:
            have[(code[unit_id], Month.of(period), posted_on, kind, fund, target,
                  Month.of(month) if month else None, late_from, payment_id, source)] += amount
    return {k: v for k, v in have.items() if v}


def by_unit_month_fund(entries: dict[tuple[Any, ...], int]) -> dict[tuple[Any, ...], int]:
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    for (code, period, _posted, kind, fund, *_rest), amount in entries.items():
        out[(code, period, fund, kind)] += amount
    return dict(out)


@pytest.mark.django_db
def test_spark_close_equals_the_database_close_to_the_dong(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """One Spark run, checked three ways: its entries against the reference calculator key by key and
    unit × month × fund; the ledger it writes back; and the SQL close over that ledger appending nothing."""
    from sicollect.close import service
    from sicollect.close.sql.spark import export_tables, run_spark, write_back

    build_units()
    counts = export_tables(tmp_path / "data")
    assert counts == {"registry_unit": 7, "registry_participation": 10, "contributions_payment": 9}
    summary = run_spark(tmp_path / "data", tmp_path / "out", THROUGH, spark=spark)
    assert summary.months == 10 and summary.units == 7  # 2025-01 (A4's first month) … 2025-10

    have = spark_by_key(tmp_path / "out")
    want = reference_by_key(THROUGH)
    assert_same(have, want)
    assert by_unit_month_fund(have) == by_unit_month_fund(want)
    october, aug = Month(2025, 10), Month(2025, 8)
    # A1: HI 4.5 % of the 2 M raise for Jul–Sep, late from their own deadlines, accrues 0.03 %/day: 2,484
    assert have[("A1", october, october.last_day, "interest", "HI", "interest", october, None, None, "")] == 2_484
    # A6, August: SI_LT 22 % of the cap 46,800,000 (60 M declared) = 10,296,000; UI 2 % of 60,000,000
    # (UI's cap is 99.2 M) = 1,200,000; HI 4.5 % of 46,800,000 + 4,960,000 (the second person's 3 M
    # lifted to the region I floor) = 51,760,000 × 4.5 % = 2,329,200
    months = by_unit_month_fund(have)
    assert months[("A6", aug, "SI_LT", "due")] == 10_296_000
    assert months[("A6", aug, "UI", "due")] == 1_200_000
    assert months[("A6", aug, "HI", "due")] == 2_329_200

    # Written back into the empty ledger through write_ledger (as `sicollect close --engine spark` does,
    # inside service.close), then the SQL close over the same data: it finds nothing to append.
    closed = service.close(THROUGH, engine=lambda through, closed, progress: EngineResult(
        entries=write_back(tmp_path / "out", through)))
    assert closed.entries == LedgerEntry.objects.count() > 100
    ledger = ledger_by_key()
    assert ledger == have
    assert_every_interest_charge_explained(minimum=5)  # every charge's lines add up to it
    assert run_close(THROUGH).entries == 0
    assert ledger_by_key() == ledger


@pytest.mark.django_db
def test_close_command_spark_engine_is_wired() -> None:
    """`sicollect close --engine spark` reaches spark_close_engine (export, Spark, write back)."""
    from sicollect.close.management.commands.close import ENGINES
    from sicollect.close.sql.spark import spark_close_engine

    assert ENGINES["spark"]() is spark_close_engine


def test_spark_spellings_and_work_table_columns() -> None:
    """What Spark SQL spells differently, and the work tables' columns as Spark types (no Java needed)."""
    from sicollect.close.sql.dialect import SparkDialect, dialect_for
    from sicollect.close.sql.spark import parse_columns

    d = dialect_for("spark")
    assert isinstance(d, SparkDialect)
    assert d.days("e.day", "n.late_from") == "datediff(e.day, n.late_from)"
    assert d.idiv("x + 500000", "1000000") == "CAST((x + 500000) div (1000000) AS BIGINT)"
    assert d.json_object({"base": "a.base"}) == "to_json(named_struct('base', a.base))"
    assert d.date(date(2025, 7, 1)) == "DATE '2025-07-01'" and d.least("a", "b") == "LEAST(a, b)"
    assert parse_columns("id BIGSERIAL PRIMARY KEY, unit_id BIGINT, fund VARCHAR(8), kind CHAR(1), month DATE, "
                         "detail JSONB, PRIMARY KEY (unit_id, fund)") == (
        [("id", "bigint"), ("unit_id", "bigint"), ("fund", "string"), ("kind", "string"), ("month", "date"),
         ("detail", "string")], "id")
