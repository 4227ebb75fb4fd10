"""Benchmark at scale: the close on PostgreSQL, on DuckDB and on Spark (local mode), on the same data.

    make bench-scale                                 # region scale: 100,000 units, 4,000,000 persons
    make bench-scale SCALE=bench                     # 2 provinces × 1,000 units (a quick run)
    make bench-scale SCALE=national                  # 50 × 10,000 units, 20,000,000 persons, 2025, closed month by
                                                     # month (benchmarks/national.py); --single-pass: one close
    scripts/bench-scale.sh --scale national --provinces 3 --no-spark --no-duckdb   # 1,200,000 persons
    .venv/bin/python benchmarks/scale.py --scale bench [--no-spark] [--no-duckdb] [--through 2024-02]

Runs on DATABASE_URL=postgres://… (an empty database: the demo is generated into it with COPY);
scripts/bench-scale.sh (what `make bench-scale` runs) starts a throwaway, tuned cluster when it is unset.
Prints, for each engine: seconds per step, rows read per second, the ratio to a bare scan of the same
rows, and peak memory of this process (DuckDB's share is bounded by SICOLLECT_DUCKDB_MEMORY, the Spark
JVM's heap by spark.driver.memory; the close never collects a table to Python); then an extrapolation to national scale (500,000 units,
20,000,000 persons) with its assumptions.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="region", choices=["bench", "region", "national"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--through", default="2024-02")
    parser.add_argument("--no-spark", action="store_true", help="no Spark run")
    parser.add_argument("--no-duckdb", action="store_true", help="no DuckDB run")
    parser.add_argument("--spark-memory", default="4g")
    parser.add_argument("--provinces", type=int, help="national: the number of provinces (default 50)")
    parser.add_argument("--units", type=int, help="national: units per province (default 10,000)")
    parser.add_argument("--single-pass", action="store_true",
                        help="national: one close of all months (as the other scales), not month by month")
    args = parser.parse_args()
    if args.scale == "national" and not args.single_pass:  # month by month, as a national office runs it
        import national

        sys.argv = [national.__file__, *(["--provinces", str(args.provinces)] if args.provinces else []),
                    *(["--units", str(args.units)] if args.units else []), *(["--no-spark"] if args.no_spark else []),
                    "--spark-memory", args.spark_memory]
        national.main()
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://… (or run scripts/bench-scale.sh, which starts a cluster)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sicollect.close import service
    from sicollect.close.sql import close_engine
    from sicollect.close.sql.duck import run_duckdb
    from sicollect.close.sql.spark import export_tables, java_problem, run_spark, spark_session, write_back
    from sicollect.contributions.models import LedgerEntry
    from sicollect.core.months import Month
    from sicollect.demo.generator import MULTI_SCALES, SCALES
    from sicollect.registry.models import Unit

    through = Month.parse(args.through)
    extra = {}
    if args.scale == "national":
        from sicollect.demo import national

        extra = {"provinces": args.provinces, "units": args.units}
        if through < national.FIRST:  # the national demo is 2025 only: close as many months of it
            moved = national.FIRST + (through.index - Month(2024, 1).index)
            print(f"national data is {national.FIRST} … {national.LAST}: closing through {moved}, not {through}")
            through = moved
    call_command("migrate", verbosity=0)
    r: dict[str, float] = {}
    if not Unit.objects.exists():
        t = time.perf_counter()
        call_command("demo", scale=args.scale, seed=args.seed, **extra)
        r["generate"] = time.perf_counter() - t
        r["generate peak MiB"] = peak_mib()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        counts = {}
        for table in ("registry_unit", "registry_person", "registry_participation", "contributions_payment"):
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    rows = counts["registry_participation"] + counts["contributions_payment"]
    print(f"database: PostgreSQL {connection.pg_version}; " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))

    # bare scan: one aggregate over the rows the close reads
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*), SUM(wage) FROM registry_participation")
        cur.execute("SELECT COUNT(*), SUM(amount) FROM contributions_payment")
    r["bare scan"] = time.perf_counter() - t

    t = time.perf_counter()
    summary = service.close(through, engine=close_engine, progress=sys.stderr.isatty())
    r["postgresql close"] = time.perf_counter() - t
    r["ledger rows"] = LedgerEntry.objects.count()
    pg_steps = summary.seconds

    # the same steps on DuckDB over copies of the tables; what it computes for the closed months is
    # compared with the ledger the PostgreSQL close wrote (the rows it would correct: 0 when equal)
    duck_steps: dict[str, float] = {}
    if not args.no_duckdb:
        t = time.perf_counter()
        duck = run_duckdb(through, closed_through=through, progress=sys.stderr.isatty())
        r["duckdb close"] = time.perf_counter() - t
        r["duckdb differences"] = duck.entries
        duck_steps = duck.seconds

    spark_steps: dict[str, float] = {}
    why = None if not args.no_spark else "--no-spark"
    why = why or java_problem()
    if why is None:
        with tempfile.TemporaryDirectory(prefix="sicollect-bench-spark-") as tmp:
            t = time.perf_counter()
            export_tables(f"{tmp}/data")
            spark_steps["export"] = time.perf_counter() - t
            session = spark_session(memory=args.spark_memory)
            t = time.perf_counter()
            ran = run_spark(f"{tmp}/data", f"{tmp}/out", through, spark=session, progress=sys.stderr.isatty())
            spark_steps.update({k: v for k, v in ran.seconds.items() if k != "spark close"})
            spark_steps["spark close"] = time.perf_counter() - t
            spark_steps["statements"] = ran.statements
            t = time.perf_counter()
            r["spark differences"] = write_back(f"{tmp}/out", through, through)  # 0: equal to the đồng
            spark_steps["write back"] = time.perf_counter() - t
            session.stop()

    units = counts["registry_unit"]
    print()
    print(f"{'rows read':22} {rows:,} (participations + payments), {r['ledger rows']:,} ledger rows written")
    if "generate" in r:
        print(f"{'generate (COPY)':22} {r['generate']:9.1f} s  {counts['registry_person'] / r['generate']:,.0f} "
              f"persons/s, peak {r['generate peak MiB']:,.0f} MiB")
    print(f"{'bare scan':22} {r['bare scan']:9.2f} s")
    pg = r["postgresql close"]
    print(f"{'PostgreSQL close':22} {pg:9.1f} s  {rows / pg:,.0f} rows/s  ratio to bare scan {pg / r['bare scan']:,.0f}")
    print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in pg_steps.items()))
    if duck_steps:
        dc = r["duckdb close"]
        print(f"{'DuckDB close':22} {dc:9.1f} s  {rows / dc:,.0f} rows/s  ratio to bare scan {dc / r['bare scan']:,.0f}")
        print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in duck_steps.items()))
        print(f"  DuckDB vs PostgreSQL: {r['duckdb differences']:,.0f} ledger rows differ (0: equal to the đồng)")
    if spark_steps:
        sc = spark_steps["spark close"]
        print(f"{'Spark close (local)':22} {sc:9.1f} s  {rows / sc:,.0f} rows/s  ratio to bare scan "
              f"{sc / r['bare scan']:,.0f}; {spark_steps['statements']:,.0f} statements")
        print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in spark_steps.items() if k != "statements"))
        print(f"  Spark vs PostgreSQL: {r['spark differences']:,.0f} ledger rows differ (0: equal to the đồng)")
    else:
        print(f"Spark close: not run ({why})")
    print(f"peak memory (this process): {peak_mib():,.0f} MiB")
    # Extrapolation. PostgreSQL: the steps are set-based, their work grows with the rows (units × months)
    # and the number of statements only with the event days (≤ 31 a month), so time ∝ rows. Spark local:
    # each statement costs a fixed planning + job overhead (measured here per statement) whatever the
    # rows, so at this size its time is that overhead × statements; the work part is not measurable here.
    national = 500_000
    factor = national / units
    months = summary.months and len(summary.months)
    print(f"\nextrapolation to national scale ({national:,} units, ~{counts['registry_person'] * factor:,.0f} persons;"
          f" ×{factor:,.1f} these rows; {months} month(s) measured, 12 months = ×{12 / months:,.1f}):")
    print(f"  PostgreSQL on one machine like this, 12 months, time ∝ rows: "
          f"~{pg * factor * 12 / months / 3600:,.1f} h")
    if spark_steps:
        per = spark_steps["spark close"] / spark_steps["statements"]
        print(f"  Spark: {per:.2f} s per statement here, {spark_steps['statements'] / months:,.0f} statements a month: "
              f"~{per * spark_steps['statements'] * 12 / months / 3600:,.1f} h of fixed overhead for 12 months at any "
              "scale, plus the work, which a cluster divides by its cores (provinces as separate jobs)")
    multi = MULTI_SCALES[args.scale]
    provinces = args.provinces or multi.provinces if args.scale == "national" else multi.provinces
    each = args.units or SCALES[multi.province].units if args.scale == "national" else SCALES[multi.province].units
    print(f"  scale used: {args.scale} = {provinces} × {each:,} units, close through {through}")

if __name__ == "__main__":
    main()
