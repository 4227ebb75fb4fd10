"""Scheduled jobs (`sicollect job …`): each does its work, writes one audit row and one line; a failed
one is recorded, exits 1 and shows on the managers' dashboard until it succeeds again."""
from __future__ import annotations

import os
import time
from datetime import date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from sicollect.contributions.models import ClosedMonth
from sicollect.contributions.models import Payment
from sicollect.core.months import Month
from sicollect.core.models import AuditEvent
from sicollect.ops.jobs import failed_jobs, latest_runs, run_job

from .. import factories as f
from ..exchange.helpers import camt053
from ..web.helpers import as_user, build

pytestmark = pytest.mark.django_db


def _job_rows(name: str) -> list[dict[str, object]]:
    return [e.detail["after"] for e in AuditEvent.objects.filter(action="job", object_id=name).order_by("id")]


def test_the_close_waits_for_the_offices_day_then_closes_last_month_once() -> None:
    build()  # closed through Oct 2025
    out = StringIO()
    call_command("job", "close", "--today", "2025-12-04", "--day", "5", stdout=out)
    assert out.getvalue().startswith("job close ok")
    assert "not yet: 2025-11 is closed from day 5 of the month (today 04/12/2025)" in out.getvalue()
    assert not ClosedMonth.objects.filter(month=Month(2025, 11)).exists()

    out = StringIO()
    call_command("job", "close", "--today", "2025-12-05", "--day", "5", stdout=out)
    assert "closed 2025-11 … 2025-11:" in out.getvalue()
    assert ClosedMonth.objects.filter(month=Month(2025, 11)).exists()
    assert not ClosedMonth.objects.filter(month=Month(2025, 12)).exists()

    out = StringIO()  # the timer fires again the next day: nothing to do
    call_command("job", "close", "--today", "2025-12-06", "--day", "5", stdout=out)
    assert "nothing to do: closed through 2025-11" in out.getvalue()
    rows = _job_rows("close")
    assert [r["ok"] for r in rows] == [True, True, True]
    assert rows[1]["closed"] == ["2025-11"] and rows[2]["closed"] == []
    assert AuditEvent.objects.filter(action="close").count() == 2  # the build's close and the job's


def test_a_close_missed_for_months_catches_up_every_month() -> None:
    build()
    result = run_job("close", today=date(2026, 2, 20), day=5)
    assert result.ok and result.detail["closed"] == ["2025-11", "2025-12", "2026-01"]


def test_a_bad_close_day_fails_is_recorded_and_exits_1() -> None:
    with pytest.raises(CommandError) as err:
        call_command("job", "close", "--day", "31")
    assert err.value.returncode == 1
    assert "job close FAILED" in str(err.value) and "choose a day from 1 to 28" in str(err.value)
    assert _job_rows("close")[-1]["ok"] is False


def test_the_bank_drop_folder_moves_each_file_to_done_or_failed_with_its_report(tmp_path: Path) -> None:
    u = f.unit("TQN00012", bank_account="0011001234567")
    f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")
    good = tmp_path / "a-vcb-2025-08-20.xml"
    good.write_text(camt053("STMT-1", "1234567890123", [
        {"ref": "E001", "amount": 450000, "booked": "2025-08-20", "message": "BHXH TQN00012 T07/2025"},
        {"ref": "E002", "amount": 300000, "booked": "2025-08-21", "message": "ung ho", "name": "NGUYEN VAN A"},
    ]), encoding="utf-8")
    bad = tmp_path / "b-broken.xml"
    bad.write_text(camt053("STMT-2", "1234567890123", [
        {"ref": "X1", "amount": "abc", "booked": "2025-08-20", "message": "BHXH TQN00012"},
    ]), encoding="utf-8")
    (tmp_path / ".partial-upload").write_text("still being copied", encoding="utf-8")

    with pytest.raises(CommandError) as err:
        call_command("job", "bankdrop", "--dir", str(tmp_path))
    assert err.value.returncode == 1
    assert ("2 file(s): 1 done, 1 failed; 2 entries, 1 matched, 1 to suspense, 0 already imported"
            in str(err.value))
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == [
        "a-vcb-2025-08-20.xml", "a-vcb-2025-08-20.xml.report.txt"]
    assert "camt053: 2 entries: 1 matched, 1 to suspense" in (tmp_path / "done" / "a-vcb-2025-08-20.xml.report.txt").read_text()
    report = (tmp_path / "failed" / "b-broken.xml.report.txt").read_text()
    assert report.startswith("b-broken.xml:") and "amount" in report and "nothing was imported" in report
    assert (tmp_path / "failed" / "b-broken.xml").is_file()
    assert (tmp_path / ".partial-upload").is_file()  # hidden files are left for the next run
    assert list(Payment.objects.values_list("amount", flat=True)) == [450_000]  # the bad file wrote nothing
    row = _job_rows("bankdrop")[-1]
    assert row["ok"] is False and row["done"] == ["a-vcb-2025-08-20.xml"] and list(row["failed"]) == ["b-broken.xml"]

    # the same name dropped again (the bank re-sent it) does not overwrite the first in done/
    again = tmp_path / "a-vcb-2025-08-20.xml"
    again.write_text((tmp_path / "done" / "a-vcb-2025-08-20.xml").read_text(), encoding="utf-8")
    out = StringIO()
    call_command("job", "bankdrop", "--dir", str(tmp_path), stdout=out)
    assert "1 file(s): 1 done, 0 failed; 2 entries, 0 matched, 0 to suspense, 2 already imported" in out.getvalue()
    assert len(list((tmp_path / "done").glob("a-vcb-2025-08-20*.xml"))) == 2
    assert Payment.objects.count() == 1


