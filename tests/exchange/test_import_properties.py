"""Property tests of the three importers: ``sicollect import DIR`` (payments.csv), D02-LT
declarations (CSV) and bank statements (CSV).

For each: a file of random *good* rows imports whole and reads back exactly (payment id, unit, date,
amount in đồng, reference / the participation rows / the payments the credits became), and a second
import of it changes nothing; the same file with one random cell spoiled (a date 2025-02-30, an
amount −5 or 1.5, an unknown unit, a duplicate key, …) raises ImportErrors naming that file, line
and field, and leaves every table as it was. Bounded (``EXAMPLES`` each, derandomized by the "ci"
profile); the counts are printed at the end of the run ("generated cases").
"""
from __future__ import annotations

import csv
import itertools
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sicollect.contributions.models import Payment
from sicollect.exchange.bank import import_statement
from sicollect.exchange.registry_import import import_dir
from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.declarations import do_import_declaration, read_declaration
from sicollect.exchange.statements import CsvLayout
from sicollect.registry.models import Participation

from .. import factories as f
from ..conftest import CASES_RAN

pytestmark = pytest.mark.django_db

EXAMPLES = 30
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
RAN: Counter[str] = Counter()
_seq = itertools.count(1)


def ran(name: str, good: bool) -> None:
    RAN[(name, good)] += 1  # type: ignore[index]
    CASES_RAN[f"hypothesis {name}"] = (f"{RAN[(name, True)]} good files round-tripped, "  # type: ignore[index]
                                       f"{RAN[(name, False)]} spoiled files wrote nothing")  # type: ignore[index]


def counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def write_rows(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


TEXT = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyỳỹ ABCĐ0123456789,.;\"'-/", max_size=24).map(str.strip)
DAYS = st.dates(date(2020, 1, 1), date(2025, 10, 31))
AMOUNTS = st.integers(1, 10**11)


def spoil(rows: list[list[str]], header: list[str], choices: dict[str, list[str]], data: Any) -> tuple[int, str]:
    """Spoil one cell of one row with a bad value; returns (file line, field)."""
    i = data.draw(st.integers(0, len(rows) - 1), label="row")
    field = data.draw(st.sampled_from(sorted(choices)), label="field")
    rows[i][header.index(field)] = data.draw(st.sampled_from(choices[field]), label="bad value")
    return i + 2, field


# --------------------------------------------------------------------------- sicollect import DIR
PAY_HEADER = ["payment_id", "unit_code", "paid_on", "amount", "reference"]
PAY_BAD = {"paid_on": ["2025-02-30", "31/12/2025", "", "2025-13-01"], "amount": ["0", "-5", "1.5", "abc", ""],
           "unit_code": ["NOPE", ""], "payment_id": [""]}


def payment_rows(data: Any) -> tuple[str, list[list[str]]]:
    unit = f.unit(f"PD{next(_seq):05d}")
    n = data.draw(st.integers(1, 6), label="rows")
    rows = [[f"{unit.code}-{k}", unit.code, data.draw(DAYS).isoformat(), str(data.draw(AMOUNTS)), data.draw(TEXT)]
            for k in range(n)]
    return unit.code, rows


@PROPERTY
@given(data=st.data())
def test_good_payment_rows_round_trip_and_reimport_changes_nothing(tmp_path_factory: Any, data: Any) -> None:
    """E.g. ``PD00001-0,PD00001,2024-03-05,1250000,"U1 nop, T3"`` becomes the payment PD00001-0 of
    1,250,000 đ paid 5 Mar 2024 with that reference; importing the folder again writes nothing."""
    code, rows = payment_rows(data)
    folder = tmp_path_factory.mktemp("imp")
    write_rows(folder / "payments.csv", PAY_HEADER, rows)
    import_dir(folder)
    got = sorted(Payment.objects.filter(unit__code=code).values_list("payment_id", "unit__code", "paid_on",
                                                                     "amount", "reference"))
    assert got == sorted((r[0], r[1], date.fromisoformat(r[2]), int(r[3]), r[4]) for r in rows)
    before = counts()
    report = import_dir(folder)
    assert counts() == before and report.files["payments.csv"].created == 0
    ran("import DIR payments.csv", True)


@PROPERTY
@given(data=st.data())
def test_a_spoiled_payment_row_is_named_and_nothing_is_written(tmp_path_factory: Any, data: Any) -> None:
    """E.g. line 3 with amount 1.5: ``payments.csv:3: amount: …``, and no table changes."""
    _code, rows = payment_rows(data)
    line, field = spoil(rows, PAY_HEADER, PAY_BAD, data)
    folder = tmp_path_factory.mktemp("imp")
    write_rows(folder / "payments.csv", PAY_HEADER, rows)
    before = counts()
    with pytest.raises(ImportErrors) as info:
        import_dir(folder)
    assert ("payments.csv", line, field) in {(e.file, e.line, e.field) for e in info.value.errors}
    assert counts() == before
    ran("import DIR payments.csv", False)


# --------------------------------------------------------------------------- D02-LT declarations
DECL_HEADER = ["si_code", "full_name", "sex", "action", "from_month", "to_month", "wage", "funds"]
DECL_BAD = {"from_month": ["2025-13", "13/2025", "", "2024-1x"], "wage": ["-1", "abc", "1.5"],
            "action": ["XX", ""], "funds": ["SI+XX"], "si_code": [""]}
DECLARED_ON = date(2025, 10, 15)
FUNDS = st.sampled_from(["SI+HI+UI+OADI", "HI", "SI+HI"])


