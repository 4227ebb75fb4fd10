"""The national run: 20,000,000 persons closed month by month, as a national office runs it (issue 21).

    make bench-scale SCALE=national                       # a throwaway cluster (scripts/bench-scale.sh)
    DATABASE_URL=postgres://…/national .venv/bin/python benchmarks/national.py [--provinces N] [--units N]

On DATABASE_URL (PostgreSQL). It goes on from wherever the database stands, so a run cut short is
continued by running it again:

1. **generate** (when the database holds no unit): ``sicollect demo --scale national --no-post``,
   column-wise with COPY; persons/s and the peak memory of the generating process;
2. **the monthly closes on DuckDB**, 2025-01 … 2025-11, one process per month (``sicollect close
   --engine duckdb``; each resumes from the state the month before saved); seconds per step, rows/s,
   the peak memory of each month's process (DuckDB runs inside it), the database's size after it;
3. before the last month, a copy of the database (``CREATE DATABASE … TEMPLATE``) and a Parquet export
   of the inputs and the saved state (for Spark);
4. **the last month (2025-12) three ways**: on DuckDB over the database; on PostgreSQL (the SQL engine)
   over the copy; on Spark (local mode) over the export, its entries compared with each ledger
   (``spark.write_back``: the rows it would append, 0 when equal to the đồng);
5. the **write floor** (the last month's ledger rows written again by one ``CREATE TABLE … AS``) and
   a **bare scan** (one aggregate over the rows a month's close reads), and each close's ratio to both.

The KPI report and dashboards over the national database: ``benchmarks/web.py`` (docs/scale.md).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _child(args: list[str], env: dict[str, str] | None = None) -> tuple[dict, float, float]:
    """Run ``python benchmarks/national.py --one …`` as its own process: (its JSON line, wall s, peak MiB)."""
    t = time.perf_counter()
    proc = subprocess.Popen([PY, __file__, *args], stdout=subprocess.PIPE, env={**os.environ, **(env or {})},
                            cwd=ROOT, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {proc.returncode}\n{out}")
    line = [x for x in out.splitlines() if x.startswith("{")][-1]
    return json.loads(line), wall, usage.ru_maxrss / 1024


#: the rows the ledger holds for a month (period): their count and the sum of a 64-bit hash of each row's key,
#: amount and correction flags (not ids, times or the explanation's JSON), computed in the server
LEDGER_FINGERPRINT = (
    "SELECT COUNT(*), COALESCE(SUM(hashtextextended(concat_ws('|', unit_id, period, posted_on, kind, fund, "
    "target, month, late_from, payment_id, source, amount, is_correction, for_period), 0)::numeric), 0) "
    "FROM contributions_ledgerentry WHERE period = %s")


def one_month(engine_name: str, month: str, rollback: str = "") -> None:
    """(child) Close one month with an engine; print its summary as one JSON line. ``rollback`` ("rollback"):
    the whole close, then the foreign-key checks a commit would run (``SET CONSTRAINTS ALL IMMEDIATE``) and the
    fingerprint of the month's ledger rows, in a transaction rolled back: the PostgreSQL month compared with
    DuckDB's without a copy of the database (a copy of the national database needs another 33 GB)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from sicollect.close import service
    from sicollect.close.management.commands.close import ENGINES
    from sicollect.core.months import Month

    engine = ENGINES[engine_name]()  # "sql" or "duckdb", as `sicollect close --engine` picks it
    fingerprint = None
    if not rollback:  # the close's own transaction, its lock seen by other processes as it is taken
        s = service.close(Month.parse(month), engine=engine, actor="benchmarks/national.py")
    else:
        with transaction.atomic():
            s = service.close(Month.parse(month), engine=engine, actor="benchmarks/national.py")
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute(LEDGER_FINGERPRINT, [month + "-01"])
                count, total = cur.fetchone()
            fingerprint = [int(count), int(total)]
            transaction.set_rollback(True)
    print(json.dumps({"month": month, "engine": engine_name, "entries": s.entries, "resumed_from": s.resumed_from,
                      "seconds": s.seconds, "ledger": fingerprint, "rolled_back": bool(rollback)}))


def generate(provinces: int | None, units: int | None) -> None:
    """(child) The national demo, not posted."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo", scale="national", no_post=True, provinces=provinces, units=units, verbosity=1)
    print(json.dumps({"done": True}))


def spark_month(data_dir: str, out_dir: str, month: str, memory: str, state_month: str, seq: str) -> None:
    """(child) The month on Spark (local) from the exported inputs and the state exported with them (saved
    at the end of ``state_month``, id counter ``seq``); entries left in out_dir."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from sicollect.close.models import CloseState
    from sicollect.close.sql.spark import run_spark, spark_session
    from sicollect.core.months import Month

    state = CloseState(month=Month.parse(state_month).first_day, seq=int(seq))  # what the export holds
    session = spark_session(memory=memory, conf={"spark.ui.showConsoleProgress": "false"})
    t = time.perf_counter()
    ran = run_spark(data_dir, out_dir, Month.parse(month), spark=session, resume=state)
    seconds = {**ran.seconds, "spark total": time.perf_counter() - t}
    session.stop()
    print(json.dumps({"seconds": seconds, "statements": ran.statements}))


