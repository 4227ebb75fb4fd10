"""Faults: an ``import`` killed with SIGKILL at several points leaves the data as before (and the same import
then goes through); two writers at once take turns through the writer lock (core.locks), the second waiting
with a message or refusing with exit 2 naming the holder — never a ``database is locked`` traceback."""
from __future__ import annotations

import fcntl
import signal
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from sicollect.core.locks import writer_lock

from .. import factories as f
from .conftest import FileDb, survived, unchanged

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FILES = {
    "persons.csv": "si_code,national_id,full_name,birth_date,sex,commune_code\n"
                   "3101000011,001090000011,Nguyễn Văn An,1990-05-01,M,\n3101000012,,Trần Thị Bình,,F,\n",
    "participations.csv": "si_code,unit_code,from_month,to_month,wage,funds,declared_on,retro_interest\n"
                          "3101000011,RB0001,2025-07,,10000000,HI,,\n3101000012,RB0001,2025-07,,8000000,SI+HI,,\n",
    "payments.csv": "payment_id,unit_code,paid_on,amount,reference\nRB-10,RB0001,2025-08-20,450000,T07\n",
}


@pytest.fixture
def db(tmp_path: Path) -> FileDb:
    u = f.unit("RB0001")
    f.participation(u, f.person("3101000001"), "2025-07", None, 10_000_000, "HI")
    f.payment(u, date(2025, 8, 20), 450_000, "RB-1")
    d = tmp_path / "in"
    d.mkdir()
    for name, text in FILES.items():
        (d / name).write_text(text, encoding="utf-8")
    return FileDb(tmp_path)


@pytest.mark.parametrize("point", ["import:checked", "import:persons-written", "import:written",
                                   "import:before-commit"])
def test_an_import_killed_at_any_point_writes_nothing(db: FileDb, point: str) -> None:
    before = db.snapshot()
    code, out = db.run("import", str(db.tmp / "in"), SICOLLECT_FAULT=point)
    assert code == -signal.SIGKILL, out
    unchanged(before, db.snapshot())
    survived()
    code, out = db.run("import", str(db.tmp / "in"))
    assert code == 0 and "payments.csv: 1 created" in out, out


def hold_lock(db: FileDb, seconds: float) -> threading.Thread:
    """Hold the writer lock the subprocesses see for ``seconds``, as a writer named "test-holder" would."""
    ready = threading.Event()

    def hold() -> None:
        if db.sqlite:
            assert db.path is not None
            with open(f"{db.path}.writer.lock", "a+", encoding="utf-8") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                fh.seek(0)
                fh.truncate()
                fh.write("test-holder, pid 1\n")
                fh.flush()
                ready.set()
                time.sleep(seconds)
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        else:
            with writer_lock("test-holder", wait=0):
                ready.set()
                time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert ready.wait(30)
    return thread


def test_a_second_writer_refuses_with_exit_2_naming_the_holder(db: FileDb) -> None:
    holder = hold_lock(db, 6)
    before = db.snapshot()
    code, out = db.run("import", str(db.tmp / "in"), SICOLLECT_LOCK_WAIT="1")
    holder.join()
    assert code == 2 and "Traceback" not in out, out
    assert "another writer holds the database: " in out and "test-holder" in out and "nothing was written" in out
    unchanged(before, db.snapshot())
    survived()


def test_a_second_writer_waits_with_a_message_and_then_goes_through(db: FileDb) -> None:
    holder = hold_lock(db, 8)  # longer than a subprocess takes to start
    code, out = db.run("import", str(db.tmp / "in"), SICOLLECT_LOCK_WAIT="60")
    holder.join()
    assert code == 0, out
    assert "waiting for the writer lock held by " in out and "test-holder" in out
    assert "payments.csv: 1 created" in out
    survived()


def test_two_imports_at_once_both_finish_and_the_second_writes_nothing_new(db: FileDb) -> None:
    """Issue 17: the second used to die with a ``database is locked`` traceback."""
    first, second = db.start("import", str(db.tmp / "in")), db.start("import", str(db.tmp / "in"))
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    text = "".join(o + e for o, e in outs)
    assert "Traceback" not in text and text.count("payments.csv: 1 created") == 1, text
    survived()


