"""The set-based close on DuckDB: the same SQL steps, run by a columnar engine inside the process.

    sicollect close --through 2025-12 --engine duckdb

The steps are engine.py's, spelled by :class:`DuckDialect`; the work tables are DuckDB tables (a
fill is ``CREATE OR REPLACE TABLE … AS``, an index is not needed: DuckDB hashes its joins). The tables
the close reads are copied in first (:func:`load_inputs`: PostgreSQL's COPY into a file DuckDB reads;
SQLite's rows in batches, each converted column by column into Arrow; never a whole table in Python
lists), and the result goes back in two parts:

- ``ce_entry`` summed by ledger key in DuckDB and appended to the ledger as differences from what it
  holds, through the same ``write_ledger`` as the SQL close (so closed months get their corrections in
  the open month and a rerun appends nothing), staged in the database's ``ce_entry`` first. When the sums
  *are* the differences (:func:`appends_all`: a first close, or the routine month over a ledger holding
  nothing for it yet) they are appended as they are: on PostgreSQL by COPY straight into the ledger.
- ``ce_debt``, every unit's debt at every month end, into the database's work table of that name for
  the aging (``engine.MonthEndDebts``), exactly as the SQL close leaves it.

Like the SQL close it starts from the state the last close saved when nothing the closed months read
changed (``engine.resume_state``, checked over the database's tables), and computes the open months only.
It keeps its own state in a DuckDB file, ``SICOLLECT_VAR/close-state.duckdb`` (:func:`save_state_file`):
the database records the :class:`~sicollect.close.models.CloseState` (kept in "file", with a random token
the file holds too) and its ``close_state_*`` tables are left empty. The next DuckDB close reads the file
when its token is the database's (:func:`load_state_file`); the SQL close and Spark copy it into the
tables before they resume (:func:`state_file_to_database`); DuckDB resumes from a state the SQL close
saved by copying those tables in. A missing or foreign file costs a close from the first month, never a
wrong one. At national scale the file saves ~90 s of writing 45 M rows into PostgreSQL and ~45 s of
reading them back, each month (docs/scale.md).

The DuckDB session stays open after the engine for the steps after the close (``EngineResult.columnar``:
the participant counts are taken over its copies of the participations).

DuckDB works in memory up to ``SICOLLECT_DUCKDB_MEMORY`` (default 2GB) and spills to a temporary
directory beyond it. The database stays the system of record of everything but the saved state, which
is a cache of what the close computes from it.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone

from sicollect.contributions.models import LedgerEntry
from sicollect.core.months import Month
from sicollect.rules.book import RuleBook, load_rulebook

from ..engines import EngineResult
from .dialect import DuckDialect, dialect_for
from .engine import (
    STATE_FILE_READERS,
    STATE_ORDER,
    STATE_TABLES,
    STATE_TYPES,
    MonthEndDebts,
    SetClose,
    compute,
    month_end_debts,
    record_state,
    resume_state,
    state_columns,
)
from .tables import SqlTables

#: Rows per batch when copying tables into DuckDB and results out of it (bounded memory).
BATCH = 100_000

#: The tables the close reads: their columns as the database holds them → the DuckDB type of each.
INPUTS: dict[str, list[tuple[str, str]]] = {
    "registry_unit": [("id", "BIGINT"), ("region", "INTEGER"), ("oadi_low_risk", "BOOLEAN"),
                      ("payment_cycle", "INTEGER")],
    "registry_participation": [("id", "BIGINT"), ("person_id", "BIGINT"), ("unit_id", "BIGINT"),
                               ("from_month", "DATE"), ("to_month", "DATE"), ("wage", "BIGINT"),
                               ("si", "BOOLEAN"), ("hi", "BOOLEAN"), ("ui", "BOOLEAN"), ("oadi", "BOOLEAN"),
                               ("declared_on", "DATE"), ("retro_interest", "BOOLEAN")],
    "contributions_payment": [("id", "BIGINT"), ("unit_id", "BIGINT"), ("paid_on", "DATE"), ("amount", "BIGINT")],
}

#: The ledger key, as write_ledger groups it.
KEY = "unit_id, period, posted_on, kind, fund, target, month, late_from, payment_id, source"


class DuckTables(SqlTables):
    """The close's table operations on a DuckDB connection (its cursor API is DB-API's): the SQL
    statements of :class:`SqlTables`, but for these."""

    def analyze(self, *tables: str) -> None:
        """DuckDB keeps its statistics as it loads."""

    def drop(self, name: str) -> None:
        self.cur.execute(f"DROP TABLE IF EXISTS {name}")
        self.cur.execute(f"DROP SEQUENCE IF EXISTS {name}_id")
        self.created.discard(name)

    def create(self, name: str, columns: str) -> None:
        """A serial key (``BIGSERIAL PRIMARY KEY``) becomes a column numbered by a sequence of its own.
        No primary key is kept: DuckDB's UPDATE of a row in an indexed table is a delete and an insert, and
        building the index of the base in force (26 M rows at national scale, after a year) from the saved
        state took 22 s of every month's 27 s setup; :meth:`upsert` joins instead (``MERGE``)."""
        if "SERIAL PRIMARY KEY" in columns:
            self.cur.execute(f"CREATE SEQUENCE {name}_id")
            columns = columns.replace("BIGSERIAL PRIMARY KEY", f"BIGINT DEFAULT nextval('{name}_id')")
        columns = re.sub(r",\s*PRIMARY KEY \([^)]*\)", "", columns).replace(" PRIMARY KEY", "")
        self.cur.execute(f"CREATE TABLE {name} ({columns})")
        self.created.add(name)

    def upsert(self, name: str, columns: str, key: str, select: str, sets: dict[str, str]) -> None:
        """As :meth:`SqlTables.upsert`, as a ``MERGE`` (a hash join on ``key``: the table has no index)."""
        names = [c.strip() for c in columns.split(",")]
        on = " AND ".join(f"{name}.{k.strip()} = excluded.{k.strip()}" for k in key.split(","))
        assign = ", ".join(f"{col} = {expr.format(t=name)}" for col, expr in sets.items())
        self.cur.execute(f"MERGE INTO {name} USING ({select}) AS excluded({columns}) ON {on}\n"
                         f"WHEN MATCHED THEN UPDATE SET {assign}\n"
                         f"WHEN NOT MATCHED THEN INSERT ({columns}) "
                         f"VALUES ({', '.join('excluded.' + c for c in names)})")

    def index(self, name: str, table: str, columns: str) -> None:
        """No index: the close's joins are hash joins, and an index would only slow its updates."""

    def fill(self, name: str, select: str) -> None:
        self.cur.execute(f"CREATE OR REPLACE TABLE {name} AS {select}")
        self.created.add(name)


