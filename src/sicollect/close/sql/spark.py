"""The set-based close on Apache Spark: the same SQL steps, over Parquet exports of the tables.

    export_tables(DIR)            registry_unit, registry_participation, contributions_payment → DIR/*.parquet
    run_spark(DIR, OUT, through)  the close's steps (engine.SetClose, Spark SQL dialect) → OUT/ce_entry (Parquet)
    write_back(OUT, through)      those entries into the database's ledger, as differences key by key

The steps are engine.py's SELECTs, spelled by :class:`.dialect.SparkDialect`. What Spark's SQL lacks —
UPDATE, DELETE and INSERT … ON CONFLICT on plain tables, temporary tables, serial ids — is done by
:class:`SparkTables`: each work table is a DataFrame, kept materialised (``localCheckpoint``, so its
lineage does not grow with every step) under a temporary view of its name, and a change is a SELECT
that rewrites it (an UPDATE is a LEFT JOIN with CASE, a DELETE an anti join, an upsert a FULL JOIN).
The result, ``ce_entry``, is appended to Parquet as the steps go and never collected to the driver.

Written back with :func:`write_back`, the Spark close's entries go through the same ``write_ledger``
as the PostgreSQL/SQLite close: on a database already closed by the SQL engine it appends nothing when
the two agree to the đồng (``tests/close/test_spark.py``). ``sicollect spark`` runs it from the
command line; docs/scale.md says how to run it on a cluster.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sicollect.core.months import Month
from sicollect.rules.book import RuleBook, load_rulebook

from ..engines import EngineResult
from .dialect import SparkDialect, dialect_for
from .engine import STATE_ORDER, STATE_TABLES, SetClose, compute, resume_state, state_columns
from .tables import SqlTables

#: The tables the close reads, the columns it needs, and their Arrow types. ``province`` (the code of
#: the unit's top office) is added to every table so that a cluster can split the work by province.
EXPORTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "registry_unit": (
        """SELECT u.id, u.region, u.oadi_low_risk, u.payment_cycle, COALESCE(p.code, o.code) AS province
FROM registry_unit u JOIN registry_office o ON o.id = u.office_id LEFT JOIN registry_office p ON p.id = o.parent_id""",
        [("id", "int64"), ("region", "int64"), ("oadi_low_risk", "bool"), ("payment_cycle", "int64"),
         ("province", "string")]),
    "registry_participation": (
        """SELECT x.id, x.person_id, x.unit_id, x.from_month, x.to_month, x.wage, x.si, x.hi, x.ui, x.oadi,
       x.declared_on, x.retro_interest, COALESCE(p.code, o.code) AS province
FROM registry_participation x JOIN registry_unit u ON u.id = x.unit_id
JOIN registry_office o ON o.id = u.office_id LEFT JOIN registry_office p ON p.id = o.parent_id""",
        [("id", "int64"), ("person_id", "int64"), ("unit_id", "int64"), ("from_month", "date32"),
         ("to_month", "date32"), ("wage", "int64"), ("si", "bool"), ("hi", "bool"), ("ui", "bool"),
         ("oadi", "bool"), ("declared_on", "date32"), ("retro_interest", "bool"), ("province", "string")]),
    "contributions_payment": (
        """SELECT x.id, x.unit_id, x.paid_on, x.amount, COALESCE(p.code, o.code) AS province
