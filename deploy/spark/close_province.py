"""One province's close on a Spark cluster: the job `spark-submit` runs (docs/scale.md, "On a real cluster").

    spark-submit --master yarn --deploy-mode client --num-executors 20 --executor-cores 4 \\
      --executor-memory 8g --conf spark.sql.shuffle.partitions=400 --py-files sicollect.zip \\
      deploy/spark/close_province.py --data s3a://bucket/close/2025-12/data \\
      --out s3a://bucket/close/2025-12/out/QN --province QN --through 2025-12

    # the same on this machine (local mode), e.g. after `sicollect demo --scale bench --no-post`:
    python deploy/spark/close_province.py --data /tmp/close/data --out /tmp/close/out/P01 --province P01 \\
      --through 2024-02 --master 'local[*]'

``--data`` holds the Parquet files of ``export_tables`` (each row carries its unit's province); the job
computes that province's ledger entries into ``--out/ce_entry`` (Parquet) and never writes the database.
The write-back is the office's own step, inside its close's transaction (``close.sql.spark.write_back``).

The rule book (rates, floors, caps, interest) is read from the database named by ``DATABASE_URL`` when it
is set (the rules the office runs with), else the rules shipped with sicollect (``--shipped-rules``
makes that explicit). A close split by province neither resumes nor saves the state: each job computes
its province from the first month with data.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="the Parquet export (export_tables)")
    parser.add_argument("--out", required=True, help="where this province's ce_entry goes")
    parser.add_argument("--province", required=True, help="the province's office code (e.g. QN, P01)")
    parser.add_argument("--through", required=True, help="YYYY-MM: close every month with data through it")
    parser.add_argument("--master", help="Spark master (default: what spark-submit gives)")
    parser.add_argument("--shipped-rules", action="store_true", help="the rules shipped with sicollect, not the database's")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from pyspark.sql import SparkSession

    from sicollect.close.sql.spark import run_spark
    from sicollect.core.months import Month
    from sicollect.rules.book import default_rulebook, load_rulebook

    try:
        through = Month.parse(args.through)
    except ValueError as exc:
        parser.error(f"--through: {exc}")
    book = default_rulebook() if args.shipped_rules or not os.environ.get("DATABASE_URL") else load_rulebook()
    builder = SparkSession.builder.appName(f"sicollect-close-{args.province}")
    if args.master:
        builder = builder.master(args.master)
    spark = (builder.config("spark.sql.session.timeZone", "UTC").config("spark.sql.ansi.enabled", "false")
             .getOrCreate())
    t = time.perf_counter()
    ran = run_spark(args.data, args.out, through, book=book, spark=spark, province=args.province)
    print(json.dumps({"province": args.province, "through": str(through), "units": ran.units,
                      "statements": ran.statements, "seconds": round(time.perf_counter() - t, 1)}))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
