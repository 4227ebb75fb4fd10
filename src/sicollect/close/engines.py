"""What every close engine is and returns.

An engine computes every open month through ``through`` and writes the ledger's differences, inside the
close's transaction (``close.service.close`` holds the lock and the transaction, then runs the
:mod:`steps <sicollect.close.steps>` that follow). Four engines: ``service.reference_engine`` (the
per-unit calculator, ``contributions.posting``), ``sql.engine.close_engine`` (the set-based close on
SQLite or PostgreSQL), ``sql.duck.duckdb_close_engine`` and ``sql.spark.spark_close_engine``. Each
returns an :class:`EngineResult`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sicollect.core.months import Month


@dataclass
class EngineResult:
    """What an engine did: the ledger rows it appended and the seconds of each of its steps."""

    months: int = 0  # months computed (0: nothing to close, an empty database)
    units: int = 0
    entries: int = 0  # ledger rows appended
    seconds: dict[str, float] = field(default_factory=dict)
    statements: int = 0  # SQL statements run (Spark: each is at least one job)
    resumed_from: Month | None = None  # the closed month whose saved state the close started from
    # units recomputed from their first month all the same: what their closed months read changed since
    recomputed: int = 0
    # month end → contributions.debts.UnitDebt of every unit owing, when the engine computed them (the
    # set-based engines: ``sql.engine.MonthEndDebts``); None: the steps after the close read the ledger
    debts: Mapping[date, list[Any]] | None = None
    # the engine's copies of the tables, left open for the steps after the close (:class:`Columnar`;
    # DuckDB's); None: the steps query the database. ``close.service.close`` closes it after the steps.
    columnar: Columnar | None = None
    # a table of (unit_id, person_id, wage, si, hi, ui, oadi): each person's row in force per unit in the last
    # month computed, declared by its end, with a wage (what its dues summed; valid in the close's
    # transaction); "": the engine kept none (the steps after the close read the participations)
    persons: str = ""

    def add(self, step: str, seconds: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds


class Columnar(Protocol):
    """A columnar engine holding copies of the database's tables (the DuckDB close's), which a step after the
    close may query instead of the database: a count over every participation takes seconds there and
    minutes on PostgreSQL at national scale. Read-only as far as the database is concerned: what a step
    computes there it writes to the database itself, in the close's transaction."""

    def load(self, tables: dict[str, list[tuple[str, str]]]) -> None:
        """Copy ``{table: [(column, DuckDB type), …]}`` in from the database, unless those columns of it
        are there already (the close's own copies are taken as they are: nothing has changed them since,
        the close's lock and transaction hold)."""

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` (``%(name)s`` parameters, as Django's cursor takes them)."""

    def close(self) -> None: ...


#: ``engine(through, closed_through, progress)``: the months after ``closed_through`` through ``through``.
Engine = Callable[[Month, Month | None, bool], EngineResult]


class Tables(Protocol):
    """How the set-based close (``sql.engine.SetClose``) changes its work tables: its steps are SELECTs,
    and what they do with the result goes through these methods. Three back-ends: ``sql.tables.SqlTables``
    (SQLite, PostgreSQL: plain SQL statements on one cursor), ``sql.duck.DuckTables`` (DuckDB) and
    ``sql.spark.SparkTables`` (Spark, whose SQL has no UPDATE, DELETE or ON CONFLICT on plain tables: it
    rewrites the table from a SELECT)."""

    def execute(self, sql: str) -> Any: ...

    def scalar(self, sql: str) -> Any: ...

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]: ...

    def drop(self, name: str) -> None: ...

    def create(self, name: str, columns: str) -> None: ...

    def index(self, name: str, table: str, columns: str) -> None: ...

    def fill(self, name: str, select: str) -> None: ...

    def insert(self, name: str, select: str, columns: str | None = None) -> None: ...

    def clear(self, name: str) -> None: ...

    def update(self, name: str, sets: dict[str, str], where: str, source: str | None = None) -> None: ...

    def delete(self, name: str, where: str) -> None: ...

    def upsert(self, name: str, columns: str, key: str, select: str, sets: dict[str, str]) -> None: ...


__all__ = ["Engine", "EngineResult", "Tables"]
