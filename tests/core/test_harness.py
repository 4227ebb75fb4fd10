"""The harness itself: the suite runs on the engine it says, and the database guards the ledger.

Append-only is enforced below Python: migration contributions/0002 installs a trigger that
refuses UPDATE on SQLite and UPDATE or DELETE on PostgreSQL; the model and its queryset refuse too.
"""
from __future__ import annotations

import os
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from sicollect.contributions.models import EntryKind, LedgerEntry
from sicollect.core.months import Month
from sicollect.registry.models import Office, Unit

pytestmark = pytest.mark.django_db


def an_entry() -> LedgerEntry:
    office = Office.objects.create(code="HARNESS", name="BHXH harness")
    unit = Unit.objects.create(
        code="HN0001", name="Công ty harness", office=office, region=1, registered_on=date(2020, 1, 1),
    )
    return LedgerEntry.objects.create(
        unit=unit, period=Month(2025, 1), posted_on=date(2025, 1, 31), kind=EntryKind.DUE,
        fund="HI", target="principal", month=Month(2025, 1), amount=450_000,
    )


def test_engine_is_the_one_asked_for() -> None:
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_the_database_refuses_a_raw_update_of_a_ledger_row() -> None:
    entry = an_entry()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("UPDATE contributions_ledgerentry SET amount = 0")
    # The failed statement was rolled back to the savepoint; the row and the connection are fine.
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 450_000


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the DELETE trigger is PostgreSQL's")
def test_postgresql_refuses_a_raw_delete_of_a_ledger_row() -> None:
    entry = an_entry()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM contributions_ledgerentry")
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_the_orm_refuses_to_update_or_delete_ledger_rows() -> None:
    entry = an_entry()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=0)
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.amount = 0
    with pytest.raises(PermissionError):
        entry.save()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 450_000