FROM contributions_payment x JOIN registry_unit u ON u.id = x.unit_id
JOIN registry_office o ON o.id = u.office_id LEFT JOIN registry_office p ON p.id = o.parent_id""",
        [("id", "int64"), ("unit_id", "int64"), ("paid_on", "date32"), ("amount", "int64"),
         ("province", "string")]),
}
#: The Arrow type of each column type of the saved state's tables (``engine.state_columns``).
STATE_ARROW = {"BIGINT": "int64", "VARCHAR": "string", "DATE": "date32", "BOOLEAN": "bool"}


def state_exports() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """The ``close_state_*`` tables (the state the last close saved) as :data:`EXPORTS` has the inputs."""
    return {state: (f"SELECT {', '.join(c for c, _ in columns)} FROM {state}",
                    [(c, STATE_ARROW[t]) for c, t in columns])
            for state, columns in state_columns().items()}


#: Rows per Parquet row group when exporting and per batch when writing back (bounded memory).
EXPORT_BATCH = 100_000


# --- Java and the session ------------------------------------------------------------------------------
def java_problem() -> str | None:
    """Why Spark cannot start here (no Java 17+), or None."""
    java = shutil.which("java") or (os.path.join(os.environ["JAVA_HOME"], "bin", "java")
                                    if os.environ.get("JAVA_HOME") else None)
    if not java or not os.path.exists(java):
        return "no Java runtime (Debian: apt-get install openjdk-17-jre-headless)"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.SubprocessError) as exc:
        return f"java -version failed: {exc}"
    m = re.search(r'version "(\d+)', out)
    if not m or int(m.group(1)) < 17:
        return f"Spark 3.5 here is run on Java 17; found: {out.splitlines()[0] if out else '?'}"
    return None


def spark_session(master: str | None = None, memory: str = "2g", partitions: int | None = None,
                  local_dir: str | None = None, conf: dict[str, str] | None = None) -> Any:
    """A SparkSession (local mode by default: ``local[N]`` with N = the machine's cores)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: no need to find a public address
    master = master or os.environ.get("SICOLLECT_SPARK_MASTER", "local[*]")
    cores = os.cpu_count() or 2
    builder = (SparkSession.builder.appName("sicollect-close").master(master)
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", str(partitions or max(2, cores)))
               .config("spark.sql.adaptive.enabled", "true")
               .config("spark.driver.memory", memory)
               .config("spark.sql.ansi.enabled", "false"))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    if local_dir:
        builder = builder.config("spark.local.dir", local_dir)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --- the work tables on Spark ---------------------------------------------------------------------------
_TYPES = [(r"^(VARCHAR|CHAR|TEXT|JSONB|STRING)", "string"), (r"^(BIGSERIAL|BIGINT|INTEGER|INT)", "bigint"),
          (r"^DATE", "date"), (r"^BOOLEAN", "boolean")]


def _split_top(text: str) -> list[str]:
    """Split at commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_columns(columns: str) -> tuple[list[tuple[str, str]], str | None]:
    """``"id BIGSERIAL PRIMARY KEY, unit_id BIGINT, …"`` → ([(name, spark type)], the serial column)."""
    out, serial = [], None
    for part in _split_top(columns):
        if part.upper().startswith("PRIMARY KEY"):
            continue
        name, sql_type = part.split(None, 1)
        upper = sql_type.upper()
        if "SERIAL" in upper or (upper.startswith("INTEGER PRIMARY KEY") and name == "id"):
            serial = name
        for pattern, spark_type in _TYPES:
            if re.match(pattern, upper):
                out.append((name, spark_type))
                break
        else:
            raise ValueError(f"no Spark type for {part!r}")
    return out, serial


class SparkTables:
    """The close's table operations (see :class:`.tables.SqlTables`) on Spark DataFrames.

    ``sink``: tables that are only appended to and read at the end (``ce_entry``): each append is
    written to ``out_dir/<table>`` as Parquet instead of being kept in the session.
    """

    def __init__(self, spark: Any, out_dir: str | Path, sinks: tuple[str, ...] = ("ce_entry",),
                 flush_every: int = 64) -> None:
        self.spark = spark
        self.out_dir = Path(out_dir)
        self.sinks = set(sinks)
        self.flush_every = flush_every
        self.pending: dict[str, list[Any]] = {}
        self.kept: dict[str, Any] = {}
        self.frames: dict[str, Any] = {}
        self.schemas: dict[str, list[tuple[str, str]]] = {}
        self.serial: dict[str, str] = {}
        self.next_id: dict[str, int] = {}
        self.statements = 0

    # --- reading --------------------------------------------------------------------------------
    def sql(self, text: str) -> Any:
        self.statements += 1
        text = text.strip()
        if text.upper().startswith("VALUES"):
            text = "SELECT * FROM " + text
        return self.spark.sql(text)

    def execute(self, sql: str) -> None:
        self.sql(sql).collect()

    def scalar(self, sql: str) -> Any:
        rows = self.sql(sql).take(1)
        return rows[0][0] if rows else None

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.sql(sql).collect()]

    # --- tables ---------------------------------------------------------------------------------
    def _set(self, name: str, df: Any) -> None:
        """Materialise ``df`` as the new version of table ``name`` and drop the old one.

        ``localCheckpoint`` keeps the rows (executor memory, spilling to disk) and cuts the lineage;
        the frame is then rebuilt from the checkpointed RDD so that its size estimate starts afresh:
        a checkpoint's estimate is derived from the previous version's, and over the thousands of
        steps of a close it grows without bound (Spark 3.5 spends minutes, then runs out of heap,
        multiplying it)."""
        from pyspark.sql import DataFrame

        kept = df.localCheckpoint(eager=True)
        jss = self.spark._jsparkSession
        new = DataFrame(jss.createDataFrame(kept._jdf.rdd(), kept._jdf.schema()), self.spark)
        new.createOrReplaceTempView(name)
        self.frames[name] = new
        self.kept[name], old_kept = kept, self.kept.get(name)
        if old_kept is not None:
            old_kept.unpersist()

    def _typed(self, name: str, df: Any, columns: str | None) -> Any:
        """``df``'s columns, positionally, as ``columns`` of table ``name`` (the rest NULL or serial)."""
        from pyspark.sql import functions as F

        schema = self.schemas[name]
        names = [c.strip() for c in columns.split(",")] if columns else [c for c, _ in schema
                                                                         if c != self.serial.get(name)]
        df = df.toDF(*names)
        serial = self.serial.get(name)
        cols = []
        for col, spark_type in schema:
            if col in names:
                cols.append(F.col(col).cast(spark_type).alias(col))
            elif col == serial:
                # unique ids without a shuffle: partition << 33 | row, shifted past the ids given so far
                cols.append((F.monotonically_increasing_id() + F.lit(self.next_id[name])).alias(col))
            else:
                cols.append(F.lit(None).cast(spark_type).alias(col))
        out = df.select(*cols)
        if serial:
            self.next_id[name] += (out.rdd.getNumPartitions() + 1) << 33
        return out

    def drop(self, name: str) -> None:
        self.frames.pop(name, None)
        self.spark.catalog.dropTempView(name)
        old = self.kept.pop(name, None)
        if old is not None:
            old.unpersist()
        if name in self.sinks:
            shutil.rmtree(self.out_dir / name, ignore_errors=True)

    def create(self, name: str, columns: str) -> None:
        schema, serial = parse_columns(columns)
        self.schemas[name] = schema
        if serial:
            self.serial[name] = serial
            self.next_id[name] = 1
        ddl = ", ".join(f"`{c}` {t}" for c, t in schema)
        empty = self.spark.createDataFrame([], ddl)
        if name in self.sinks:
            (self.out_dir / name).mkdir(parents=True, exist_ok=True)
            empty.createOrReplaceTempView(name)
            return
        self._set(name, empty)

    def index(self, name: str, table: str, columns: str) -> None:
        """Spark has no indexes; joins are hashed or broadcast."""

    def fill(self, name: str, select: str) -> None:
        self._set(name, self.sql(select))

    # --- changing rows --------------------------------------------------------------------------
    def insert(self, name: str, select: str, columns: str | None = None) -> None:
        new = self._typed(name, self.sql(select), columns)
        if name in self.sinks:
            # one Parquet write per ``flush_every`` appends: a write is a job of its own
            self.pending.setdefault(name, []).append(new.localCheckpoint(eager=True))  # appended once, not chained
            if len(self.pending[name]) >= self.flush_every:
                self.flush(name)
            return
        self._set(name, self.frames[name].unionByName(new))

    def flush(self, name: str | None = None) -> None:
        """Write the appends still held for the sink tables (all, or ``name``) to Parquet."""
        for sink in [name] if name else list(self.pending):
            parts = self.pending.pop(sink, [])
            if parts:
                union = parts[0]
                for part in parts[1:]:
                    union = union.unionByName(part)
                union.coalesce(1).write.mode("append").parquet(str(self.out_dir / sink))
                for part in parts:
                    part.unpersist()

    def clear(self, name: str) -> None:
        self._set(name, self.frames[name].limit(0))

    def _columns(self, name: str) -> list[str]:
        return [c for c, _ in self.schemas[name]]

    def update(self, name: str, sets: dict[str, str], where: str, source: str | None = None) -> None:
        if source:
            # the source joins at most one row to a row of the table (the engine's contract)
            frm = f"{name} LEFT JOIN {source} ON {where}"
            hit = f"({where})"
        else:
            # WHERE may hold IN/EXISTS subqueries, which Spark allows in a filter only: find the rows first
            key = self.serial[name]
            frm = (f"{name} LEFT JOIN (SELECT {name}.{key} AS __key, TRUE AS __hit FROM {name} WHERE {where}) __h "
                   f"ON __h.__key = {name}.{key}")
            hit = "__h.__hit"
        cols = ", ".join(f"CASE WHEN {hit} THEN {sets[c]} ELSE {name}.{c} END AS {c}" if c in sets else f"{name}.{c}"
                         for c in self._columns(name))
        self._set(name, self.sql(f"SELECT {cols} FROM {frm}"))

    def delete(self, name: str, where: str) -> None:
        key = self.serial[name]
        self._set(name, self.sql(f"SELECT {name}.* FROM {name} LEFT ANTI JOIN "
                                 f"(SELECT {name}.{key} AS __key FROM {name} WHERE {where}) __h ON __h.__key = {name}.{key}"))

    def upsert(self, name: str, columns: str, key: str, select: str, sets: dict[str, str]) -> None:
        names = [c.strip() for c in columns.split(",")]
        keys = [k.strip() for k in key.split(",")]
        self.fill("__upsert", select)
        self.spark.sql("SELECT * FROM __upsert").toDF(*names).createOrReplaceTempView("excluded")
        on = " AND ".join(f"o.{k} = excluded.{k}" for k in keys)
        missing = " AND ".join(f"o.{k} IS NULL" for k in keys)
        fresh = " AND ".join(f"excluded.{k} IS NULL" for k in keys)
        cols = []
        for c in self._columns(name):
            if c in keys:
                cols.append(f"COALESCE(o.{c}, excluded.{c}) AS {c}")
            elif c in sets:
                cols.append(f"CASE WHEN {missing} THEN excluded.{c} WHEN {fresh} THEN o.{c} "
                            f"ELSE {sets[c].format(t='o')} END AS {c}")
            else:
                cols.append(f"CASE WHEN {missing} THEN excluded.{c} ELSE o.{c} END AS {c}" if c in names
                            else f"o.{c}")
        merged = self.sql(f"SELECT {', '.join(cols)} FROM {name} o FULL OUTER JOIN excluded ON {on}")
        self._set(name, self._typed(name, merged, ", ".join(self._columns(name))))


# --- export, run, write back ---------------------------------------------------------------------------
def _arrow_rows(cursor: Any, columns: list[tuple[str, str]], batch: int) -> Iterator[Any]:
    import pyarrow as pa

    types = {"int64": pa.int64(), "bool": pa.bool_(), "date32": pa.date32(), "string": pa.string()}
    while True:
        rows = cursor.fetchmany(batch)
        if not rows:
            return
        arrays = []
        for i, (_, kind) in enumerate(columns):
            values = [r[i] for r in rows]
            if kind == "date32":  # SQLite hands dates back as text
                values = [date.fromisoformat(v[:10]) if isinstance(v, str) else v for v in values]
            elif kind == "bool":
                values = [None if v is None else bool(v) for v in values]
            arrays.append(pa.array(values, type=types[kind]))
        yield pa.RecordBatch.from_arrays(arrays, names=[c for c, _ in columns])


def export_tables(out_dir: str | Path, batch: int = EXPORT_BATCH,
                  tables: dict[str, tuple[str, list[tuple[str, str]]]] | None = None) -> dict[str, int]:
    """Write the tables the close reads (or ``tables``, e.g. :func:`state_exports`) to
    ``out_dir/<table>.parquet``, streaming (a server-side cursor on PostgreSQL), ``batch`` rows at a
    time. Returns the rows per table."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.db import connection, transaction

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table, (select, columns) in (tables or EXPORTS).items():
        types = {"int64": pa.int64(), "bool": pa.bool_(), "date32": pa.date32(), "string": pa.string()}
        schema = pa.schema([(c, types[k]) for c, k in columns])
        n = 0
        with transaction.atomic(), connection.chunked_cursor() as cur, \
                pq.ParquetWriter(out / f"{table}.parquet", schema) as writer:
            cur.execute(select + " ORDER BY 1")
            for rb in _arrow_rows(cur, columns, batch):
                writer.write_batch(rb)
                n += rb.num_rows
        counts[table] = n
    return counts


def run_spark(data_dir: str | Path, out_dir: str | Path, through: Month, book: RuleBook | None = None,
              progress: bool = False, spark: Any = None, province: str | None = None,
              resume: Any = None, keep_state: bool = False) -> EngineResult:
    """The close's steps on Spark over ``data_dir``'s Parquet files; the entries go to ``out_dir/ce_entry``.
    ``province``: only that province's units (a cluster can run the provinces as separate jobs).
    ``resume``: the :class:`~sicollect.close.models.CloseState` whose ``close_state_*`` tables were
    exported beside the inputs (:func:`state_exports`): the open months only are computed.
    ``keep_state`` (not with ``province``): the work tables the next close starts from are written to
    ``out_dir/state/<table>`` (Parquet, in ``engine.STATE_ORDER``) and the id counter to
    ``out_dir/state/seq``, for :func:`save_state`."""
    if (resume is not None or keep_state) and province:
        raise ValueError("a close split by province neither resumes nor saves the state (it is the whole's)")
    book = book or load_rulebook()
    spark = spark or spark_session()
    from pyspark import StorageLevel

    data = Path(data_dir)
    inputs = []
    for table in EXPORTS:
        df = spark.read.parquet(str(data / f"{table}.parquet"))
        if province:
            df = df.where(df.province == province)
        # read once: every step joins them (memory, spilling to disk where it must)
        df.persist(StorageLevel.MEMORY_AND_DISK).createOrReplaceTempView(table)
        inputs.append(df)
    if resume is not None:
        for state in state_columns():
            spark.read.parquet(str(data / f"{state}.parquet")).createOrReplaceTempView(state)
    tables = SparkTables(spark, out_dir)
    engine = SetClose(book, SparkDialect(), tables)
    t = time.perf_counter()
    computed = compute(engine, through, progress, resume=resume)
    engine.summary.add("spark close", time.perf_counter() - t)
    engine.summary.units = int(tables.scalar("SELECT COUNT(*) FROM registry_unit"))
    tables.flush()
    if computed and keep_state:
        t = time.perf_counter()
        state_dir = Path(out_dir) / "state"
        for work, (_, columns) in STATE_TABLES.items():
            tables.sql(f"SELECT {columns} FROM {work} ORDER BY {STATE_ORDER[work]}").write.mode(
                "overwrite").parquet(str(state_dir / work))
        (state_dir / "seq").write_text(str(engine.seq))
        engine.summary.add("save state", time.perf_counter() - t)
    engine.summary.statements = tables.statements
    for name in list(tables.frames):
        tables.drop(name)
    for df in inputs:
        df.unpersist()
    return engine.summary


def read_entries(out_dir: str | Path, batch: int = EXPORT_BATCH) -> Iterator[list[tuple[Any, ...]]]:
    """The Spark close's ``ce_entry`` rows, ``batch`` at a time, in the table's column order."""
    import pyarrow.dataset as ds

    names = [c for c, _ in parse_columns(SetClose.ENTRY_COLUMNS.format(json="TEXT"))[0]]
    dataset = ds.dataset(str(Path(out_dir) / "ce_entry"), format="parquet")
    for rb in dataset.to_batches(columns=names, batch_size=batch):
        cols = [rb.column(i).to_pylist() for i in range(len(names))]
        yield list(zip(*cols))


def read_state(out_dir: str | Path, work: str, columns: str, batch: int = EXPORT_BATCH) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of work table ``work`` as :func:`run_spark` left them in ``out_dir/state`` (``columns``),
    ``batch`` at a time, in the order written (the part files' names follow Spark's ORDER BY)."""
    import pyarrow.dataset as ds

    names = [c.strip() for c in columns.split(",")]
    dataset = ds.dataset(str(Path(out_dir) / "state" / work), format="parquet")
    for rb in dataset.to_batches(columns=names, batch_size=batch):
        cols = [rb.column(i).to_pylist() for i in range(len(names))]
        yield list(zip(*cols))


def save_state(out_dir: str | Path, through: Month, book: RuleBook | None = None) -> None:
    """The state the Spark close left in ``out_dir/state`` into the database (``close_state_*`` and
    its ``CloseState``, as the SQL close saves it): the next close, on any engine, starts from there."""
    from .duck import _copy_into, store_state

    def fill(cur: Any, work: str, state: str, columns: str) -> None:
        _copy_into(cur, state, len(columns.split(",")), read_state(out_dir, work, columns), columns)

    seq = int((Path(out_dir) / "state" / "seq").read_text())
    store_state(fill, through, book or load_rulebook(), seq)


def write_back(out_dir: str | Path, through: Month, closed_through: Month | None = None,
               book: RuleBook | None = None, resumed: bool = False) -> int:
    """Append to the ledger what the Spark close's entries differ by, key by key (engine.write_ledger);
    returns the rows appended (0: the ledger already says exactly this). ``resumed``: the close started
    from the saved state of ``closed_through`` (see ``SetClose.write_ledger``)."""
    from django.db import connection

    book = book or load_rulebook()
    dialect = dialect_for(connection.vendor)
    with connection.cursor() as cur:
        engine = SetClose(book, dialect, SqlTables(cur, dialect))
        engine.create_entry_table()
        raw = cur.cursor  # the driver's cursor (psycopg: COPY)
        for rows in read_entries(out_dir):
            if connection.vendor == "postgresql":
                with raw.copy("COPY ce_entry FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(f"INSERT INTO ce_entry VALUES ({', '.join(['%s'] * 12)})", rows)
        return engine.write_ledger(through, closed_through, resumed=resumed)


def spark_close_engine(through: Month, closed_through: Month | None, progress: bool) -> EngineResult:
    """The engine hook of ``close.service.close``: export, the steps on Spark, the ledger written back.
    As ``engine.run_close``, it starts from the state the last close saved (by any engine) when nothing
    the closed months read changed (the ``close_state_*`` tables exported with the inputs), and saves its
    own state at ``through`` after the write-back."""
    from django.db import connection

    book = load_rulebook()
    with tempfile.TemporaryDirectory(prefix="sicollect-spark-") as tmp:
        summary = EngineResult()
        t = time.perf_counter()
        with connection.cursor() as cur:
            state = resume_state(SqlTables(cur, dialect_for(connection.vendor)), book, closed_through)
        summary.add("resume check", time.perf_counter() - t)
        t = time.perf_counter()
        export_tables(Path(tmp) / "data")
        if state is not None:
            export_tables(Path(tmp) / "data", tables=state_exports())
        summary.add("export", time.perf_counter() - t)
        ran = run_spark(Path(tmp) / "data", Path(tmp) / "out", through, book=book, progress=progress, resume=state,
                        keep_state=True)
        for step, seconds in ran.seconds.items():
            summary.add(step, seconds)
        t = time.perf_counter()
        summary.entries = write_back(Path(tmp) / "out", through, closed_through, book, resumed=state is not None)
        summary.add("write back", time.perf_counter() - t)
        if ran.months:
            t = time.perf_counter()
            save_state(Path(tmp) / "out", through, book)
            summary.add("save state", time.perf_counter() - t)
        summary.months, summary.units, summary.resumed_from = ran.months, ran.units, ran.resumed_from
        return summary