def connect(spill_dir: str) -> Any:
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{os.environ.get('SICOLLECT_DUCKDB_MEMORY', '2GB')}'")
    con.execute(f"SET temp_directory = '{spill_dir}'")
    con.execute("SET preserve_insertion_order = false")
    return con


class DuckSession:
    """A DuckDB connection in memory, its spill directory, and the tables copied into it (with their
    columns): the close's, then, when the close leaves it open for the steps after it
    (``engines.Columnar``), what they load. :meth:`close` ends both."""

    def __init__(self) -> None:
        self._spill = tempfile.TemporaryDirectory(prefix="sicollect-duckdb-")
        self.spill = self._spill.name
        self.con = connect(spill_dir=self.spill)
        self.loaded: dict[str, set[str]] = {}

    def load(self, tables: dict[str, list[tuple[str, str]]]) -> None:
        """Copy in each table (its columns) unless those columns are there already; a table with other
        columns is copied again with them all."""
        for table, columns in tables.items():
            have = self.loaded.get(table)
            if have is not None and {c for c, _ in columns} <= have:
                continue
            if have:  # the close's copy lacks some: copy the table again with the columns of both
                kept = dict(columns)
                columns = list(columns) + [(c, t) for c, t in self.types(table) if c not in kept]
            load_inputs(self.con, spill_dir=self.spill, tables={table: columns})
            self.loaded[table] = {c for c, _ in columns}

    def types(self, table: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.con.execute(f"DESCRIBE {table}").fetchall()]

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """``%(name)s`` parameters as DuckDB's ``$name``."""
        return self.con.execute(re.sub(r"%\((\w+)\)s", r"$\1", sql), params).fetchall()

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._spill.cleanup()