def compare(out_dir: str, month: str) -> None:
    """(child) The rows Spark's entries would append to this database's ledger (0: equal)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.db import transaction

    from sicollect.close.sql.spark import write_back
    from sicollect.core.months import Month

    m = Month.parse(month)
    with transaction.atomic():
        differ = write_back(out_dir, m, m - 1, resumed=True)
        transaction.set_rollback(True)  # a comparison: nothing kept
    print(json.dumps({"differ": differ}))


def ledger_fingerprint(url: str, month: str) -> tuple[int, int]:
    """:data:`LEDGER_FINGERPRINT` of ``month`` over the database at ``url``."""
    import psycopg

    with psycopg.connect(url) as con:
        row = con.execute(LEDGER_FINGERPRINT, [month + "-01"]).fetchone()
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provinces", type=int)
    parser.add_argument("--units", type=int)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-postgresql", action="store_true", help="no PostgreSQL month (and no copy)")
    parser.add_argument("--spark-memory", default="8g")
    parser.add_argument("--last", help="YYYY-MM: the month closed three ways (default: the demo's last, 2025-12); "
                                       "the months before it are closed on DuckDB")
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)  # internal: a child's work
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.one:
        kind, rest = args.one[0], args.one[1:]
        {"month": lambda: one_month(*rest), "generate": lambda: generate(args.provinces, args.units),
         "spark": lambda: spark_month(*rest), "compare": lambda: compare(*rest)}[kind]()
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://… (or run scripts/bench-scale.sh --scale national)")
    os.environ["PYTHONPATH"] = str(ROOT / "src")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.db import connection

    from sicollect.contributions.models import ClosedMonth
    from sicollect.demo import national
    from sicollect.registry.models import Unit

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    report: list[str] = []
    if not Unit.objects.exists():
        connection.close()
        _, wall, peak = _child(["--one", "generate", *(["--provinces", str(args.provinces)] if args.provinces else []),
                                *(["--units", str(args.units)] if args.units else [])])
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM registry_person")
            persons = cur.fetchone()[0]
        report.append(f"generate   {wall:8.1f} s  {persons:,} persons, {persons / wall:,.0f} persons/s, peak {peak:,.0f} MiB")

    def size() -> str:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            return cur.fetchone()[0]

    def rows_read(month) -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT (SELECT COUNT(*) FROM registry_participation WHERE from_month <= %s AND "
                        "(to_month IS NULL OR to_month >= %s)) + (SELECT COUNT(*) FROM contributions_payment "
                        "WHERE paid_on BETWEEN %s AND %s)", [month.first_day, month.first_day, month.first_day,
                                                             month.last_day])
            return cur.fetchone()[0]

    from sicollect.core.months import Month

    def settle(limit: float = 900.0) -> float:
        """Seconds waited while PostgreSQL's autovacuum worked on what the last close wrote (at most ``limit``):
        an office closes once a month, not back to back, and a close beside a vacuum of 6 M new ledger rows
        measures the two at once (2025-10 of the 7 Dec run: write ledger 78 s against 65 s around it)."""
        t = time.perf_counter()
        while time.perf_counter() - t < limit:
            with connection.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' "
                            "AND query <> ''")
                if not cur.fetchone()[0]:
                    break
            time.sleep(5)
        connection.close()
        return time.perf_counter() - t

    last = Month.parse(args.last) if args.last else national.LAST
    months = []
    done = ClosedMonth.last()
    m = national.FIRST if done is None else done + 1
    while m < last:
        waited = settle()
        out, wall, peak = _child(["--one", "month", "duckdb", str(m)])
        months.append((str(m), "DuckDB", out, wall, peak, rows_read(m), size()))
        # as it goes (a run cut short keeps its months): wall, peak and the close's steps
        print(f"closed {m} on DuckDB in {wall:.1f} s (after {waited:.0f} s of autovacuum), peak {peak:,.0f} MiB, "
              f"load {os.getloadavg()[0]:.1f}: "
              + json.dumps({k: round(v, 1) for k, v in out.get("seconds", {}).items()}), file=sys.stderr, flush=True)
        m += 1
    tmp = Path(tempfile.mkdtemp(prefix="sicollect-national-"))
    if ClosedMonth.last() == last - 1:
        if not (args.no_postgresql and args.no_spark):
            # the DuckDB closes keep their state in their own file: into close_state_* for the other engines
            # (the PostgreSQL month, Spark's export), as a switch of engine does
            from sicollect.close.models import CloseState
            from sicollect.close.sql.duck import state_file_to_database

            t = time.perf_counter()
            kept = CloseState.objects.filter(kept_in="file").first()
            if kept is not None and state_file_to_database(kept):
                report.append(f"state file into close_state_* {time.perf_counter() - t:8.1f} s")
        pg = None
        if not args.no_postgresql:
            # the PostgreSQL month first, in a transaction rolled back (its commit's foreign-key checks run and
            # counted): DuckDB then closes the same month from the same state. Before 7 Dec 2026 it ran on a
            # template copy of the database, which at month 12 needs 33 GB more disk than this VM has.
            settle()
            pg = _child(["--one", "month", "sql", str(last), "rollback"])
        if not args.no_spark:
            from sicollect.close.sql.spark import export_tables, java_problem, state_exports

            why = java_problem()
            if why:
                report.append(f"Spark: not run ({why})")
            else:
                from sicollect.close.models import CloseState

                exported = CloseState.objects.get()
                t = time.perf_counter()
                export_tables(tmp / "data")
                export_tables(tmp / "data", tables=state_exports())
                report.append(f"Spark export (inputs + state at {last - 1}) {time.perf_counter() - t:8.1f} s")
        rows = rows_read(last)
        settle()
        out, wall, peak = _child(["--one", "month", "duckdb", str(last)])
        months.append((str(last), "DuckDB", out, wall, peak, rows, size()))
        if pg is not None:
            out, wall, peak = pg
            months.append((str(last), "PostgreSQL", out, wall, peak, rows, "(rolled back)"))
            a, b = ledger_fingerprint(url, str(last)), tuple(out["ledger"])
            report.append(f"DuckDB vs PostgreSQL ({last}): {a[0]:,} and {b[0]:,} ledger rows, "
                          + ("equal (count and hash of every row)" if a == b else "DIFFERENT"))
        if (tmp / "data").exists():
            out, wall, peak = _child(["--one", "spark", str(tmp / "data"), str(tmp / "out"), str(last),
                                      args.spark_memory, str(Month.of(exported.month)), str(exported.seq)])
            months.append((str(last), "Spark local", {"seconds": out["seconds"], "entries": None}, wall, peak, rows, ""))
            duck, _, _ = _child(["--one", "compare", str(tmp / "out"), str(last)])
            report.append(f"Spark vs DuckDB ({last}): {duck['differ']:,} ledger rows differ (0: equal to the đồng)")
    # the floors, on the last month closed
    with connection.cursor() as cur:
        closed = ClosedMonth.last()
        t = time.perf_counter()
        cur.execute("CREATE TEMP TABLE floor_ledger AS SELECT * FROM contributions_ledgerentry WHERE period = %s",
                    [closed.first_day])
        floor = time.perf_counter() - t
        cur.execute("SELECT COUNT(*) FROM floor_ledger")
        floor_rows = cur.fetchone()[0]
        cur.execute("DROP TABLE floor_ledger")
        t = time.perf_counter()
        cur.execute("SELECT COUNT(*), SUM(wage) FROM registry_participation WHERE from_month <= %s AND "
                    "(to_month IS NULL OR to_month >= %s)", [closed.first_day, closed.first_day])
        cur.execute("SELECT COUNT(*), SUM(amount) FROM contributions_payment WHERE paid_on <= %s", [closed.last_day])
        scan = time.perf_counter() - t
    report.append(f"write floor ({closed}: {floor_rows:,} ledger rows by CREATE TABLE AS) {floor:.1f} s; "
                  f"bare scan (a month's rows) {scan:.1f} s")
    shutil.rmtree(tmp, ignore_errors=True)  # the Spark export and its output (a gigabyte at national scale)
    print(f"\nnational run on {connection.settings_dict['NAME']}, PostgreSQL {connection.pg_version}, "
          f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    print(f"{'month':8} {'engine':12} {'wall s':>7} {'rows read/s':>12} {'× floor':>8} {'× scan':>7} "
          f"{'peak MiB':>9} {'ledger rows':>12} {'db size':>8}  steps (s)")
    for month, engine, out, wall, peak, rows, db in months:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in out["seconds"].items() if isinstance(v, (int, float)) and v >= 0.5)
        entries = "" if out.get("entries") is None else f"{out['entries']:,}"
        print(f"{month:8} {engine:12} {wall:7.1f} {rows / wall:12,.0f} {wall / floor:8.1f} {wall / scan:7.1f} "
              f"{peak:9,.0f} {entries:>12} {db:>8}  {steps}")
    for line in report:
        print(line)


if __name__ == "__main__":
    main()
