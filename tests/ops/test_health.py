"""/health/: database, caches, migrations (503 when one fails), last close and last backup age (warn)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from sicollect.contributions.models import ClosedMonth
from sicollect.core.months import Month
from sicollect.core.models import AuditEvent
from sicollect.ops.jobs import run_job

pytestmark = pytest.mark.django_db


def test_a_fresh_database_is_served_but_warns_of_no_close_and_no_backup() -> None:
    r = Client().get("/health/")
    assert r.status_code == 200 and r["Cache-Control"].startswith("max-age=0")
    body = r.json()
    assert body["status"] == "warn"
    checks = body["checks"]
    assert checks["database"]["ok"] and checks["cache"] == {"ok": True, "default": True, "shared": True}
    assert checks["migrations"] == {"ok": True, "unapplied": []}
    assert checks["last_close"] == {"ok": False, "month": None, "note": "no month closed yet"}
    assert checks["last_backup"]["ok"] is False and checks["jobs"] == {"ok": True, "failed": []}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # SQLite's backup API waits for the test's open transaction otherwise
def test_a_recent_close_and_backup_make_it_ok_and_an_old_backup_warns(tmp_path: Path) -> None:
    ClosedMonth.objects.create(month=Month.of(timezone.localdate()) - 1)
    assert run_job("backup", folder=tmp_path).ok
    body = Client().get("/health/").json()
    assert body["status"] == "ok", body
    assert body["checks"]["last_close"]["months_behind"] == 1
    assert body["checks"]["last_backup"]["age_hours"] < 0.1
    # 27 hours later (the nightly backup missed a night): warn, still 200
    AuditEvent.objects.filter(action="job").update(created_at=timezone.now() - timedelta(hours=27))
    r = Client().get("/health/")
    assert r.status_code == 200 and r.json()["status"] == "warn"
    assert r.json()["checks"]["last_backup"]["age_hours"] == 27.0


def test_a_failed_job_warns() -> None:
    ClosedMonth.objects.create(month=Month.of(timezone.localdate()) - 1)
    run_job("bankdrop", folder=Path("/nonexistent-drop"))
    jobs = Client().get("/health/").json()["checks"]["jobs"]
    assert jobs == {"ok": False, "failed": ["bankdrop: /nonexistent-drop: no such folder (SICOLLECT_BANK_DROP)"]}


def test_unapplied_migrations_make_it_fail_with_503(monkeypatch: pytest.MonkeyPatch) -> None:
    class Fake:
        app_label, name = "registry", "9999_future"

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [(Fake(), False)])
    r = Client().get("/health/")
    assert r.status_code == 503
    assert r.json()["status"] == "fail"
    assert r.json()["checks"]["migrations"] == {"ok": False, "unapplied": ["registry.9999_future"]}