# --- in -----------------------------------------------------------------------------------------------
def _arrow_batch(rows: list[tuple[Any, ...]], names: list[str]) -> Any:
    """Rows as an Arrow record batch, column by column (SQLite: dates as text, booleans as 0/1; the
    casts happen in DuckDB)."""
    import pyarrow as pa

    columns = list(zip(*rows))
    return pa.RecordBatch.from_arrays([pa.array(list(c)) if any(v is not None for v in c)
                                       else pa.nulls(len(c), pa.string()) for c in columns], names=names)


def load_inputs(con: Any, batch: int = BATCH, spill_dir: str | None = None,
                tables: dict[str, list[tuple[str, str]]] = INPUTS) -> dict[str, int]:
    """Copy the tables the close reads (or ``tables``) from the database into DuckDB. PostgreSQL:
    ``COPY … TO STDOUT`` into a file DuckDB reads in parallel; SQLite: ``batch`` rows at a time, each
    batch column by column into Arrow. Returns the rows per table."""
    counts = {}
    for table, columns in tables.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
        if connection.vendor == "postgresql":
            _load_by_copy(con, table, columns, spill_dir)
        else:
            _load_by_batches(con, table, columns, batch)
        counts[table] = int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    return counts


def _load_by_copy(con: Any, table: str, columns: list[tuple[str, str]], spill_dir: str | None) -> None:
    names = ", ".join(c for c, _ in columns)
    with tempfile.NamedTemporaryFile(dir=spill_dir, suffix=".tsv") as f, connection.cursor() as cur:
        with cur.cursor.copy(f"COPY (SELECT {names} FROM {table}) TO STDOUT") as copy:
            for block in copy:
                f.write(block)
        if not f.tell():  # an empty table: nothing to read (DuckDB cannot sniff an empty file)
            return
        f.flush()
        types = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns) + "}"
        # PostgreSQL's text format: tab-separated, \N for NULL, t/f for booleans (no text columns here)
        con.execute(f"INSERT INTO {table} SELECT * FROM read_csv('{f.name}', delim = '\t', header = false, "
                    f"nullstr = '\\N', quote = '', escape = '', columns = {types})")


def _load_by_batches(con: Any, table: str, columns: list[tuple[str, str]], batch: int) -> None:
    from django.db import transaction

    names = [c for c, _ in columns]
    casts = ", ".join(f"CAST({c} AS {t})" for c, t in columns)
    with transaction.atomic(), connection.chunked_cursor() as cur:
        cur.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY id")
        while rows := cur.fetchmany(batch):
            con.register("__batch", _arrow_batch(rows, names))
            con.execute(f"INSERT INTO {table} SELECT {casts} FROM __batch")
            con.unregister("__batch")


# --- out ----------------------------------------------------------------------------------------------
def _batches(con: Any, sql: str, batch: int = BATCH) -> Any:
    con.execute(sql)
    while rows := con.fetchmany(batch):
        yield rows


def _db_date(column: str) -> str:
    """A DuckDB date column as the database takes it back (SQLite keeps dates as ISO text)."""
    return f"CAST({column} AS VARCHAR)" if connection.vendor == "sqlite" else column


def ledger_is_empty_through(through: Month) -> bool:
    return not LedgerEntry.objects.filter(period__lte=through.first_day).exists()


