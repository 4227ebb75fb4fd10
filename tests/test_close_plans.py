"""PostgreSQL plans of the close's hot queries: the day's rows are found through an index.

The close walks the days with a payment or a declaration (≤ 31 a month) and, each day, reads that
day's payments and the participations declared that day; at region scale (millions of rows) a
sequential scan there would be paid some 700 times a close. The queries are taken from the engine
itself (a recording stand-in for its tables), so a change of their SQL is checked too.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.db import connection

from sicollect.close.sql.dialect import PostgresDialect
from sicollect.close.sql.engine import SetClose
from sicollect.core.months import Month
from sicollect.rules.book import load_rulebook

from . import factories as f

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans (the PostgreSQL pass)")


class Recorder:
    """Stands in for SqlTables: keeps the SQL of every read and insert, runs nothing, finds nothing."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def scalar(self, sql: str) -> Any:
        self.sql.append(sql)
        return 0

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        self.sql.append(sql)
        return []

    def insert(self, name: str, select: str, columns: str | None = None) -> None:
        self.sql.append(select)

    def fill(self, name: str, select: str) -> None:
        self.sql.append(select)

    def clear(self, name: str) -> None:
        pass


def plan_nodes(sql: str) -> list[dict[str, Any]]:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cur.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    out, todo = [], [plan]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(node.get("Plans", []))
    return out


def scans_of(sql: str, table: str) -> set[str]:
    return {n["Node Type"] for n in plan_nodes(sql) if n.get("Relation Name") == table}


@pytest.mark.django_db
def test_the_days_rows_are_read_through_indexes() -> None:
    """4,000 payments over 200 days and 4,000 participations, 20 declared late on one day: the queries
    for one day's payments (~20 rows, 0.5 %), the rows declared that day, and the event days of a month
    use the paid_on / declared_on indexes, never a sequential scan of the table."""
    units = [f.unit(f"P{i:03d}") for i in range(40)]
    start = date(2025, 1, 2)
    for i in range(4_000):
        f.payment(units[i % 40], date.fromordinal(start.toordinal() + i % 200), 1_000 + i)
    for i in range(4_000):
        late = i < 20
        f.participation(units[i % 40], f.person(), "2025-01", None, 6_000_000, "HI",
                        declared_on=date(2025, 6, 16) if late else None)
    with connection.cursor() as cur:
        cur.execute("ANALYZE registry_participation")
        cur.execute("ANALYZE contributions_payment")
        # the work table the adjustments join (the close creates it in create_tables)
        cur.execute("CREATE TEMP TABLE ce_months AS SELECT generate_series(DATE '2025-01-01', DATE '2025-12-01', "
                    "INTERVAL '1 month')::date AS month")

    rec = Recorder()
    engine = SetClose(load_rulebook(), PostgresDialect(), rec)
    day = date(2025, 6, 16)
    engine.payments(day)
    (payments_sql,) = [s for s in rec.sql if "contributions_payment" in s and "paid_on =" in s]
    rec.sql.clear()
    engine.adjustments(day)
    (declared_sql,) = [s for s in rec.sql if "declared_on = " in s]
    rec.sql.clear()
    engine.event_days(Month(2025, 6), date(2025, 12, 31))
    (days_sql,) = rec.sql

    assert scans_of(payments_sql, "contributions_payment") <= {"Index Scan", "Bitmap Heap Scan"}
    assert scans_of(declared_sql, "registry_participation") <= {"Index Scan", "Bitmap Heap Scan"}
    assert scans_of(days_sql, "contributions_payment") <= {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
    assert scans_of(days_sql, "registry_participation") <= {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
    # and the tables are in the plans at all (the queries were the right ones)
    assert scans_of(payments_sql, "contributions_payment") and scans_of(declared_sql, "registry_participation")
