"""The close as a real process: killed in the middle of its transaction, and run twice at once.

Each test commits a small province, then drives ``sicollect close`` in subprocesses against the same
database (PostgreSQL: the test database itself; SQLite: a file copied from the in-memory test
database, since another process cannot open that one). The hook ``SICOLLECT_TEST_PAUSE=ledger:FILE``
makes the close stop right after it has written the ledger, inside its transaction, and wait while
FILE exists (close/service.py ``pause_for_tests``).

The province: TA0001 declares HI on 10,000,000 from July 2025 (450,000 a month, due at the end of
the next month) and pays nothing; TA0002 declares SI+HI+UI+OADI on 8,000,000 from July 2025 and pays
2,000,000 on 15 Aug 2025. Closing through September: TA0001 owes 1,350,000 and 4,050 interest
(July late 1 … 30 Sep: 450,000 × 0.03 % × 30); the whole ledger must match, key by key, an
uninterrupted close of the same data.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from sicollect.close import service
from sicollect.close.sql import close_engine
from sicollect.contributions.statement import statement
from sicollect.core.months import Month

from .. import factories as f
from ..robustness.conftest import survived

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
LEDGER_SQL = ("SELECT u.code, e.period, e.kind, e.fund, e.target, e.month, SUM(e.amount) "
              "FROM contributions_ledgerentry e JOIN registry_unit u ON u.id = e.unit_id "
              "GROUP BY u.code, e.period, e.kind, e.fund, e.target, e.month "
              "ORDER BY u.code, e.period, e.kind, e.fund, e.target, e.month")


def plain(rows: Any) -> list[tuple[Any, ...]]:
    """Dates as ISO text, whichever driver read them."""
    return [tuple(v.isoformat() if isinstance(v, date) else v for v in r) for r in rows]


class Database:
    """The database a close subprocess works on, and plain SQL reads of it from this process."""

    def __init__(self, tmp: Path) -> None:
        db = connection.settings_dict
        self.sqlite = connection.vendor == "sqlite"
        if self.sqlite:
            self.path = tmp / "close.sqlite3"
            dest = sqlite3.connect(self.path)
            connection.ensure_connection()
            connection.connection.backup(dest)
            dest.close()
            self.url = f"sqlite:///{self.path}"
        else:
            auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
            self.url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite:
            with sqlite3.connect(self.path) as c:
                return plain(c.execute(sql).fetchall())
        with connection.cursor() as cur:
            cur.execute(sql)
            return plain(cur.fetchall())


    def env(self, pause: str = "", lock_wait: str = "60") -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.url, "DJANGO_SETTINGS_MODULE": "sicollect.settings",
                "PYTHONPATH": str(ROOT / "src"), "SICOLLECT_TEST_PAUSE": pause, "SICOLLECT_LOCK_WAIT": lock_wait}

    def close(self, pause: str = "", *extra: str, lock_wait: str = "60", through: str = "2025-09") -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "sicollect.cli", "close", "--through", through, *extra],
                                env=self.env(pause, lock_wait), cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def python(self, code: str) -> subprocess.Popen[str]:
        """``code`` in a process of its own, Django set up on this database."""
        return subprocess.Popen([sys.executable, "-c", "import django; django.setup()\n" + code], env=self.env(),
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, proc: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the close ended before its pause (exit {proc.returncode}):\n{out}\n{err}")
        assert time.monotonic() < deadline, "the close never reached its pause"
        time.sleep(0.05)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out + err


@pytest.fixture
def province() -> Iterator[list[tuple[Any, ...]]]:
    """Commits the province and yields the ledger of an uninterrupted close of it (then undone)."""
    a = f.unit("TA0001")
    f.participation(a, f.person(), "2025-07", None, 10_000_000, "HI")
    b = f.unit("TA0002")
    f.participation(b, f.person(), "2025-07", None, 8_000_000)
    f.payment(b, date(2025, 8, 15), 2_000_000, payment_id="B-0815")
    with transaction.atomic():
        service.close(Month(2025, 9), engine=close_engine)
        assert statement(a, Month(2025, 9))["funds"]["HI"]["closing_principal"] == 1_350_000
        assert statement(a, Month(2025, 9))["funds"]["HI"]["closing_interest"] == 4_050
        with connection.cursor() as cur:
            cur.execute(LEDGER_SQL)
            expected = plain(cur.fetchall())
        transaction.set_rollback(True)
    assert expected
    yield expected


def figures(db: Database) -> dict[str, Any]:
    return {"ledger": db.rows(LEDGER_SQL),
            "closed": [str(r[0])[:7] for r in db.rows("SELECT month FROM close_closedmonth ORDER BY month")],
            "locks": db.rows("SELECT holder FROM close_closelock")}


def test_a_close_killed_in_the_middle_leaves_the_month_open_and_a_rerun_completes_it(
        province: list[tuple[Any, ...]], tmp_path: Path) -> None:
    """SIGKILL while the close waits after writing the ledger (uncommitted): no ledger row, no
    closed month; only the dead close's lock row remains. The rerun sees that its holder's process
    is gone, says it broke the lock, and closes July … September with the ledger of the
    uninterrupted close (TA0001: 1,350,000 due and 4,050 interest)."""
    db = Database(tmp_path)
    assert figures(db) == {"ledger": [], "closed": [], "locks": []}
    gate = tmp_path / "gate"
    gate.touch()
    proc = db.close(f"ledger:{gate}")
    wait_for(Path(f"{gate}.paused"), proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    after = figures(db)
    assert after["ledger"] == [] and after["closed"] == []
    assert len(after["locks"]) == 1 and after["locks"][0][0].endswith(f":{proc.pid}")

    code, out = finish(db.close())
    assert code == 0, out
    assert "broke the lock of a close that died" in out and "closed 2025-07 … 2025-09: 2 units" in out
    done = figures(db)
    assert done == {"ledger": province, "closed": ["2025-07", "2025-08", "2025-09"], "locks": []}
    ta0001 = {(r[2], r[3]): r[6] for r in done["ledger"] if r[0] == "TA0001" and r[1] == "2025-09-01"}
    assert ta0001[("due", "HI")] == 450_000 and ta0001[("interest", "HI")] == 4_050
    survived()  # the robustness tally (tests/robustness)


def test_a_second_close_while_one_runs_is_refused_and_the_first_completes(
        province: list[tuple[Any, ...]], tmp_path: Path) -> None:
    """The first close waits inside its transaction holding the writer lock; the second, started then,
    says it waits for the lock held by the first (its pid), and after SICOLLECT_LOCK_WAIT (1 s here) exits
    with code 2 naming it, writing nothing. Let go, the first commits the same ledger as an uninterrupted close."""
    db = Database(tmp_path)
    gate = tmp_path / "gate"
    gate.touch()
    first = db.close(f"ledger:{gate}")
    wait_for(Path(f"{gate}.paused"), first)
    code, out = finish(db.close(lock_wait="1"))  # the writer lock (core.locks): waits 1 s, then exit 2
    assert code == 2, out
    assert "waiting for the writer lock held by close by" in out and f"pid {first.pid} on" in out
    assert "another writer holds the database" in out and "nothing was written" in out
    gate.unlink()
    code, out = finish(first)
    assert code == 0, out
    assert figures(db) == {"ledger": province, "closed": ["2025-07", "2025-08", "2025-09"], "locks": []}
    survived()


def test_a_payment_for_a_closed_month_recorded_while_the_close_runs_is_recomputed_by_the_next(
        province: list[tuple[Any, ...]], tmp_path: Path) -> None:
    """While the close through September waits inside its transaction, another process records TA0001's
    payment of 450,000 dated 10 Sep 2025 (SQLite: it waits for the close's commit; PostgreSQL: it commits at
    once, after the close took its inputs' sums). Neither is lost: the next close (October) names TA0001 as
    changed, recomputes it alone from July and books in October what the test of the close computes for
    that payment: the payment (−450,000 to July) and September's interest recomputed from 9 days instead
    of 30 (1,215 instead of 4,050: −2,835)."""
    db = Database(tmp_path)
    gate = tmp_path / "gate"
    gate.touch()
    first = db.close(f"ledger:{gate}")
    wait_for(Path(f"{gate}.paused"), first)
    writer = db.python(
        "from datetime import date\n"
        "from sicollect.contributions.models import Payment\n"
        "from sicollect.registry.models import Unit\n"
        "u = Unit.objects.get(code='TA0001')\n"
        "Payment.objects.create(payment_id='LATE-0910', unit=u, office_id=u.office_id, paid_on=date(2025, 9, 10),"
        " amount=450_000)\n")
    time.sleep(1)
    gate.unlink()
    code, out = finish(first)
    assert code == 0, out
    code, out = finish(writer)
    assert code == 0, out
    assert figures(db)["ledger"] == province  # September as closed, without the payment
    code, out = finish(db.close(through="2025-10"))
    assert code == 0, out
    assert "1 unit(s) whose closed months' data changed since were recomputed from their first month" in out
    moved = db.rows("SELECT e.kind, e.month, SUM(e.amount) FROM contributions_ledgerentry e "
                    "JOIN registry_unit u ON u.id = e.unit_id WHERE u.code = 'TA0001' AND e.for_period IS NOT NULL "
                    "GROUP BY e.kind, e.month ORDER BY e.kind, e.month")
    assert moved == [("interest", "2025-09-01", -2_835), ("payment", "2025-07-01", -450_000)]
    survived()
