"""The close on DuckDB starts from the state the last close saved, by itself or by the SQL close.

Its ``close_state_*`` rows are copied into DuckDB with the inputs and only the open months are computed;
at the end the state is saved back into the database, so the next close on either engine resumes from it.
The ledger is the SQL close's, key by key; a change to a closed month's data sends DuckDB back to the first
month, as it does the SQL close.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import transaction

from sicollect.close import service
from sicollect.close.models import CloseState, CloseStateBase, CloseStateItem, CloseStatePerson
from sicollect.close.sql import close_engine
from sicollect.close.sql.duck import duckdb_close_engine, state_file_to_database
from sicollect.contributions.models import LedgerEntry
from sicollect.core.months import Month
from sicollect.registry.models import Unit

from .. import factories as f
from .test_close_sql import assert_same, demo_unposted  # noqa: F401 (a fixture)

Engine = Callable[[Month, Month | None, bool], Any]


def ledger() -> dict[tuple[Any, ...], int]:
    """The ledger summed by its key and by the closed month a correction is for (units and payments by
    their codes: PostgreSQL does not reuse the ids of a rolled-back savepoint)."""
    have: dict[tuple[Any, ...], int] = defaultdict(int)
    for e in LedgerEntry.objects.select_related("unit", "payment"):
        have[(e.unit.code, e.period, e.posted_on, e.kind, e.fund, e.target, e.month, e.late_from,
              e.payment.payment_id if e.payment else None, e.source, e.for_period)] += e.amount
    return {k: v for k, v in have.items() if v}


def state_rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The saved items, persons in force and base in force (the last two saved by a resumed DuckDB close
    as differences from the state it started from)."""
    fields = ("unit_id", "fund", "kind", "month", "late_from", "seq", "outstanding", "acc_from")
    return (sorted(CloseStateItem.objects.values_list(*fields)),
            sorted(CloseStatePerson.objects.values_list("unit_id", "person_id", "wage", "si", "hi", "ui", "oadi")),
            sorted(CloseStateBase.objects.values_list("unit_id", "month", "fund", "base", "first_late")))


def closes_by(engines: list[Engine], months: list[Month], before: Callable[[int], None] = lambda i: None,
              rollback: bool = False) -> tuple[list[str], dict[tuple[Any, ...], int], Any]:
    """Close ``months`` in turn, the i-th by ``engines[i]`` (``before(i)`` first); the months each
    resumed from, the ledger and the saved state. ``rollback``: in a savepoint undone afterwards."""
    with transaction.atomic():
        sid = transaction.savepoint()
        resumed = []
        for i, (engine, month) in enumerate(zip(engines, months, strict=True)):
            before(i)
            resumed.append(service.close(month, engine=engine).resumed_from)
        have, state = ledger(), state_rows()
        if rollback:
            transaction.savepoint_rollback(sid)
        else:
            transaction.savepoint_commit(sid)
    return resumed, have, state


MONTHS = [Month(2024, 12), Month(2025, 6), Month(2025, 12)]


