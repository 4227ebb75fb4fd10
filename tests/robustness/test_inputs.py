"""Every door refuses what is outside the input domain (core.domain) with ``file:line: field: reason`` (exit 2
on the CLI, 422 on the API) and writes nothing: the cases of issue 17 as written, and a few neighbours."""
from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook

from sicollect.core import domain
from sicollect.exchange.bank import import_statement
from sicollect.exchange.registry_import import import_dir
from sicollect.exchange.rows import ImportErrors
from sicollect.registry.models import Person

from .. import factories as f
from ..api.helpers import client_for
from ..exchange.helpers import camt053
from ..web.helpers import build
from .conftest import refused, snapshot, unchanged

pytestmark = pytest.mark.django_db

PAYMENTS = "payment_id,unit_code,paid_on,amount,reference\n"
PERSONS = "si_code,national_id,full_name,birth_date,sex,commune_code\n"


def folder(tmp: Path, **files: str) -> Path:
    d = tmp / "in"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / f"{name}.csv").write_text(text, encoding="utf-8")
    return d


# (name, files, the error expected, as file:line: field: reason)
IMPORT_CASES: list[tuple[str, dict[str, str], str]] = [
    ("amount 2**63-1", {"payments": PAYMENTS + "P-1,RB0001,2025-08-20,9223372036854775807,\n"},
     "payments.csv:2: amount: too large: 9223372036854775807 (at most 1,000,000,000,000)"),
    ("amount Infinity", {"payments": PAYMENTS + "P-1,RB0001,2025-08-20,Infinity,\n"},
     "payments.csv:2: amount: must be a positive integer, got 'Infinity'"),
    ("amount 1E+30", {"payments": PAYMENTS + "P-1,RB0001,2025-08-20,1E+30,\n"},
     "payments.csv:2: amount: must be a positive integer, got '1E+30'"),
    ("paid_on 0001-01-01", {"payments": PAYMENTS + "P-1,RB0001,0001-01-01,450000,\n"},
     "payments.csv:2: paid_on: 0001-01-01 is before 2016-01-01, the first day the rules cover"),
    ("paid_on 2099", {"payments": PAYMENTS + "P-1,RB0001,2099-01-01,450000,\n"},
     "payments.csv:2: paid_on: 2099-01-01 is more than 31 days after today"),
    ("birth date 2099", {"persons": PERSONS + "3101000009,,Lê Văn A,2099-01-01,M,\n"},
     "persons.csv:2: birth_date: 2099-01-01 is after today"),
    ("national ID 12AB", {"persons": PERSONS + "3101000009,12AB,Lê Văn A,1990-01-01,M,\n"},
     "persons.csv:2: national_id: a national ID is 12 digits (or 9 for an old ID card), got 4 characters"),
    ("SI code of 3 digits", {"persons": PERSONS + "310,,Lê Văn A,1990-01-01,M,\n"},
     "persons.csv:2: si_code: an SI code is 10 digits, got '310'"),
    ("NUL in a name", {"persons": PERSONS + "3101000009,,Lê\x00Văn A,1990-01-01,M,\n"},
     "persons.csv:2: full_name: control character U+0000 at position 3"),
    ("\\x01 in a name", {"persons": PERSONS + "3101000009,,Lê\x01Văn A,1990-01-01,M,\n"},
     "persons.csv:2: full_name: control character U+0001 at position 3"),
    ("\\x1f in a unit name", {"units": "unit_code,name,tax_code,office_code,ownership,status,region,"
                                       "payment_cycle,registered_on\nRB0009,Công ty\x1f A,,RB,private,active,1,1,"
                                       "2020-01-01\n"},
     "units.csv:2: name: control character U+001F at position 8"),
    ("a name of 201 characters", {"persons": PERSONS + f"3101000009,,{'A' * 201},1990-01-01,M,\n"},
     "persons.csv:2: full_name: longer than 200 characters (201)"),
    ("wage above the bound", {"participations": "si_code,unit_code,from_month,to_month,wage,funds,declared_on,"
                                                "retro_interest\n3101000001,RB0001,2025-07,,10000000001,HI,,\n"},
     "participations.csv:2: wage: too large: 10000000001 (at most 10,000,000,000)"),
    ("from_month 1990-01", {"participations": "si_code,unit_code,from_month,to_month,wage,funds,declared_on,"
                                             "retro_interest\n3101000001,RB0001,1990-01,,10000000,HI,,\n"},
     "participations.csv:2: from_month: 1990-01 is before 2016-01, the first month the rules cover"),
    ("plan value above the bound", {"plans": "year,office_code,indicator,value\n2025,RB,revenue,"
                                             "1000000000000001\n"},
     "plans.csv:2: value: too large: 1000000000000001 (at most 1,000,000,000,000,000)"),
]


