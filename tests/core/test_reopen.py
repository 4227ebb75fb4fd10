"""A restore renames a new SQLite file over the live one; a worker already connected must see the restored
data at its next request, not the file the restore replaced."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from django.core.signals import request_started
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper as DatabaseWrapper

from sicollect.core.reopen import reopen_if_replaced


def _file(path: Path, payment: str) -> None:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE p (payment_id TEXT)")
        c.execute("INSERT INTO p VALUES (?)", (payment,))


@pytest.fixture
def worker(tmp_path: Path, django_db_blocker):  # type: ignore[no-untyped-def]
    """A connection of a running worker to the live file ``live.sqlite3`` (payment RB-1), registered as
    Django's alias ``worker`` so the request signal sees it."""
    live = tmp_path / "live.sqlite3"
    _file(live, "RB-1")
    connections.settings["worker"] = {**connections["default"].settings_dict, "ENGINE": "django.db.backends.sqlite3",
                                      "NAME": str(live), "OPTIONS": {}}
    conn = connections["worker"]
    with django_db_blocker.unblock():  # a file of its own, outside the test database
        yield conn, live
        conn.close()
    del connections["worker"]
    del connections.settings["worker"]


def _payments(conn: DatabaseWrapper) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT payment_id FROM p")
        return [r[0] for r in cur.fetchall()]


def test_a_worker_reads_the_restored_file_at_its_next_request(worker) -> None:  # type: ignore[no-untyped-def]
    conn, live = worker
    assert _payments(conn) == ["RB-1"]
    restored = live.with_name("restored.sqlite3")
    _file(restored, "RB-2")
    os.replace(restored, live)  # what core.backup's swap does
    assert _payments(conn) == ["RB-1"]  # the open connection still reads the replaced file
    request_started.send(sender=None)
    assert _payments(conn) == ["RB-2"]
    assert reopen_if_replaced() == []  # nothing replaced since: the connection stays open


def test_a_connection_in_a_transaction_is_not_closed_under_it(worker) -> None:  # type: ignore[no-untyped-def]
    conn, live = worker
    from django.db import transaction

    with transaction.atomic(using="worker"):
        assert _payments(conn) == ["RB-1"]
        restored = live.with_name("restored.sqlite3")
        _file(restored, "RB-2")
        os.replace(restored, live)
        assert reopen_if_replaced() == []
        assert _payments(conn) == ["RB-1"]
    assert reopen_if_replaced() == ["worker"] and _payments(conn) == ["RB-2"]
