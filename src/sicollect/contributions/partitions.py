"""The ledger on PostgreSQL: one table declaratively partitioned by ``period``, one partition a year.

``contributions_ledgerentry`` is ``PARTITION BY RANGE (period)``: a partition per calendar year
(``contributions_ledgerentry_y2025`` holds periods 2025-01 … 2025-12) and a DEFAULT partition, so a
row of any period is accepted. Migration 0005 converts the table (:func:`convert`) and creates the
years 2020 … 2035; ``sicollect ledger_partitions`` adds later years (:func:`add_years`), moving rows
the DEFAULT partition took for them. Why a year, and the trade-offs: docs/scale.md.

PostgreSQL requires every unique constraint of a partitioned table to contain the partition key: the
primary key is ``(id, period)``. ``id`` still comes from one sequence (``contributions_ledgerentry_id_seq``,
owned by the column), so ids stay unique across partitions, but no constraint checks it any more:
the sequence does. Django keeps ``id`` as the model's primary key; nothing in the ORM changes.

SQLite has no partitioning: every function here is for a PostgreSQL connection only.
"""
from __future__ import annotations

from typing import Any

TABLE = "contributions_ledgerentry"
SEQUENCE = f"{TABLE}_id_seq"
DEFAULT = f"{TABLE}_default"
FIRST_YEAR, LAST_YEAR = 2020, 2035  # what migration 0005 creates
KEY = "period"
# Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: rows written earlier in the transaction leave
# checks pending, and PostgreSQL refuses to ALTER or TRUNCATE a table with pending trigger events. Run
# them now (the rest of the transaction then checks its foreign keys at once: what it writes is the same).
IMMEDIATE = "SET CONSTRAINTS ALL IMMEDIATE"


def partition_name(year: int) -> str:
    return f"{TABLE}_y{year}"


def _one(cur: Any, sql: str, params: tuple[Any, ...] | None = None) -> Any:
    cur.execute(sql, params)
    row = cur.fetchone()
    return row[0] if row else None