def declaration_rows(data: Any) -> tuple[Any, list[list[str]]]:
    """New hires (TM) of the unit, each on a wage between 5 and 40 million đồng from a month of 2025."""
    unit = f.unit(f"DL{next(_seq):05d}")
    n = data.draw(st.integers(1, 5), label="rows")
    rows = []
    for k in range(n):
        first = data.draw(st.integers(1, 9), label="from")
        last = data.draw(st.one_of(st.none(), st.integers(first, 9)), label="to")
        rows.append([f"{unit.code[2:]}{k:05d}", data.draw(TEXT.filter(bool), label="name").replace(";", ""),
                     data.draw(st.sampled_from(["Nam", "Nữ"])), "TM", f"2025-{first:02d}",
                     f"2025-{last:02d}" if last else "", str(data.draw(st.integers(5_000_000, 40_000_000))),
                     data.draw(FUNDS)])
    return unit, rows


@PROPERTY
@given(data=st.data())
def test_good_declaration_lines_round_trip(tmp_path_factory: Any, data: Any) -> None:
    """E.g. ``0000100000,Lê Thị Hoa,Nữ,TM,2025-03,,9500000,HI`` declared on 15 Oct 2025 becomes a
    participation of that person from 2025-03, open-ended, on 9,500,000 đ, HI only; the same file
    again is refused as already imported and changes nothing."""
    unit, rows = declaration_rows(data)
    path = write_rows(tmp_path_factory.mktemp("d02") / "d02.csv", DECL_HEADER, rows)
    do_import_declaration(read_declaration(path, unit, DECLARED_ON))
    got = sorted((p.person.si_code, p.person.full_name, str(p.from_month), str(p.to_month or ""), p.wage,
                  p.funds_text, p.declared_on) for p in Participation.objects.filter(unit=unit))
    want = sorted((r[0], r[1], r[4], r[5], int(r[6]), "+".join(x for x in ("SI", "HI", "UI", "OADI")
                                                             if x in r[7].split("+")), DECLARED_ON)
                  for r in rows)
    assert got == want
    before = counts()
    with pytest.raises(ImportErrors, match="already"):
        do_import_declaration(read_declaration(path, unit, DECLARED_ON))
    assert counts() == before
    ran("D02-LT declarations", True)


@PROPERTY
@given(data=st.data())
def test_a_spoiled_declaration_line_is_named_and_nothing_is_written(tmp_path_factory: Any, data: Any) -> None:
    unit, rows = declaration_rows(data)
    line, field = spoil(rows, DECL_HEADER, DECL_BAD, data)
    path = write_rows(tmp_path_factory.mktemp("d02") / "d02.csv", DECL_HEADER, rows)
    before = counts()
    with pytest.raises(ImportErrors) as info:
        do_import_declaration(read_declaration(path, unit, DECLARED_ON))
    assert (path.name, line, field) in {(e.file, e.line, e.field) for e in info.value.errors}, info.value.errors
    assert counts() == before
    ran("D02-LT declarations", False)


# --------------------------------------------------------------------------- bank statement CSV
BANK_HEADER = ["entry_id", "booked_on", "amount", "direction", "message", "counterparty_name", "counterparty_account"]
BANK_BAD = {"booked_on": ["2025-02-30", "", "20/08/2025"], "amount": ["0", "4,5", "abc", ""],
            "direction": ["X"], "entry_id": [""]}
LAYOUT = CsvLayout(statement_id="")


def bank_rows(data: Any) -> tuple[str, list[list[str]]]:
    """Credits whose message names the unit (``BHXH BK00001 T07/2025``)."""
    unit = f.unit(f"BK{next(_seq):05d}")
    n = data.draw(st.integers(1, 5), label="rows")
    rows = [[f"E{k}", data.draw(DAYS).isoformat(), str(data.draw(AMOUNTS)), "C", f"BHXH {unit.code} T07/2025",
             "", ""] for k in range(n)]
    return unit.code, rows


@PROPERTY
@given(data=st.data())
def test_good_bank_credits_round_trip_as_payments(tmp_path_factory: Any, data: Any) -> None:
    """E.g. ``E0,2025-08-20,450000,C,BHXH BK00001 T07/2025`` in BK00001-stmt.csv becomes the payment
    ``BK00001-stmt/E0`` of 450,000 đ to BK00001 on 20 Aug 2025; the same file again adds nothing."""
    code, rows = bank_rows(data)
    path = write_rows(tmp_path_factory.mktemp("bank") / f"{code}-stmt.csv", BANK_HEADER, rows)
    import_statement(path, "csv", LAYOUT, post=False)
    got = sorted(Payment.objects.filter(unit__code=code).values_list("payment_id", "paid_on", "amount"))
    assert got == sorted((f"{code}-stmt/{r[0]}", date.fromisoformat(r[1]), int(r[2])) for r in rows)
    before = counts()
    assert import_statement(path, "csv", LAYOUT, post=False).already == len(rows)
    assert counts() == before
    ran("bank statement CSV", True)


@PROPERTY
@given(data=st.data())
def test_a_spoiled_bank_line_is_named_and_nothing_is_written(tmp_path_factory: Any, data: Any) -> None:
    code, rows = bank_rows(data)
    line, field = spoil(rows, BANK_HEADER, BANK_BAD, data)
    path = write_rows(tmp_path_factory.mktemp("bank") / f"{code}-stmt.csv", BANK_HEADER, rows)
    before = counts()
    with pytest.raises(ImportErrors) as info:
        import_statement(path, "csv", LAYOUT, post=False)
    assert (path.name, line, field) in {(e.file, e.line, e.field) for e in info.value.errors}, info.value.errors
    assert counts() == before
    ran("bank statement CSV", False)