@pytest.fixture
def unit() -> Any:
    u = f.unit("RB0001", office=f.office("RB"))
    f.participation(u, f.person("3101000001"), "2025-07", None, 10_000_000, "HI")
    return u


@pytest.mark.parametrize("name", [c[0] for c in IMPORT_CASES])
def test_import_dir_refuses_a_value_outside_the_domain_and_writes_nothing(unit: Any, tmp_path: Path,
                                                                        name: str) -> None:
    _, files, expected = next(c for c in IMPORT_CASES if c[0] == name)
    before = snapshot()
    with pytest.raises(ImportErrors) as info:
        import_dir(folder(tmp_path, **files))
    assert any(str(e).startswith(expected) for e in info.value.errors), [str(e) for e in info.value.errors]
    unchanged(before, snapshot())
    refused()


def test_the_command_says_file_line_field_reason_and_exits_2(unit: Any, tmp_path: Path) -> None:
    d = folder(tmp_path, payments=PAYMENTS + "P-1,RB0001,2099-01-01,450000,\n")
    before = snapshot()
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", str(d), stderr=err)
    assert info.value.returncode == 2
    assert "payments.csv:2: paid_on: 2099-01-01 is more than 31 days after today" in err.getvalue()
    unchanged(before, snapshot())
    refused()


def test_a_name_in_decomposed_unicode_is_stored_composed(unit: Any, tmp_path: Path) -> None:
    """What must hold: "Nguyễn" typed as NFD is stored NFC, so a search in the normal form finds it."""
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn Ân")
    assert nfd != "Nguyễn Văn Ân"
    import_dir(folder(tmp_path, persons=PERSONS + f"3101000009,,{nfd},1990-01-01,M,\n"))
    assert Person.objects.filter(full_name="Nguyễn Văn Ân").count() == 1


# --------------------------------------------------------------------------- bank files


SI_ACCOUNT = "1234567890123"


@pytest.mark.parametrize(("amount", "booked", "field"), [
    ("Infinity", "2025-08-20", "Ntry/Amt"), ("1E+30", "2025-08-20", "Ntry/Amt"), ("NaN", "2025-08-20", "Ntry/Amt"),
    ("450000", "2099-01-01", "booked_on"), ("9223372036854775807", "2025-08-20", "amount"),
])
def test_a_bank_entry_outside_the_domain_is_refused_before_any_payment(unit: Any, tmp_path: Path, amount: str,
                                                                      booked: str, field: str) -> None:
    """A credit dated 2099 used to post 8,758 ledger rows out to 2099-01; Infinity and 1E+30 a traceback."""
    path = tmp_path / "s.xml"
    path.write_text(camt053("S-RB", SI_ACCOUNT, [{"ref": "E1", "amount": amount, "booked": booked,
                                                  "message": "BHXH RB0001 T07/2025"}]), encoding="utf-8")
    before = snapshot()
    with pytest.raises(ImportErrors) as info:
        import_statement(path, fmt="camt053")
    assert [e.field for e in info.value.errors] == [field], [str(e) for e in info.value.errors]
    unchanged(before, snapshot())
    refused()


# --------------------------------------------------------------------------- xlsx with a DTD