def test_a_missing_drop_folder_is_a_failed_job(tmp_path: Path) -> None:
    result = run_job("bankdrop", folder=tmp_path / "nowhere")
    assert not result.ok and result.line == f"{tmp_path / 'nowhere'}: no such folder (SICOLLECT_BANK_DROP)"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backups_are_kept_n_days_and_the_newest_always_stays(tmp_path: Path) -> None:
    old = tmp_path / "sicollect-20250101-010000.backup"
    recent = tmp_path / "sicollect-20251220-010000.backup"
    other = tmp_path / "notes.txt"
    for p in (old, recent, other):
        p.write_bytes(b"x")
    now = datetime(2025, 12, 31, 1, 0)
    os.utime(old, (now.timestamp() - 15 * 86400,) * 2)
    os.utime(recent, (now.timestamp() - 11 * 86400,) * 2)
    os.utime(other, (now.timestamp() - 99 * 86400,) * 2)
    result = run_job("backup", folder=tmp_path, keep_days=14, now=now)
    assert result.ok, result.line
    made = tmp_path / "sicollect-20251231-010000.backup"
    assert made.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt", "sicollect-20251220-010000.backup", "sicollect-20251231-010000.backup",
        "sicollect-20251231-010000.backup.manifest.json"]  # core.backup's manifest beside its backup
    assert result.line.endswith("1 older than 14 days removed, 2 kept")
    assert result.detail["removed"] == ["sicollect-20250101-010000.backup"]
    # a year later with keep 1 day: the only backup made then stays, the two before go
    later = run_job("backup", folder=tmp_path, keep_days=1, now=datetime(2026, 12, 31, 1, 0))
    assert later.ok and later.detail["kept"] == 1


def test_the_daily_arrears_run_syncs_and_proposes() -> None:
    build()  # HL001 900,000 late (Jul, Aug), CP001 450,000 late (Aug) on 31 Oct 2025
    result = run_job("arrears", as_of=date(2025, 11, 10))
    assert result.ok, result.line
    assert result.line.startswith("as of 10/11/2025: 2 open case(s)")
    assert result.detail["cases"]["open_cases"] == 2
    again = run_job("arrears", as_of=date(2025, 11, 10))  # the same day twice proposes nothing new
    assert again.ok and again.detail["proposed"] == 0


def test_a_failed_job_shows_on_the_managers_dashboard_until_it_succeeds(tmp_path: Path) -> None:
    qn = build()
    run_job("bankdrop", folder=tmp_path / "nowhere")
    time.sleep(0.01)
    run_job("bankdrop", folder=tmp_path / "nowhere")
    assert [j.name for j in failed_jobs()] == ["bankdrop"]
    for name in ("prov", "hl_mgr"):
        cache.clear()
        page = as_user(qn, name).get("/").content.decode()
        assert 'id="failed-jobs"' in page and "Tác vụ định kỳ bị lỗi" in page and "no such folder" in page, name
    for name in ("hl_off", "hl_view"):
        cache.clear()
        assert 'id="failed-jobs"' not in as_user(qn, name).get("/").content.decode(), name
    runs = latest_runs()
    assert runs["bankdrop"].failed_since < runs["bankdrop"].at  # failing since the first of the two
    (tmp_path / "drop").mkdir()
    assert run_job("bankdrop", folder=tmp_path / "drop").ok
    assert failed_jobs() == []
    cache.clear()
    assert 'id="failed-jobs"' not in as_user(qn, "prov").get("/").content.decode()