@pytest.mark.django_db
def test_monthly_closes_on_duckdb_resume_and_write_the_sql_ledger(demo_unposted) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Three closes (2024-12, 2025-06, 2025-12) on DuckDB: the second and third start from the saved state
    and compute their own months only; the ledger and the saved state equal the SQL close's. Then the same
    closes by SQL, DuckDB (from SQL's state), SQL (from DuckDB's): the same ledger again."""
    resumed, want, sql_state = closes_by([close_engine] * 3, MONTHS, rollback=True)
    assert resumed == ["", "2024-12", "2025-06"]
    with transaction.atomic():
        sid = transaction.savepoint()
        first = service.close(MONTHS[0], engine=duckdb_close_engine)
        assert first.resumed_from == "" and CloseState.objects.get().month == date(2024, 12, 1)
        second = service.close(MONTHS[1], engine=duckdb_close_engine)
        assert second.resumed_from == "2024-12"
        assert second.months == [str(Month(2025, m)) for m in range(1, 7)]
        third = service.close(MONTHS[2], engine=duckdb_close_engine)
        assert third.resumed_from == "2025-06"
        assert not LedgerEntry.objects.filter(for_period__isnull=False).exists()  # nothing to correct
        assert_same(ledger(), want)
        kept = CloseState.objects.get()
        assert kept.month == date(2025, 12, 1) and kept.kept_in == "file"
        assert state_rows() == ([], [], [])  # in DuckDB's own file, not in the tables
        assert state_file_to_database(kept) and CloseState.objects.get().kept_in == "database"
        items, persons, bases = state_rows()
        assert len(items) > 100 and len(persons) > 500 and len(bases) > 5_000
        assert (items, persons, bases) == sql_state
        transaction.savepoint_rollback(sid)
    # across engines, both ways
    resumed, have, _ = closes_by([close_engine, duckdb_close_engine, close_engine], MONTHS)
    assert resumed == ["", "2024-12", "2025-06"]
    assert_same(have, want)


def _late_payment(i: int) -> None:
    """Before the second close: a payment dated in the closed November 2024."""
    if i == 1:
        u = Unit.objects.filter(participations__from_month__lte=date(2024, 6, 1)).order_by("code").first()
        assert u is not None
        f.payment(u, date(2024, 11, 20), 1_000_000, payment_id="LATE-RECORDED")


@pytest.mark.django_db
def test_a_payment_in_a_closed_month_sends_duckdb_back_to_the_first(demo_unposted) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A payment dated in a closed month changes what the closed months read: DuckDB does not resume, and
    writes what the SQL close writes (the payment booked in the open month for 2024-12); then, nothing
    changed, the next close resumes again."""
    months = [Month(2024, 12), Month(2025, 3)]
    _, want, _ = closes_by([close_engine] * 2, months, before=_late_payment, rollback=True)
    resumed, have, _ = closes_by([duckdb_close_engine] * 2, months, before=_late_payment)
    assert resumed == ["", ""]
    assert_same(have, want)
    corrections = LedgerEntry.objects.filter(for_period=date(2024, 12, 1), period=date(2025, 1, 1), kind="payment")
    assert corrections.exists()
    assert service.close(Month(2025, 4), engine=duckdb_close_engine).resumed_from == "2025-03"


@pytest.mark.django_db
def test_duckdb_reads_the_state_from_its_file_only_when_it_is_the_database_s(demo_unposted, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Each DuckDB close keeps the state it saved in ``SICOLLECT_VAR/close-state.duckdb``, with the token of
    the database's CloseState (kept in "file"). The next DuckDB close reads it from there (and writes the SQL
    close's ledger and state: the first test); the SQL close copies it into the tables and resumes from it;
    after a SQL close (a new CloseState) DuckDB copies the state from the database; with a damaged file it
    starts from the first month. The ledger and the state are the SQL close's all the same."""
    import duckdb

    from sicollect.close.sql import duck

    path = duck.state_cache_path()
    path.unlink(missing_ok=True)
    used: list[bool] = []
    real = duck.load_state_file

    def spy(session, state):  # type: ignore[no-untyped-def]
        used.append(real(session, state))
        return used[-1]

    monkeypatch.setattr(duck, "load_state_file", spy)
    months = [Month(2024, 12), Month(2025, 3), Month(2025, 4), Month(2025, 5), Month(2025, 6)]
    _, want, want_state = closes_by([close_engine] * 5, months, rollback=True)
    with transaction.atomic():
        sid = transaction.savepoint()
        service.close(months[0], engine=duckdb_close_engine)
        con = duckdb.connect(str(path), read_only=True)
        token = con.execute("SELECT token FROM token").fetchone()[0]
        con.close()
        assert token == duck.state_token(CloseState.objects.get())
        assert service.close(months[1], engine=duckdb_close_engine).resumed_from == "2024-12"
        assert used == [True]  # from the file
        assert service.close(months[2], engine=close_engine).resumed_from == "2025-03"
        assert service.close(months[3], engine=duckdb_close_engine).resumed_from == "2025-04"
        # the SQL close copied DuckDB's file into the tables (True), saved its own state there; DuckDB then
        # finds the file not the database's state: from the tables (False)
        assert used == [True, True, False]
        path.write_bytes(b"not a DuckDB file")
        assert service.close(months[4], engine=duckdb_close_engine).resumed_from == ""
        assert used == [True, True, False, False]
        assert_same(ledger(), want)
        assert state_file_to_database(CloseState.objects.get())
        assert state_rows() == want_state
        transaction.savepoint_rollback(sid)