def is_partitioned(cur: Any, table: str = TABLE) -> bool:
    """relkind 'p': a partitioned table (has no rows itself; its partitions do)."""
    return _one(cur, "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (table,)) == "p"


def partitions(cur: Any, table: str = TABLE) -> dict[str, str]:
    """Partition name → its bound (``FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`` or ``DEFAULT``)."""
    cur.execute("""SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
                   JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname""",
                (table,))
    return dict(cur.fetchall())


def years(cur: Any) -> list[int]:
    """The years that have their own partition."""
    prefix = f"{TABLE}_y"
    return sorted(int(name[len(prefix):]) for name in partitions(cur) if name.startswith(prefix))


def _year_sql(year: int) -> str:
    return (f"CREATE TABLE {partition_name(year)} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')")


def add_years(cur: Any, wanted: list[int]) -> list[int]:
    """Give each year of ``wanted`` its own partition; return the years created.

    Rows of those years already in the DEFAULT partition would make the new partition's bound
    invalid (PostgreSQL refuses to create it): they are copied aside, the DEFAULT partition is
    truncated (TRUNCATE fires no row trigger; the ledger's rows are moved, never changed) and the
    rows are inserted again through the parent, which routes them to their new partitions. Run it in
    a transaction (the command does): either every year is created and every row moved, or nothing.
    """
    have = set(years(cur))
    todo = sorted({int(y) for y in wanted} - have)
    if not todo:
        return []
    ranges = " OR ".join(f"({KEY} >= '{y}-01-01' AND {KEY} < '{y + 1}-01-01')" for y in todo)
    has_default = DEFAULT in partitions(cur)
    moving = has_default and _one(cur, f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE {ranges})")
    if moving:
        cur.execute(IMMEDIATE)
        cur.execute(f"CREATE TEMP TABLE ledger_moving ON COMMIT DROP AS SELECT * FROM {DEFAULT}")
        cur.execute(f"TRUNCATE {DEFAULT}")
    for y in todo:
        cur.execute(_year_sql(y))
    if moving:
        cur.execute(f"INSERT INTO {TABLE} SELECT * FROM ledger_moving")
        cur.execute("DROP TABLE ledger_moving")
    return todo


# --- the conversion (migration 0005) ----------------------------------------------------------------------
def _definitions(cur: Any, table: str) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """What must be made again on a new table of that name: the indexes that back no constraint, the
    constraints other than the primary key (foreign keys, checks, uniques, exclusions; NOT NULL goes with
    the columns), the user triggers. Each as SQL naming ``table`` (schema-qualified where PostgreSQL
    says so), so it can be run again once the new table has the name."""
    cur.execute("""SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
                   WHERE i.indrelid = to_regclass(%s)
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                       AND c.conrelid = i.indrelid)
                   ORDER BY i.indexrelid""", (table,))
    # a partitioned table's own index reads "ON ONLY t": on the new table it must cover the partitions
    indexes = [sql.replace(" ON ONLY ", " ON ", 1) for (sql,) in cur.fetchall()]
    cur.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                   WHERE conrelid = to_regclass(%s) AND contype IN ('f', 'c', 'u', 'x') ORDER BY oid""", (table,))
    constraints = list(cur.fetchall())
    cur.execute("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal "
                "ORDER BY oid", (table,))
    triggers = [sql for (sql,) in cur.fetchall()]
    return indexes, constraints, triggers


def _sequence_state(cur: Any) -> tuple[int, bool]:
    seq = _one(cur, "SELECT pg_get_serial_sequence(%s, 'id')", (TABLE,))
    last, called = (1, False)
    if seq:
        cur.execute(f"SELECT last_value, is_called FROM {seq}")
        last, called = cur.fetchone()
    top = _one(cur, f"SELECT MAX(id) FROM {TABLE}")
    if top is not None and (top > last or (top == last and not called)):
        last, called = top, True
    return int(last), bool(called)


def convert(cur: Any, partitioned: bool) -> None:
    """Rebuild the ledger table as a partitioned one (``partitioned``) or back as a plain one, with the
    same columns, rows, indexes, constraints, triggers and next id. Idempotent; in the caller's transaction."""
    if is_partitioned(cur) == partitioned:
        return
    cur.execute("SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
                "AND confrelid = to_regclass(%s) AND conrelid <> confrelid", (TABLE,))
    refs = cur.fetchall()
    if refs:  # a foreign key to a partitioned table needs a unique (id, period) on its side: not Django's
        raise RuntimeError(f"{TABLE} is referenced by foreign keys {refs}: partitioning it would break them")
    cur.execute(IMMEDIATE)
    indexes, constraints, triggers = _definitions(cur, TABLE)
    last, called = _sequence_state(cur)
    old = f"{TABLE}_old"
    if not partitioned:  # the column default names the sequence owned by the old table, dropped below
        cur.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id DROP DEFAULT")
    cur.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
    cur.execute(f"CREATE TABLE {TABLE} (LIKE {old} INCLUDING DEFAULTS INCLUDING COMMENTS)"
                + (f" PARTITION BY RANGE ({KEY})" if partitioned else ""))
    if partitioned:
        cur.execute(f"SELECT EXTRACT(YEAR FROM MIN({KEY}))::int, EXTRACT(YEAR FROM MAX({KEY}))::int FROM {old}")
        lo, hi = cur.fetchone()
        first = min(FIRST_YEAR, max(lo, 1990)) if lo is not None else FIRST_YEAR
        last_year = max(LAST_YEAR, min(hi, 2100)) if hi is not None else LAST_YEAR
        for y in range(first, last_year + 1):
            cur.execute(_year_sql(y))
        cur.execute(f"CREATE TABLE {DEFAULT} PARTITION OF {TABLE} DEFAULT")
    cur.execute(f"INSERT INTO {TABLE} SELECT * FROM {old}")
    cur.execute(f"DROP TABLE {old}")  # with its partitions, its indexes, triggers and its id sequence
    if partitioned:
        cur.execute(f"CREATE SEQUENCE {SEQUENCE} AS bigint OWNED BY {TABLE}.id")
        cur.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{SEQUENCE}'::regclass)")
    else:  # what Django creates for a BigAutoField
        cur.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
    seq = _one(cur, "SELECT pg_get_serial_sequence(%s, 'id')", (TABLE,))
    cur.execute("SELECT setval(%s, %s, %s)", (seq, last, called))
    cur.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY "
                + (f"(id, {KEY})" if partitioned else "(id)"))
    for sql in indexes:
        cur.execute(sql)
    for name, definition in constraints:
        cur.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    for sql in triggers:
        cur.execute(sql)