def appends_all(through: Month, closed: Month | None, resumed: bool) -> bool:
    """Whether the close's sums, key by key, are what the ledger lacks, as they are: a first close over a
    ledger holding nothing up to ``through``, or a resumed one (no closed month to correct) over a ledger
    holding nothing for the open months (``SetClose.write_ledger`` nets them against nothing). One
    indexed query."""
    if closed is None:
        return ledger_is_empty_through(through)
    return resumed and not LedgerEntry.objects.filter(period__gt=closed.first_day,
                                                      period__lte=through.first_day).exists()


def write_back(con: Any, through: Month, closed: Month | None, book: RuleBook,
               summary: EngineResult | None = None, resumed: bool = False) -> int:
    """The close's entries into the ledger as differences, key by key; returns the rows appended.
    ``resumed``: the close started from the saved state of ``closed`` (see ``SetClose.write_ledger``).

    When the sums are the differences (:func:`appends_all`: a first close, or the routine monthly close
    over a ledger holding nothing yet for the open month) they are appended as they are: on PostgreSQL
    straight from DuckDB into the ledger by COPY (at national scale 6.6 M rows a month), on SQLite
    through the staged ``ce_entry`` in one INSERT … SELECT. Otherwise they are staged and netted
    against the ledger by ``SetClose.write_ledger``, as the SQL close does."""
    dialect = dialect_for(connection.vendor)
    day = _db_date
    # a resumed close computed only the open months; the condition keeps the netting's scope all the same
    scope = f"WHERE period > DATE '{closed.first_day.isoformat()}' " if closed is not None and resumed else ""
    summed = (f"SELECT unit_id, {day('period')}, {day('posted_on')}, kind, fund, target, {day('month')}, "
              f"{day('late_from')}, payment_id, source, CAST(SUM(amount) AS BIGINT) AS amount, MAX(detail) AS detail "
              f"FROM ce_entry {scope}GROUP BY {KEY} HAVING SUM(amount) <> 0 "
              # in the order of the ledger's (unit, period) index: SQLite appends to its B-tree in order
              f"ORDER BY unit_id, period, posted_on")
    direct = appends_all(through, closed, resumed)
    with connection.cursor() as cur:
        if direct and dialect.name == "postgresql":
            now = timezone.now().isoformat()
            return _copy_out(con, cur, f"""SELECT unit_id, period, posted_on, kind, fund, target, month, late_from, payment_id,
  source, amount, COALESCE(detail, '{{}}'), false, CAST(NULL AS DATE), '{now}' FROM ({summed}) e""",
                             "contributions_ledgerentry", 15, f"{KEY}, amount, detail, is_correction, for_period, created_at")
        engine = SetClose(book, dialect, SqlTables(cur, dialect))
        engine.create_entry_table()
        # staged in the database's ce_entry (no index: the fastest way in; straight into the indexed
        # ledger is slower), then appended in one statement
        t = time.perf_counter()
        _copy_out(con, cur, summed, "ce_entry", 12)
        if summary is not None:
            summary.add("stage entries", time.perf_counter() - t)
        if direct:
            # what the ledger lacks is everything the close computed, already summed by key
            cur.execute(f"""INSERT INTO contributions_ledgerentry ({KEY}, amount, detail, is_correction, for_period,
  created_at)
SELECT {KEY}, amount, COALESCE(detail, {dialect.empty_json}), {dialect.false}, NULL, {dialect.now()} FROM ce_entry""")
            return max(cur.rowcount, 0)
        return engine.write_ledger(through, closed, resumed=resumed)


def _copy_into(cur: Any, table: str, width: int, batches: Any, columns: str | None = None) -> int:
    """Rows into ``table`` (into ``columns``, in order, when given): COPY on PostgreSQL, executemany on
    SQLite. From DuckDB, :func:`_copy_out` is the fast way (no row passes through Python)."""
    cols = f" ({columns})" if columns else ""
    written = 0
    for rows in batches:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table}{cols} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cur.executemany(f"INSERT INTO {table}{cols} VALUES ({', '.join(['%s'] * width)})", rows)
        written += len(rows)
    return written