def test_the_close_names_a_stored_value_it_cannot_compute_and_writes_nothing(db: FileDb) -> None:
    """A payment of 2**63-1 put in by SQL (past every door): the close used to crash with ``integer overflow``
    (or ``RuleMissing`` for a payment dated 0001-01-01); now it names the unit and the row, exits 2, writes
    nothing."""
    from django.db import connection

    from sicollect.contributions.models import Payment

    Payment.objects.filter(payment_id="RB-1").update(amount=2**63 - 1)
    if connection.vendor == "sqlite":  # the file was copied before the update: copy it again
        again = db.tmp / "again"
        again.mkdir()
        db = FileDb(again)
    before = db.snapshot()
    code, out = db.run("close", "--through", "2025-09")
    assert code == 2 and "Traceback" not in out, out
    assert "unit RB0001: payment 'RB-1': amount 9,223,372,036,854,775,807 outside 1 … 1,000,000,000,000" in out
    unchanged(before, db.snapshot())
    survived()


def _payments_dir(root: Path, name: str, rows: str) -> Path:
    d = root / name
    d.mkdir()
    (d / "payments.csv").write_text("payment_id,unit_code,paid_on,amount,reference\n" + rows, encoding="utf-8")
    return d


def _live_payments(db: FileDb) -> list[tuple[str, str, str, int]]:
    """(office, payment id, unit, amount) of the payments the subprocesses see, by office and id."""
    sql = ("SELECT o.code, p.payment_id, u.code, p.amount FROM contributions_payment p "
           "JOIN registry_office o ON o.id = p.office_id JOIN registry_unit u ON u.id = p.unit_id "
           "WHERE p.payment_id LIKE 'RACE-%' ORDER BY o.code, p.payment_id")
    if db.sqlite:
        import sqlite3

        with sqlite3.connect(db.path) as live:
            return [tuple(r) for r in live.execute(sql)]
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]


def test_two_processes_racing_one_payment_id_in_one_office_one_wins_the_other_names_the_conflict(db: FileDb) -> None:
    """Issue 17: the same payment id, for the same office (QN), in two files imported at once, with different
    amounts (450,000 and 500,000 đ). Exactly one process creates it; the other, whichever it is, exits 2
    naming the file, the line, the field and the amount already imported. One row, never two."""
    a = _payments_dir(db.tmp, "a", "RACE-1,RB0001,2025-08-21,450000,T08\n")
    b = _payments_dir(db.tmp, "b", "RACE-1,RB0001,2025-08-21,500000,T08\n")
    procs = [db.start("import", str(a), SICOLLECT_LOCK_WAIT="120"),
             db.start("import", str(b), SICOLLECT_LOCK_WAIT="120")]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    text = "".join(o + e for o, e in outs)
    assert codes == [0, 2] and "Traceback" not in text, outs
    assert text.count("payments.csv: 1 created") == 1, text
    rows = _live_payments(db)
    assert len(rows) == 1 and rows[0][:3] == ("QN", "RACE-1", "RB0001"), rows
    won = rows[0][3]
    lost = 500_000 if won == 450_000 else 450_000
    assert f"payments.csv:2: amount: payment 'RACE-1' was imported with amount '{won}'" in text, text
    assert str(lost) in text
    survived()


def test_two_processes_with_one_payment_id_in_two_offices_both_create_theirs(db: FileDb) -> None:
    """Issue 17: payment ids are unique per office. The same id RACE-2 for a unit of QN and one of HP, imported
    at once by two processes: both exit 0 and both rows exist, each in its office, with its own amount."""
    hp_unit = f.unit("RB0002", office=f.office("HP"))
    hp_unit.refresh_from_db()
    db = FileDb(db.tmp)  # the subprocesses' copy, with the HP unit
    a = _payments_dir(db.tmp, "a", "RACE-2,RB0001,2025-08-22,450000,T08\n")
    b = _payments_dir(db.tmp, "b", "RACE-2,RB0002,2025-08-22,600000,T08\n")
    procs = [db.start("import", str(a), SICOLLECT_LOCK_WAIT="120"),
             db.start("import", str(b), SICOLLECT_LOCK_WAIT="120")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert _live_payments(db) == [("HP", "RACE-2", "RB0002", 600_000), ("QN", "RACE-2", "RB0001", 450_000)]
    survived()
