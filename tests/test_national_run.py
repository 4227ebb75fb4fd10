"""The national run (``benchmarks/national.py``, what ``make bench-scale SCALE=national`` runs) at a small scale:
the same code path as the 20,000,000-person run, in ``make test`` (the figures at scale are a benchmark's).

One province of 30 units into a database of its own: generated column-wise, 2025-01 closed on DuckDB in a
process of its own, then 2025-02 both ways (PostgreSQL's SQL close first, in a transaction rolled back after
its ledger's fingerprint is taken; then DuckDB, for good; both resuming from the state 2025-01 saved), and the
two ledgers of 2025-02 compared (count and hash of every row, computed in the server).
Spark is left out here (``tests/close/test_resume_spark.py`` checks that its resumed month equals the SQL
close's; it adds two minutes)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from .dbutil import database_url

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="the national run is PostgreSQL's (COPY, the foreign-key checks of a rolled-back month)")


def test_the_national_run_closes_month_by_month_and_the_engines_agree(tmp_path: Path) -> None:
    name = f"national_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        env = {**os.environ, "DATABASE_URL": database_url(name), "SICOLLECT_VAR": str(tmp_path),
               "PYTHONPATH": str(ROOT / "src")}
        run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "national.py"), "--provinces", "1",
                              "--units", "30", "--last", "2025-02", "--no-spark"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        out = run.stdout
        assert "1,200 persons" in out  # 30 units × 40 persons
        lines = {tuple(line.split()[:2]): line for line in out.splitlines() if line.startswith("2025-")}
        assert set(lines) == {("2025-01", "DuckDB"), ("2025-02", "DuckDB"), ("2025-02", "PostgreSQL")}
        # each month's close in its own process, resumed from the month before
        with psycopg.connect(database_url(name)) as con:
            closed = [r[0].isoformat() for r in con.execute("SELECT month FROM close_closedmonth ORDER BY month")]
            state = con.execute("SELECT month FROM close_closestate").fetchone()[0].isoformat()
            actors = {r[0] for r in con.execute("SELECT actor FROM exchange_auditevent WHERE action = 'close'")}
        assert closed == ["2025-01-01", "2025-02-01"] and state == "2025-02-01"
        assert actors == {"benchmarks/national.py"}
        equal = [line for line in out.splitlines() if line.startswith("DuckDB vs PostgreSQL (2025-02)")]
        assert len(equal) == 1 and equal[0].endswith("equal (count and hash of every row)"), out
        count = int(equal[0].split(": ")[1].split(" and ")[0].replace(",", ""))
        assert count > 30  # every unit owes in February: at least one row each
    finally:
        with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}_pg WITH (FORCE)")
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