#: Bytes per write when streaming a CSV file into PostgreSQL's COPY.
CHUNK = 1 << 20


def _copy_out(con: Any, cur: Any, select: str, table: str, width: int, columns: str | None = None) -> int:
    """DuckDB's ``select`` into the database's ``table``. PostgreSQL: DuckDB writes it as CSV (in C, in
    parallel) into a temporary file, streamed to ``COPY … FROM STDIN (FORMAT csv)`` a megabyte at a time,
    so no row becomes a Python object (at national scale the saved state is ~25 M rows: ~100 s row by row,
    a few seconds this way). SQLite: batches of rows (:func:`_copy_into`).

    DuckDB's CSV writes NULL as an empty field and an empty string as ``""``, which is how PostgreSQL's
    CSV format reads them; dates as ISO, booleans as ``true``/``false``, JSON text quoted. Returns the rows
    written."""
    if connection.vendor != "postgresql":
        return _copy_into(cur, table, width, _batches(con, select), columns)
    cols = f" ({columns})" if columns else ""
    with tempfile.NamedTemporaryFile(suffix=".csv") as f:
        # the rows in the select's ORDER BY (the saved state's ids number them in that order), whatever
        # connect() set for the work tables
        con.execute("SET preserve_insertion_order = true")
        try:
            con.execute(f"COPY ({select}) TO '{f.name}' (FORMAT csv, HEADER false)")
        finally:
            con.execute("SET preserve_insertion_order = false")
        with open(f.name, "rb") as src, cur.cursor.copy(f"COPY {table}{cols} FROM STDIN (FORMAT csv)") as copy:
            while block := src.read(CHUNK):
                copy.write(block)
        return max(cur.cursor.rowcount, 0)


def store_state(fill: Callable[[Any, str, str, str], None], through: Month | None, book: RuleBook | None, seq: int,
                fingerprint: str | None = None, record: bool = True) -> None:
    """The saved state from another engine into the database: for each work table the close leaves for
    the next (``engine.STATE_TABLES``), ``fill(cursor, work, state, columns)`` writes its rows into the
    database's ``state`` table (those columns, dates as ``_db_date`` says) in ``engine.STATE_ORDER`` (the
    ids of ``close_state_*`` number them in that order, as ``SetClose.save_state`` saves them); then (with
    ``record``) their :class:`~sicollect.close.models.CloseState`, as the SQL close records it (with
    ``fingerprint``, when the close computed it already). The next close, on any engine, can start from there."""
    with connection.cursor() as cur:
        tables = SqlTables(cur, dialect_for(connection.vendor))
        for work, (state, columns) in STATE_TABLES.items():
            tables.empty(state)
            fill(cur, work, state, columns)
        if record:
            assert through is not None and book is not None
            record_state(tables, book, through, seq, fingerprint)


def _select_state(columns: str) -> str:
    names = [c.strip() for c in columns.split(",")]
    return ", ".join(_db_date(c) if STATE_TYPES.get(c) == "DATE" else c for c in names)


# --- the saved state, kept beside the database as a DuckDB file ------------------------------------------
def state_cache_path() -> Path:
    """``SICOLLECT_VAR/close-state.duckdb``: the saved state as the last DuckDB close left it."""
    from django.conf import settings

    return Path(settings.VAR_DIR) / "close-state.duckdb"


def state_token(state: Any) -> str:
    """What names one saved state in the file: its :class:`~sicollect.close.models.CloseState` row (its random
    ``token``, new at every save, its id, month, sequence, fingerprint and the ledger's last row)."""
    return json.dumps([state.token, state.pk, state.month.isoformat(), state.seq, state.fingerprint,
                       state.ledger_max_id])


