"""Backup and restore round trip, on whichever engine the suite runs (SQLite, then PostgreSQL)."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sicollect.core import audit
from sicollect.close.models import CloseLock
from sicollect.contributions.models import LedgerEntry, Payment
from sicollect.contributions.posting import post_units
from sicollect.contributions.statement import statement
from sicollect.core.audit import cli_actor
from sicollect.core.months import Month
from sicollect.core.models import AuditEvent

from .. import factories as f


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restores_the_database_as_it_was(tmp_path: Path) -> None:
    """HI 10,000,000 from July 2025 = 450,000 a month; 450,000 paid on 20 Aug. After the backup a second
    payment arrives and is posted; the restore brings back one payment and September's statement, and
    leaves one audit row "restore" in the restored database."""
    u = f.unit("BK0001")
    f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")
    f.payment(u, date(2025, 8, 20), 450_000, "P-1")
    post_units([u], Month(2025, 9))
    before = statement(u, Month(2025, 9))
    ledger_rows = LedgerEntry.objects.count()
    out = StringIO()
    call_command("backup", str(tmp_path / "sicollect.backup"), stdout=out)
    assert "backup written" in out.getvalue()

    f.payment(u, date(2025, 9, 25), 450_000, "P-2")
    post_units([u], Month(2025, 9))
    assert statement(u, Month(2025, 9)) != before

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "sicollect.backup"))
    CloseLock.objects.create(name="close", holder="test")
    with pytest.raises(CommandError, match="close is running"):
        call_command("restore", str(tmp_path / "sicollect.backup"), yes=True)
    CloseLock.objects.all().delete()
    audit.record("assign_officer", "hl_mgr", "unit", "BK0001", unit_code="BK0001")  # after the backup: lost
    call_command("restore", str(tmp_path / "sicollect.backup"), yes=True, stdout=StringIO())
    # the restore is in the restored database's audit trail: who, which file (path, size, SHA-256), when
    (event,) = AuditEvent.objects.filter(action="restore")
    backup_file = tmp_path / "sicollect.backup"
    assert (event.actor, event.object_type, event.object_id) == (cli_actor(), "backup", "sicollect.backup")
    assert event.detail["after"]["file"] == event.detail["source"] == str(backup_file.resolve())
    assert event.detail["after"]["sha256"] == hashlib.sha256(backup_file.read_bytes()).hexdigest()
    assert event.detail["after"]["bytes"] == backup_file.stat().st_size
    assert event.detail["before"]["last_event"]["action"] == "assign_officer"  # the newest row it replaced
    assert not AuditEvent.objects.filter(action="assign_officer").exists()
    assert timezone.now() - event.created_at < timedelta(minutes=5)
    assert list(Payment.objects.values_list("payment_id", flat=True)) == ["P-1"]
    assert LedgerEntry.objects.count() == ledger_rows
    assert statement(u, Month(2025, 9)) == before
    assert before["funds"]["HI"]["closing_principal"] == 450_000 * 2  # August and September, July paid


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    bad = tmp_path / "x.backup"
    bad.write_text("hello")
    with pytest.raises(CommandError):
        call_command("restore", str(bad), yes=True)
