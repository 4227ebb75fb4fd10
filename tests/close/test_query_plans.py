"""PostgreSQL plans of the close's hot queries: a month's rows are found through an index.

Each month the close reads that month's payments and, once, the participations declared late in it
(kept in ``ce_late``: each unit's declaration days, its rounds, and the rows declared on them); at region
scale (millions of rows) a sequential scan there would be paid some 24–100 times a close. The queries
are taken from the engine itself (a recording stand-in for its tables), so a change of their SQL is
checked too.
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

from .. import factories as f

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

    def upsert(self, name: str, columns: str, key: str, select: str, sets: dict[str, str]) -> None:
        self.sql.append(select)

    def update(self, name: str, sets: dict[str, str], where: str, source: str | None = None) -> None:
        pass

    def delete(self, name: str, where: str) -> None:
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
def test_a_months_rows_are_read_through_indexes() -> None:
    """8,000 payments over 730 days and 4,000 participations, 20 declared late on 16 Jun 2025: the
    queries for June's payments (~330 rows, 4 %), for the units' late-declaration days of June, and for
    the month's late rows use the paid_on / declared_on indexes, never a sequential scan; a round reads
    the rows declared on its units' days from those late rows, not from the table."""
    units = [f.unit(f"P{i:03d}") for i in range(40)]
    start = date(2024, 1, 1)
    for i in range(8_000):
        f.payment(units[i % 40], date.fromordinal(start.toordinal() + i % 730), 1_000 + i)
    for i in range(4_000):
        late = i < 20
        f.participation(units[i % 40], f.person(), "2025-01", None, 6_000_000, "HI",
                        declared_on=date(2025, 6, 16) if late else None)
    with connection.cursor() as cur:
        cur.execute("ANALYZE registry_participation")
        cur.execute("ANALYZE contributions_payment")
        # the work tables the queries join (the close creates them in create_tables)
        cur.execute("CREATE TEMP TABLE ce_months AS SELECT generate_series(DATE '2024-01-01', DATE '2025-12-01', "
                    "INTERVAL '1 month')::date AS month")
        cur.execute("CREATE TEMP TABLE ce_round (unit_id BIGINT, k INTEGER, day DATE, next_day DATE)")
        cur.execute("INSERT INTO ce_round SELECT id, 1, DATE '2025-06-16', DATE '2025-07-01' FROM registry_unit "
                    "ORDER BY id LIMIT 20")
        cur.execute("ANALYZE ce_round")

    rec = Recorder()
    engine = SetClose(load_rulebook(), PostgresDialect(), rec)
    june = Month(2025, 6)
    engine.declaration_rounds(june, date(2025, 12, 31))
    (rounds_sql,) = [s for s in rec.sql if "registry_participation" in s and "p.declared_on >=" in s]
    with connection.cursor() as cur:  # the month's late rows, as the close keeps them for its rounds
        cur.execute(f"CREATE TEMP TABLE ce_late AS {rounds_sql}")
        cur.execute("ANALYZE ce_late")
    rec.sql.clear()
    engine.payments(june, """LEFT JOIN ce_round r ON r.unit_id = p.unit_id AND r.k = 1
WHERE p.paid_on >= DATE '2025-06-01' AND p.paid_on <= DATE '2025-06-30' AND (r.day IS NULL OR p.paid_on < r.day)""")
    (payments_sql,) = [s for s in rec.sql if "contributions_payment" in s]
    rec.sql.clear()
    engine.adjustments(june, 1)
    (declared_sql,) = [s for s in rec.sql if "p.declared_on = r.day" in s]

    assert scans_of(payments_sql, "contributions_payment") <= {"Index Scan", "Bitmap Heap Scan"}
    assert scans_of(rounds_sql, "registry_participation") <= {"Index Scan", "Bitmap Heap Scan"}
    # each round reads the rows declared on its units' days from the month's late rows, not the table
    assert not scans_of(declared_sql, "registry_participation") and scans_of(declared_sql, "ce_late")
    # and the tables are in the plans at all (the queries were the right ones)
    assert scans_of(payments_sql, "contributions_payment") and scans_of(rounds_sql, "registry_participation")