def keep_state_file(con: Any, state: Any) -> None:
    """The work tables at the end of the close, the saved state ``state`` (a
    :class:`~sicollect.close.models.CloseState` kept in "file"), written into :func:`state_cache_path` with
    its token (:func:`state_token`). Written beside it and renamed into place."""
    path = state_cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    con.execute(f"ATTACH '{tmp}' AS kept")
    try:
        con.execute("CREATE TABLE kept.token (token VARCHAR)")
        con.execute("INSERT INTO kept.token VALUES (?)", [state_token(state)])
        for work, (table, columns) in STATE_TABLES.items():
            # the order SetClose.load_state reads them in: the work table's own id where it numbers its rows
            # in order (items, fresh items), else any
            order = "id" if STATE_ORDER[work] == "id" else "rowid"
            con.execute(f"CREATE TABLE kept.{table} AS SELECT {order} AS id, {columns} FROM {work}")
    finally:
        con.execute("DETACH kept")
    os.replace(tmp, path)


def save_state_file(con: Any, through: Month, book: RuleBook, seq: int, fingerprint: str | None = None) -> None:
    """The DuckDB close's saved state: its work tables at ``through`` into its own file
    (:func:`keep_state_file`), the ``close_state_*`` tables emptied (they hold no other state) and the
    :class:`~sicollect.close.models.CloseState` recorded as kept in "file". At national scale this writes
    ~45 M rows into a compressed local file in ~6 s instead of ~95 s into PostgreSQL; an engine that reads
    the state from the tables copies the file into them first (:func:`state_file_to_database`)."""
    with connection.cursor() as cur:
        tables = SqlTables(cur, dialect_for(connection.vendor))
        for state_table, _ in STATE_TABLES.values():
            tables.empty(state_table)
        state = record_state(tables, book, through, seq, fingerprint, kept_in="file")
    keep_state_file(con, state)


def state_file_to_database(state: Any) -> bool:
    """A state kept in the DuckDB close's file copied into the ``close_state_*`` tables (for the SQL close or
    Spark, which read it there): False when the file does not hold it (missing, damaged, another state's).
    Registered in ``engine.STATE_FILE_READERS``."""
    from sicollect.close.models import CloseState

    session = DuckSession()
    try:
        if not load_state_file(session, state):
            return False
        store_state(lambda cur, work, table, columns: _copy_out(
            session.con, cur, f"SELECT {_select_state(columns)} FROM {table} ORDER BY id", table,
            len(columns.split(",")), columns), None, None, 0, record=False)
        CloseState.objects.filter(pk=state.pk).update(kept_in="database")
        state.kept_in = "database"
        return True
    finally:
        session.close()


STATE_FILE_READERS.append(state_file_to_database)


def load_state_file(session: DuckSession, state: Any) -> bool:
    """The saved state ``state`` into the session from :func:`state_cache_path` when that file holds it (its
    token is ``state``'s: :func:`state_token`); False when it does not (no file, another state, another
    database, a file that cannot be read), and the state is copied from the database."""
    path = state_cache_path()
    if not path.exists():
        return False
    con = session.con
    try:
        con.execute(f"ATTACH '{path}' AS kept (READ_ONLY)")
    except Exception:  # noqa: BLE001 (a damaged or foreign file: the database has the state)
        return False
    try:
        token = con.execute("SELECT token FROM kept.token").fetchone()
        if token is None or token[0] != state_token(state):
            return False
        for table, columns in state_columns().items():
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {', '.join(c for c, _ in columns)} FROM kept.{table}")
            session.loaded[table] = {c for c, _ in columns}
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        con.execute("DETACH kept")


def copy_debts(con: Any) -> None:
    """``ce_debt`` (every unit's debt at every month end) into the database's work table of that name."""
    with connection.cursor() as cur:
        tables = SqlTables(cur, dialect_for(connection.vendor))
        tables.drop("ce_debt")
        tables.create("ce_debt", "as_of DATE, unit_id BIGINT, outstanding BIGINT, late BIGINT, oldest DATE")
        tables.index("ce_debt_day", "ce_debt", "as_of")
        _copy_out(con, cur, f"SELECT {_db_date('as_of')}, unit_id, CAST(outstanding AS BIGINT), CAST(late AS BIGINT), "
                            f"{_db_date('oldest')} FROM ce_debt", "ce_debt", 5)


