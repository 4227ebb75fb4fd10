"""Benchmark of the monthly close on the `province` demo (10,000 units, 350,000 persons, 24 months).

    make bench                      # or: .venv/bin/python benchmarks/close.py [--scale small] [--keep DIR]
                                    #     [--engine duckdb]

In one run, on the same SQLite database (or DATABASE_URL):
  1. generate the province demo (not posted);
  2. the set-based close through 2025-12 (`sicollect close`: ledger, interest, aging, classes);
  3. the per-unit reference calculator over every unit (computed in memory, not written);
  4. a bare scan: one aggregate query over the same rows the close reads;
  5. the KPI report as of 2025-12-31.
Prints rows/s, the ratios reference / set-based and set-based / bare scan, and peak memory.
Targets (issue 4): set-based ≥ 50× faster than the reference, within 5× of the bare scan,
peak memory < 2 GiB, KPI report < 2 s.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="province", choices=["small", "province"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", help="directory for the SQLite database (default: a temporary one)")
    parser.add_argument("--engine", default="sql", choices=["sql", "duckdb"],
                        help="the set-based engine: the SQL steps on the database (default), or the same steps "
                             "on DuckDB over copies of the tables, written back")
    args = parser.parse_args()
    os.environ.setdefault("SICOLLECT_VAR", args.keep or tempfile.mkdtemp(prefix="sicollect-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sicollect.contributions.models import LedgerEntry, Payment
    from sicollect.contributions.posting import account_of
    from sicollect.core.months import Month
    from sicollect.registry.models import Participation, Unit
    from sicollect.reports.kpi import kpi
    from sicollect.rules.book import load_rulebook

    through = Month(2025, 12)
    print(f"database: {connection.vendor} ({os.environ.get('DATABASE_URL') or os.environ['SICOLLECT_VAR']})")
    call_command("migrate", verbosity=0)
    results: dict[str, float] = {}
    if not Unit.objects.exists():
        t = time.perf_counter()
        call_command("demo", scale=args.scale, seed=args.seed, no_post=True)
        results["generate"] = time.perf_counter() - t
    units = list(Unit.objects.order_by("code"))
    n_part, n_pay = Participation.objects.count(), Payment.objects.count()
    print(f"{len(units):,} units, {n_part:,} participations, {n_pay:,} payments, months 2024-01 … {through}")

    # bare scan: one aggregate over the rows the close reads
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT unit_id, SUM(wage), COUNT(*) FROM registry_participation GROUP BY unit_id")
        cur.fetchall()
        cur.execute("SELECT unit_id, SUM(amount), COUNT(*) FROM contributions_payment GROUP BY unit_id")
        cur.fetchall()
    results["bare scan"] = time.perf_counter() - t

    from sicollect.close import service
    from sicollect.close.sql import close_engine

    if args.engine == "duckdb":
        from sicollect.close.sql.duck import duckdb_close_engine as close_engine

    # The whole close, as `sicollect close --through 2025-12` runs it: the set-based steps, then the
    # aging of every unit at every month end (buckets and classes), in one transaction.
    t = time.perf_counter()
    summary = service.close(through, engine=close_engine, progress=sys.stderr.isatty())
    results["set-based close"] = time.perf_counter() - t
    steps = summary.seconds
    results["ledger rows"] = LedgerEntry.objects.count()

    book = load_rulebook()
    t = time.perf_counter()
    entries = 0
    for u in units:
        entries += len(account_of(u, through, book).entries)
    results["reference"] = time.perf_counter() - t
    results["reference entries"] = entries

    if LedgerEntry.objects.exists():
        t = time.perf_counter()
        kpi(date(2025, 12, 31))
        results["kpi report"] = time.perf_counter() - t

    print()
    for key in ("generate", "bare scan", "set-based close", "reference", "kpi report"):
        if key in results:
            print(f"{key:18} {results[key]:9.2f} s")
    rows = n_part + n_pay
    print(f"{'rows read':18} {rows:,}")
    print(f"{'reference':18} {rows / results['reference']:,.0f} rows/s, {results['reference entries']:,.0f} entries")
    if "set-based close" in results:
        sb = results["set-based close"]
        print(f"{'set-based':18} engine {args.engine}")
        print(f"{'set-based':18} {rows / sb:,.0f} rows/s, {results['ledger rows']:,.0f} ledger rows")
        print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
        print(f"ratio reference / set-based: {results['reference'] / sb:8.1f}   (target ≥ 50)")
        print(f"ratio set-based / bare scan: {sb / results['bare scan']:8.1f}   (target ≤ 5)")
    else:
        print("set-based close: engine not available in this build")
    print(f"peak memory: {peak_mib():,.0f} MiB   (target < 2048)")


if __name__ == "__main__":
    main()
