"""Reading never writes; posters take a lock (issue: money an employer can check, point 3).

Three small scenarios are committed, then driven by real processes of ``sicollect`` against the same
database (PostgreSQL: the test database; SQLite: a file copy of the in-memory test database):

- A1: region I, monthly, 35,801,200 a month from Jul 2025 (see test_on_time), pays its July statement
  on 20 Aug 2025 and nothing else;
- B2: HI only on 10,000,000 from Jul 2025 (450,000 a month), never pays;
- C3: a quarterly unit on 8,000,000 from Jul 2025, raised to 9,000,000 from Jul by a declaration of
  15 Oct 2025 with retro interest, pays 7,680,000 on 20 Oct 2025.

Eight ``statement`` processes at once write nothing: the ledger stays empty, and each prints the same
provisional statement (A1's July dues 35,801,200, once). Two ``post`` processes at once leave exactly
the ledger one of them leaves: per key, the reference calculation's amounts, never twice.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sicollect.contributions.posting import account_of
from sicollect.core.months import Month
from sicollect.registry.models import Unit

from .. import factories as f
from ..close.test_robustness import ROOT, Database

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THROUGH = Month(2025, 11)
KEY_SQL = ("SELECT u.code, e.period, e.posted_on, e.kind, e.fund, e.target, e.month, e.source, SUM(e.amount) "
           "FROM contributions_ledgerentry e JOIN registry_unit u ON u.id = e.unit_id "
           "GROUP BY u.code, e.period, e.posted_on, e.kind, e.fund, e.target, e.month, e.source "
           "ORDER BY u.code, e.period, e.posted_on, e.kind, e.fund, e.target, e.month, e.source")


def scenarios() -> None:
    a1 = f.unit("A1")
    for wage in (60_000_000, 60_000_000, 16_628_749):
        f.participation(a1, f.person(), "2025-07", None, wage)
    f.payment(a1, date(2025, 8, 20), 35_801_200, "A1-T7")
    b2 = f.unit("B2")
    f.participation(b2, f.person(), "2025-07", None, 10_000_000, "HI")
    c3 = f.unit("C3", cycle=3)
    p = f.person()
    f.participation(c3, p, "2025-07", None, 8_000_000)
    f.participation(c3, p, "2025-07", None, 9_000_000, declared_on=date(2025, 10, 15), retro_interest=True)
    f.payment(c3, date(2025, 10, 20), 7_680_000, "C3-Q3")


def run(db: Database, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": db.url, "DJANGO_SETTINGS_MODULE": "sicollect.settings",
           "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen([sys.executable, "-m", "sicollect.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def reference_by_key() -> dict[tuple[str, ...], int]:
    """What one poster writes: the reference calculation's amounts per ledger key (dates as text)."""
    want: dict[tuple[str, ...], int] = defaultdict(int)
    for unit in Unit.objects.order_by("code"):
        for e in account_of(unit, THROUGH).entries:
            key = (unit.code, e.period.first_day.isoformat(), e.posted_on.isoformat(), e.kind, e.fund, e.target,
                   e.month.first_day.isoformat() if e.month else None, e.source)
            want[key] += e.amount
    return {k: v for k, v in want.items() if v}


def ledger_by_key(db: Database) -> dict[tuple[str, ...], int]:
    return {tuple(str(v) if v is not None else None for v in row[:-1]): int(row[-1])  # type: ignore[misc]
            for row in db.rows(KEY_SQL) if row[-1]}


def test_eight_statements_at_once_write_nothing(tmp_path: Path) -> None:
    scenarios()
    db = Database(tmp_path)
    procs = [run(db, "statement", "A1", "--period", "2025-07", "--format", "json") for _ in range(8)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    assert db.rows("SELECT COUNT(*) FROM contributions_ledgerentry") == [(0,)]
    first = outputs[0]
    assert all(o == first for o in outputs)
    assert first["provisional"] is True
    hi = first["funds"]["HI"]
    assert (hi["assessed"], hi["closing_principal"]) == (4_960_294, 4_960_294)
    assert first["total"]["assessed"] == 35_801_200


def test_two_posts_at_once_leave_the_ledger_one_post_leaves(tmp_path: Path) -> None:
    scenarios()
    db = Database(tmp_path)
    procs = [run(db, "post", "--through", str(THROUGH)) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    have = ledger_by_key(db)
    want = reference_by_key()
    assert have == want
    # A1 paid its July statement on time: no interest in September (its unpaid August bears it from October)
    assert [k[1] for k in have if k[0] == "A1" and k[3] == "interest"][0] == "2025-10-01"
    # B2 never paid: July late 1 … 30 Sep, 450,000 × 0.03 % × 30
    assert have[("B2", "2025-09-01", "2025-09-30", "interest", "HI", "interest", "2025-09-01", "")] == 4_050
    # a statement after the posts reads the same figures, still provisional (no month is closed)
    proc = run(db, "statement", "A1", "--period", "2025-08", "--format", "json")
    out, err = proc.communicate(timeout=300)
    data: dict[str, Any] = json.loads(out)
    assert data["total"]["paid_principal"] == 35_801_200 and data["total"]["interest_charged"] == 0
    # every interest charge explains itself: B2's September is July's 450,000 late 1 … 30 Sep
    proc = run(db, "statement", "B2", "--period", "2025-09", "--format", "json")
    out, err = proc.communicate(timeout=300)
    lines = [(ln["fund"], ln["month"], ln["regime"], ln["base"], ln["rate_ppm"], ln["from"], ln["to"], ln["days"],
              ln["amount"]) for ln in json.loads(out)["interest_lines"]]
    assert lines == [("HI", "2025-07", "daily", 450_000, 300, "2025-09-01", "2025-09-30", 30, 4_050)]
    assert ledger_by_key(db) == have