def run_duckdb(through: Month, closed_through: Month | None = None, progress: bool = False,
               book: RuleBook | None = None, resume: bool = True, keep_open: bool = False) -> EngineResult:
    """The close's steps on DuckDB over copies of the tables; the ledger's differences written back.

    As ``engine.run_close``: with ``resume`` (default) and a saved state for ``closed_through`` whose
    inputs did not change (saved by this engine or the SQL close), its ``close_state_*`` rows are copied
    in with the inputs and only the open months are computed; either way the state at ``through`` is
    saved back into the database for the next close. ``keep_open``: the DuckDB session is returned open
    as ``EngineResult.columnar`` for the steps after the close (the caller closes it)."""
    book = book or load_rulebook()
    session = DuckSession()
    con = session.con
    handed = False  # the session went to the caller, open
    fingerprints: dict[Month, str] = {}
    try:
        t = time.perf_counter()
        session.load(INPUTS)
        load = time.perf_counter() - t
        t = time.perf_counter()
        with connection.cursor() as cur:
            tables = SqlTables(cur, dialect_for(connection.vendor))
            # the state the last close saved (by any engine), when nothing the closed months read changed;
            # the fingerprint of the month closed now, saved with its state, in the same pass (on
            # PostgreSQL over the copies just loaded: the same sums as the server's, in a tenth of the time)
            state = resume_state(tables, book, closed_through if resume else None, through, fingerprints,
                                 in_file=True, rows_in=DuckTables(con, DuckDialect()))
            # the statistics the database's own queries after the close plan with (aging, arrears), as the
            # SQL close leaves them (a resumed close, one month's change, plans with those the last one left)
            inputs = ("registry_unit", "registry_participation", "contributions_payment")
            if state is None or not tables.has_statistics(*inputs):
                tables.analyze(*inputs)
        check = time.perf_counter() - t
        t = time.perf_counter()
        if state is not None and not load_state_file(session, state):
            if state.kept_in == "database":
                session.load(state_columns())
            else:  # kept in a file that is not here or not its: from the first month
                state = None
        load += time.perf_counter() - t
        engine = SetClose(book, DuckDialect(), DuckTables(con, DuckDialect()))
        engine.summary.add("resume check", check)
        engine.summary.add("load", load)
        if not compute(engine, through, progress, resume=state):
            return EngineResult()
        t = time.perf_counter()
        copy_debts(con)
        engine.summary.add("stage debts", time.perf_counter() - t)
        # read back from the database's ce_debt, as after the SQL close
        days = month_end_debts(engine, through).days
        engine.summary.debts = MonthEndDebts(days, dialect_for(connection.vendor))
        t = time.perf_counter()
        engine.summary.entries = write_back(con, through, closed_through, book, engine.summary,
                                            resumed=state is not None)
        engine.summary.add("write ledger", time.perf_counter() - t - engine.summary.seconds.get("stage entries", 0.0))
        t = time.perf_counter()
        save_state_file(con, through, book, engine.seq, fingerprints.get(through))
        engine.summary.add("save state", time.perf_counter() - t)
        engine.summary.units = int(engine.scalar("SELECT COUNT(*) FROM registry_unit"))
        if keep_open:
            engine.summary.columnar, handed = session, True
        return engine.summary
    finally:
        if not handed:
            session.close()


def duckdb_close_engine(through: Month, closed_through: Month | None, progress: bool) -> EngineResult:
    """The engine hook of ``close.service.close``: the session stays open for the steps after the close."""
    return run_duckdb(through, closed_through, progress, keep_open=True)


__all__ = ["DuckTables", "duckdb_close_engine", "load_inputs", "run_duckdb", "save_state_file", "state_file_to_database",
           "store_state"]
