"""The ledger on PostgreSQL is partitioned by period, one partition a year (migration 0005).

What must hold: the table is a partitioned table with its indexes, foreign keys and append-only trigger;
both closes (the reference's ``bulk_create`` and the set-based ``INSERT … SELECT``) write into the year
partitions; a query on one period reads one partition; ids still come from one sequence; the partitions
command moves rows the DEFAULT partition took; the migration's conversion goes back and forth intact.
"""
from __future__ import annotations

import json
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from sicollect.close import service
from sicollect.close.sql import close_engine
from sicollect.contributions import partitions as p
from sicollect.contributions.models import LedgerEntry
from sicollect.core.months import Month

from .. import factories as f

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL partitioning (the PostgreSQL pass)"),
    pytest.mark.django_db,
]


def rows(sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def per_partition() -> dict[str, int]:
    return dict(rows(f"SELECT tableoid::regclass::text, COUNT(*) FROM {p.TABLE} GROUP BY 1"))


def relations_read(plan_json: Any) -> set[str]:
    """The tables an EXPLAIN (FORMAT JSON) plan scans."""
    plan = (json.loads(plan_json) if isinstance(plan_json, str) else plan_json)[0]["Plan"]
    out, todo = set(), [plan]
    while todo:
        node = todo.pop()
        if "Relation Name" in node:
            out.add(node["Relation Name"])
        todo.extend(node.get("Plans", []))
    return out


def explain(sql: str) -> set[str]:
    return relations_read(rows("EXPLAIN (FORMAT JSON) " + sql)[0][0])


def test_the_ledger_is_a_table_partitioned_by_period_a_year_a_partition() -> None:
    assert rows("SELECT relkind FROM pg_class WHERE oid = %s::regclass", (p.TABLE,)) == [("p",)]
    # range partitioning on the period column
    assert rows("""SELECT pt.partstrat, a.attname FROM pg_partitioned_table pt
                   JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
                   WHERE pt.partrelid = %s::regclass""", (p.TABLE,)) == [("r", "period")]
    parts = p.partitions(connection.cursor())
    assert parts[p.DEFAULT] == "DEFAULT"
    assert parts[p.partition_name(2025)] == "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"
    assert p.years(connection.cursor()) == list(range(p.FIRST_YEAR, p.LAST_YEAR + 1))
    # the primary key has the partition key; the model's indexes and the FK indexes are partitioned indexes
    assert rows("""SELECT array_agg(a.attname ORDER BY k.i) FROM pg_index x
                   CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY k(attnum, i)
                   JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                   WHERE x.indrelid = %s::regclass AND x.indisprimary""", (p.TABLE,)) == [(["id", "period"],)]
    indexes = dict(rows("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", (p.TABLE,)))
    kinds = dict(rows("SELECT relname, relkind FROM pg_class WHERE relname = ANY(%s)", (list(indexes),)))
    assert set(kinds.values()) == {"I"}  # partitioned indexes: one per partition below each
    columns = {d.split("(", 1)[1].rstrip(")") for d in indexes.values()}
    assert {"id, period", "unit_id, period", "period, kind", "payment_id"} <= columns
    assert "unit_id" not in columns  # (unit_id, period) serves; migration 0006 dropped the index of its own
    fks = {r[0] for r in rows("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                              "AND contype = 'f'", (p.TABLE,))}
    assert any("REFERENCES registry_unit(id)" in d for d in fks)
    assert any("REFERENCES contributions_payment(id)" in d for d in fks)
    # the append-only trigger on the table and (cloned) on every partition
    on = {r[0] for r in rows("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'ledger_no_update'")}
    assert on == {p.TABLE, *parts}
    assert rows("SELECT pg_get_serial_sequence(%s, 'id')", (p.TABLE,)) == [(f"public.{p.SEQUENCE}",)]


@pytest.mark.parametrize("engine", ["reference", "sql"])
def test_a_close_writes_into_the_partitions_of_its_periods(engine: str) -> None:
    """HI from Nov 2024, one payment in Feb 2025, closed through Mar 2025: 2024's rows land in the 2024
    partition, 2025's in 2025's, none in DEFAULT; ids unique and from the one sequence."""
    u = f.unit("TA0001")
    f.participation(u, f.person(), "2024-11", None, 10_000_000, "HI")
    f.payment(u, date(2025, 2, 3), 300_000)
    service.close(Month(2025, 3), engine=service.reference_engine if engine == "reference" else close_engine)
    counts = per_partition()
    assert set(counts) == {p.partition_name(2024), p.partition_name(2025)}
    by_year = {2024: 0, 2025: 0}
    for e in LedgerEntry.objects.all():
        by_year[e.period.year] += 1
    assert counts == {p.partition_name(y): n for y, n in by_year.items()}
    ids = list(LedgerEntry.objects.values_list("id", flat=True))
    assert len(ids) == len(set(ids)) == sum(counts.values()) > 0
    assert max(ids) <= rows(f"SELECT last_value FROM {p.SEQUENCE}")[0][0]
    # the ORM reads across partitions as before: a unit's ledger, a year's periods
    assert LedgerEntry.objects.filter(unit=u).count() == sum(counts.values())
    assert LedgerEntry.objects.filter(period__lt=Month(2025, 1)).count() == by_year[2024] > 0


def test_a_query_on_one_period_reads_one_partition() -> None:
    u = f.unit("TA0001")
    for period in (Month(2024, 5), Month(2025, 3), Month(2026, 1)):
        LedgerEntry.objects.create(unit=u, period=period, posted_on=period.first_day, kind="due", fund="HI",
                                   target="principal", month=period, amount=1_000)
    one = p.partition_name(2025)
    assert explain(f"SELECT * FROM {p.TABLE} WHERE period = DATE '2025-03-01'") == {one}
    assert relations_read(LedgerEntry.objects.filter(period=Month(2025, 3)).explain(format="json")) == {one}
    # the close's read of closed months (service.amounts_posted: a range of periods)
    assert explain(f"SELECT kind, SUM(amount) FROM {p.TABLE} WHERE period BETWEEN DATE '2024-01-01' "
                   "AND DATE '2024-12-01' GROUP BY kind") == {p.partition_name(2024)}
    # a unit's whole ledger reads every partition (through the (unit_id, period) index of each)
    assert len(explain(f"SELECT * FROM {p.TABLE} WHERE unit_id = {u.pk}")) == len(p.partitions(connection.cursor()))


def test_the_ledger_stays_append_only_in_every_partition() -> None:
    u = f.unit("TA0001")
    e = LedgerEntry.objects.create(unit=u, period=Month(2025, 3), posted_on=date(2025, 3, 1), kind="due",
                                   fund="HI", target="principal", month=Month(2025, 3), amount=1_000)
    part = p.partition_name(2025)
    for sql in (f"UPDATE {p.TABLE} SET amount = 1 WHERE id = %s",
                f"UPDATE {part} SET amount = 1 WHERE id = %s",
                f"DELETE FROM {part} WHERE id = %s",
                f"DELETE FROM {p.TABLE} WHERE id = %s",
                # moving a row to another partition is an UPDATE too (delete + insert): refused
                f"UPDATE {p.TABLE} SET period = DATE '2026-01-01' WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            rows(sql + " RETURNING id", (e.pk,))
    assert LedgerEntry.objects.get(pk=e.pk).amount == 1_000


def test_the_partitions_command_moves_what_the_default_partition_took() -> None:
    u = f.unit("TA0001")
    far = LedgerEntry.objects.create(unit=u, period=Month(2040, 2), posted_on=date(2040, 2, 1), kind="due",
                                     fund="HI", target="principal", month=Month(2040, 2), amount=7)
    assert per_partition() == {p.DEFAULT: 1}
    out = StringIO()
    call_command("ledger_partitions", "--through", "2036", stdout=out)
    assert "created contributions_ledgerentry_y2036" in out.getvalue()
    assert "created contributions_ledgerentry_y2040" in out.getvalue()
    assert per_partition() == {p.partition_name(2040): 1}
    assert LedgerEntry.objects.get(period=Month(2040, 2)).pk == far.pk  # the same row, moved
    out = StringIO()
    call_command("ledger_partitions", "--through", "2036", stdout=out)
    assert "created" not in out.getvalue()


def test_the_migration_converts_back_and_forth_keeping_rows_and_ids() -> None:
    """What migration 0005 runs (and its reverse), inside this test's transaction."""
    u = f.unit("TA0001")
    made = [LedgerEntry.objects.create(unit=u, period=m, posted_on=m.first_day, kind="due", fund="HI",
                                       target="principal", month=m, amount=100 + i)
            for i, m in enumerate((Month(2019, 12), Month(2025, 1), Month(2025, 2)))]
    before = list(LedgerEntry.objects.order_by("id").values_list("id", "period", "amount"))
    with connection.cursor() as cur:
        p.convert(cur, partitioned=False)
        assert not p.is_partitioned(cur)
        assert rows("SELECT is_identity FROM information_schema.columns WHERE table_name = %s AND column_name = 'id'",
                    (p.TABLE,)) == [("YES",)]
        assert list(LedgerEntry.objects.order_by("id").values_list("id", "period", "amount")) == before
        nxt = LedgerEntry.objects.create(unit=u, period=Month(2025, 3), posted_on=date(2025, 3, 1), kind="due",
                                         fund="HI", target="principal", month=Month(2025, 3), amount=5)
        assert nxt.pk > made[-1].pk
        p.convert(cur, partitioned=True)
        assert p.is_partitioned(cur)
        assert p.partition_name(2019) in p.partitions(cur)  # the years the rows have get a partition too
    assert LedgerEntry.objects.count() == 4
    assert LedgerEntry.objects.create(unit=u, period=Month(2025, 4), posted_on=date(2025, 4, 1), kind="due",
                                      fund="HI", target="principal", month=Month(2025, 4), amount=6).pk > nxt.pk
    assert per_partition() == {p.partition_name(2019): 1, p.partition_name(2025): 4}
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        rows(f"UPDATE {p.TABLE} SET amount = 0")