def xlsx_with_dtd(tmp: Path, name: str = "d02.xlsx") -> Path:
    """A real workbook whose sheet XML carries a DTD with an entity (XXE / billion laughs shape)."""
    book = Workbook()
    book.active.append(["si_code", "full_name"])
    raw = io.BytesIO()
    book.save(raw)
    out = tmp / name
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                dtd = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                data = data.replace(b"?>", b"?>" + dtd, 1) if data.startswith(b"<?xml") else dtd + data
            dst.writestr(item, data)
    return out


def test_an_xlsx_with_a_dtd_is_refused_on_the_cli(unit: Any, tmp_path: Path) -> None:
    path = xlsx_with_dtd(tmp_path)
    before = snapshot()
    err = io.StringIO()
    with pytest.raises(Exception) as info:  # noqa: PT011 (CommandError, exit 2)
        call_command("declare", str(path), unit="RB0001", stderr=err)
    assert getattr(info.value, "returncode", None) == 2
    assert "declares a DTD or entities: refused" in err.getvalue() + str(info.value)
    unchanged(before, snapshot())
    refused()


def test_an_xlsx_with_a_dtd_is_a_4xx_on_the_api_and_the_reward_page(tmp_path: Path) -> None:
    province = build()
    path = xlsx_with_dtd(tmp_path)
    api = client_for(province["users"]["hl_mgr"])
    web = Client()
    web.force_login(province["users"]["hl_mgr"])
    before = snapshot()
    with path.open("rb") as fh:
        r = api.post("/api/declarations", {"file": fh, "unit": "HL001"})
    assert r.status_code == 422 and "DTD" in str(r.json()["fields"]), r.content
    with path.open("rb") as fh:
        page = web.post("/arrears/reward/", {"file": fh})
    assert page.status_code in (200, 400) and "DTD" in page.content.decode()
    unchanged(before, snapshot())
    refused(2)


# --------------------------------------------------------------------------- API lengths


API_CASES: list[tuple[str, object]] = [
    ("payment_id", "P" * 5_000), ("reference", "r" * 100_000), ("payment_id", "P-\x00-1"), ("reference", "a\x01b"),
    ("amount", 2**63), ("paid_on", "0001-01-01"), ("paid_on", "2099-01-01"),
]


def test_the_api_answers_422_naming_the_field() -> None:
    """Issue 17: the API stored a 5,000-character payment_id and a 100,000-character reference."""
    province = build()
    api = client_for(province["users"]["hl_off"])
    before = snapshot()
    for field, value in API_CASES:
        body = {"payment_id": "QUAY-9", "unit": "HL001", "paid_on": "2025-11-05", "amount": 900_000, field: value}
        r = api.post("/api/payments", body, content_type="application/json")
        assert r.status_code == 422 and any(k.split(".")[-1] == field for k in r.json()["fields"]), r.content
        refused()
    unchanged(before, snapshot())


def test_another_offices_payment_id_is_not_revealed() -> None:
    """Payment ids are unique per office: CP's id does not stop HL recording the same id (a 409 would tell
    HL's officer that CP has a payment under it)."""
    province = build()
    body = {"payment_id": "SAME-1", "unit": "CP001", "paid_on": "2025-11-05", "amount": 900_000}
    assert client_for(province["users"]["cp_off"]).post("/api/payments", body,
                                                        content_type="application/json").status_code == 201
    r = client_for(province["users"]["hl_off"]).post("/api/payments", {**body, "unit": "HL001"},
                                                     content_type="application/json")
    assert r.status_code == 201


def test_the_domain_bounds_are_stated() -> None:
    """The numbers the README states."""
    assert (domain.MAX_AMOUNT, domain.MAX_WAGE, domain.MAX_PLAN_VALUE) == (10**12, 10**10, 10**15)
    assert domain.future_days() == 31
    assert domain.text(unicodedata.normalize("NFD", "Ễ"), max_length=5) == "Ễ"
    with pytest.raises(domain.DomainError, match="whole finite"):
        domain.amount(float("inf"))
    assert domain.bounds(date(2026, 1, 1)).latest == date(2026, 2, 1)
