"""How the close's work tables are changed, on an engine with a DB-API cursor (SQLite, PostgreSQL).

The steps of the close (engine.py) are SELECTs; what they do with the result —
fill a work table, append to it, update some of its rows, delete some, insert or
update by key — goes through one of the methods below. Here they are the
ordinary SQL statements; :class:`sicollect.close.sql.spark.SparkTables` gives the
same methods on Apache Spark, whose SQL has no UPDATE, DELETE or ON CONFLICT on
plain tables (it rewrites the table from a SELECT instead).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .dialect import Dialect


class SqlTables:
    """The close's table operations as SQL statements on one cursor, inside the close's transaction."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cur = cursor
        self.d = dialect
        self.created: set[str] = set()

    # --- reading --------------------------------------------------------------------------------
    def execute(self, sql: str) -> int:
        """Run ``sql``; returns the rows it changed (the cursor's rowcount; -1 when the driver does not say)."""
        self.cur.execute(sql)
        return int(self.cur.rowcount)

    def scalar(self, sql: str) -> Any:
        self.cur.execute(sql)
        row = self.cur.fetchone()
        return row[0] if row else None

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        self.cur.execute(sql)
        return list(self.cur.fetchall())

    def batches(self, sql: str, size: int = 20_000) -> Any:
        """The rows of ``sql``, ``size`` at a time (for reading a large table without holding it)."""
        self.cur.execute(sql)
        while rows := self.cur.fetchmany(size):
            yield rows

    def analyze(self, *tables: str) -> None:
        """Refresh the planner's statistics of the tables the close reads (SQLite has none until
        ANALYZE runs once, and then picks the unit index over the person index for the adjustments)."""
        for table in tables:
            self.cur.execute(f"ANALYZE {table}")

    def has_statistics(self, *tables: str) -> bool:
        """SQLite: whether ANALYZE has left statistics for every one of ``tables``; PostgreSQL: False
        (its ANALYZE samples, and the close always runs it)."""
        if self.d.name != "sqlite":
            return False
        if not self.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"):
            return False
        names = ", ".join(f"'{t}'" for t in tables)
        return self.scalar(f"SELECT COUNT(DISTINCT tbl) FROM sqlite_stat1 WHERE tbl IN ({names})") == len(tables)

    #: SQLite's page cache for the close's connection, per schema (main and temp), in KiB: the work tables
    #: (temp) and the pages the close changes stay in memory instead of spilling to files (the default is 2 MiB)
    CLOSE_CACHE_KIB = 256 * 1024

    @contextmanager
    def large_cache(self) -> Iterator[SqlTables]:
        """SQLite: a larger page cache (:data:`CLOSE_CACHE_KIB`) while the close runs, then the one before."""
        if self.d.name != "sqlite":
            yield self
            return
        before = {schema: self.scalar(f"PRAGMA {schema}.cache_size") for schema in ("main", "temp")}
        try:
            for schema in before:
                self.cur.execute(f"PRAGMA {schema}.cache_size = -{self.CLOSE_CACHE_KIB}")
            yield self
        finally:
            for schema, size in before.items():
                self.cur.execute(f"PRAGMA {schema}.cache_size = {int(size)}")

    # --- tables ---------------------------------------------------------------------------------
    def drop(self, name: str) -> None:
        self.cur.execute(f"DROP TABLE IF EXISTS {name}")
        self.created.discard(name)

    def create(self, name: str, columns: str) -> None:
        self.cur.execute(f"{self.d.temp_table(name)} ({columns})")
        self.created.add(name)

    def index(self, name: str, table: str, columns: str) -> None:
        self.cur.execute(f"CREATE INDEX {name} ON {table} ({columns})")

    def fill(self, name: str, select: str) -> None:
        """(Re)fill work table ``name`` with ``select``: created once per close, then emptied and
        refilled, so PostgreSQL does not pile up a catalog lock per statement in the close's transaction."""
        if name in self.created:
            self.cur.execute(f"DELETE FROM {name}")
            self.cur.execute(f"INSERT INTO {name} {select}")
        else:
            self.cur.execute(f"{self.d.temp_table(name)} AS {select}")
            self.created.add(name)

    # --- changing rows --------------------------------------------------------------------------
    def insert(self, name: str, select: str, columns: str | None = None) -> None:
        """Append the rows of ``select`` (or ``VALUES …``), positionally into ``columns`` (default: all)."""
        cols = f" ({columns})" if columns else ""
        self.cur.execute(f"INSERT INTO {name}{cols} {select}")

    def clear(self, name: str) -> None:
        self.cur.execute(f"DELETE FROM {name}")

    def empty(self, name: str) -> None:
        """All rows of a table the close refills whole (the saved state): TRUNCATE on PostgreSQL (no dead rows
        left for the vacuum, and it takes no time), DELETE elsewhere."""
        self.cur.execute(("TRUNCATE " if self.d.name == "postgresql" else "DELETE FROM ") + name)

    def update(self, name: str, sets: dict[str, str], where: str, source: str | None = None) -> None:
        """``UPDATE name SET col = expr … [FROM source] WHERE where``; ``where`` names the table's
        columns as ``name.col`` and, with a ``source``, holds the join to it (at most one match a row)."""
        assign = ", ".join(f"{col} = {expr}" for col, expr in sets.items())
        frm = f" FROM {source}" if source else ""
        self.cur.execute(f"UPDATE {name} SET {assign}{frm} WHERE {where}")

    def delete(self, name: str, where: str) -> None:
        self.cur.execute(f"DELETE FROM {name} WHERE {where}")

    def upsert(self, name: str, columns: str, key: str, select: str, sets: dict[str, str]) -> None:
        """Insert the rows of ``select`` (one per key); where the key exists, set the columns of ``sets``
        (expressions over ``excluded.col``, the new row, and ``{t}.col``, the row there)."""
        assign = ", ".join(f"{col} = {expr.format(t=name)}" for col, expr in sets.items())
        # ``select`` must have a WHERE (``WHERE 1 = 1`` will do): SQLite needs one to tell ON CONFLICT
        # from a join constraint
        self.cur.execute(f"INSERT INTO {name} ({columns}) {select}\n"
                         f"ON CONFLICT ({key}) DO UPDATE SET {assign}")
