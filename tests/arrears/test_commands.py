"""The command line: sync, propose, list, confirm (reruns add nothing), notices, disclosure, check-reward."""
from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from sicollect.arrears.models import Notice

from .. import factories as f
from .test_cases import hi_unit, post

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_arrears_commands_end_to_end(tmp_path: Path) -> None:
    hi_unit("TA0001", tax_code="5700100001")
    f.unit("TA0002")
    post("2025-10")
    assert json.loads(run("arrears", "sync", "--as-of", "2025-10-31"))["opened"] == 1
    assert "1 step(s) proposed" in run("arrears", "propose", "--as-of", "2025-10-31")
    assert "0 step(s) proposed" in run("arrears", "propose", "--as-of", "2025-10-31")
    rows = json.loads(run("arrears", "list", "--format", "json"))
    assert [(r["step"], r["unit"], r["late"], r["months_late"]) for r in rows] == [("NOTICE", "TA0001", 900_000, 2)]
    assert "1 confirmed, 1 notice(s) issued" in run("arrears", "confirm", "--all", "--officer", "can.bo.thu")
    assert "0 confirmed" in run("arrears", "confirm", "--all", "--officer", "can.bo.thu")
    assert Notice.objects.count() == 1
    out = run("arrears", "notices", "--from", "2025-10-01", "--to", "2025-10-31", "-o", str(tmp_path))
    assert len(out.split()) == 2 and (tmp_path / "thong-bao-QN-20251001-20251031.pdf").exists()
    assert "1 notice(s)" in run("arrears", "notice", "--unit", "TA0001", "-o", str(tmp_path / "one.pdf"))
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF")
    listed = json.loads(run("arrears", "list", "--cases", "--format", "json"))
    assert listed["by_step"] == {"NOTICE": 1}
    assert "1 candidate(s)" in run("arrears", "disclose", "nominate", "--as-of", "2025-10-31", "--min-months", "2")
    run("arrears", "disclose", "review", "--as-of", "2025-10-31", "--manager", "giam.doc")
    assert "1 published" in run("arrears", "disclose", "publish", "--as-of", "2025-10-31", "--manager", "giam.doc")
    run("arrears", "disclose", "export", "--as-of", "2025-10-31", "-o", str(tmp_path / "list.xlsx"))
    assert (tmp_path / "list.xlsx").stat().st_size > 0
    ranked = json.loads(run("arrears", "inspection", "--as-of", "2025-10-31", "--format", "json"))
    assert [(r["unit"], r["parts"]["months"]) for r in ranked] == [("TA0001", 5.83)]
    figures = json.loads(run("arrears", "numbers", "--from", "2025-10-01", "--to", "2025-10-31"))
    assert (figures["notices_sent"], figures["disclosed_units"]) == (1, 1)


def test_check_reward_answers_with_the_reason_and_exit_code(tmp_path: Path) -> None:
    hi_unit("TA0001", tax_code="5700100001")
    f.unit("TA0002")
    post("2025-10")
    listing = tmp_path / "list.txt"
    listing.write_text("5700100001\nTA0002\n", encoding="utf-8")
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("check-reward", "--file", str(listing), "--as-of", "2025-10-31", "--format", "json", stdout=out)
    assert exc.value.code == 1
    assert [(a["unit"], a["may_confirm"]) for a in json.loads(out.getvalue())] == [
        ("TA0001", False), ("TA0002", True)]
    assert "ĐƯỢC" in run("check-reward", "TA0002", "--as-of", "2025-10-31")
