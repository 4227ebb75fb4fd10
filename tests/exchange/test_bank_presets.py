"""Bank statement exports of Vietnamese banks, as their internet banking writes them, read with the presets.

Each test file is built here in the bank's shape: title rows (bank, account, period), the header with the
bank's column names, entries with debit and credit in their own columns, a balance column and others the
import does not use, and a totals row under the entries.
"""
from __future__ import annotations

import json
import unicodedata
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sicollect.exchange.bank import import_statement
from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.models import BankEntry
from sicollect.exchange.statements import PRESETS, CsvLayout, parse_csv

from .. import factories as f
from .helpers import named_unit

pytestmark = pytest.mark.django_db

TITLE = [["NGÂN HÀNG {bank}"], ["SAO KÊ TÀI KHOẢN / ACCOUNT STATEMENT"], ["Số tài khoản: 0011001234567"],
         ["Từ ngày 01/08/2025 đến ngày 31/08/2025"], []]

#: per bank: its header, then 3 entries (credit to TQN00012 with its code, a credit by payer account, a debit)
BANKS: dict[str, tuple[list[str], list[list[str]]]] = {
    "vietcombank": (
        ["STT", "Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư", "Mô tả"],
        [["1", "20/08/2025", "5230.20082025.001", "", "450,000", "1,450,000", "BHXH TQN00012 T07/2025"],
         ["2", "21/08/2025", "5230.21082025.002", "", "1,000,000", "2,450,000", "NOP BH MST 5700000013"],
         ["3", "22/08/2025", "5230.22082025.003", "11,000", "", "2,439,000", "Phi dich vu"]]),
    "bidv": (
        ["STT", "Ngày hiệu lực", "Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Số dư",
         "Nội dung giao dịch", "Tên đối ứng", "Tài khoản đối ứng", "Chi nhánh"],
        [["1", "20/08/2025", "20/08/2025 09:15:02", "FT25232001", "", "450.000", "1.450.000",
          "BHXH TQN00012 T07/2025", "CONG TY TNHH XAY DUNG HA LONG", "0011001234567", "Quảng Ninh"],
         ["2", "21/08/2025", "21/08/2025 10:00:00", "FT25233002", "", "1.000.000", "2.450.000", "nop tien BH",
          "CONG TY CP THAN CAM PHA", "0021000013013", "Quảng Ninh"],
         ["3", "22/08/2025", "22/08/2025 11:00:00", "FT25234003", "11.000", "", "2.439.000", "Phi SMS", "", "",
          "Quảng Ninh"]]),
    "vietinbank": (
        ["STT", "Ngày giao dịch", "Số giao dịch", "Mô tả giao dịch", "Ghi nợ", "Ghi có", "Số dư", "Tên đối ứng",
         "Tài khoản đối ứng"],
        [["1", "20/08/2025", "100001", "BHXH TQN00012 T07/2025", "", "450,000.00", "1,450,000.00", "", ""],
         ["2", "21/08/2025", "100002", "nop BH", "", "1,000,000.00", "2,450,000.00", "THAN CAM PHA",
          "0021000013013"],
         ["3", "22/08/2025", "100003", "Phi", "11,000.00", "", "2,439,000.00", "", ""]]),
    "agribank": (
        ["STT", "Ngày giao dịch", "Số bút toán", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư", "Nội dung",
         "Mã giao dịch viên"],
        [["1", "20/08/2025", "AGR001", "0", "450.000", "1.450.000", "BHXH TQN00012 T07/2025", "GDV01"],
         ["2", "21/08/2025", "AGR002", "0", "1.000.000", "2.450.000", "NOP BH MST 5700000013", "GDV01"],
         ["3", "22/08/2025", "AGR003", "11.000", "0", "2.439.000", "Phi", "GDV01"]]),
    "techcombank": (
        ["Ngày giao dịch", "Đối tác", "NH đối tác", "TK đối tác", "Diễn giải", "Nợ TKTT", "Có TKTT", "Số dư",
         "Số bút toán"],
        [["20/08/2025", "CONG TY TNHH XAY DUNG HA LONG", "VCB", "0011001234567", "BHXH TQN00012 T07/2025", "",
          "450,000", "1,450,000", "FT25232001"],
         ["21/08/2025", "CONG TY CP THAN CAM PHA", "BIDV", "0021000013013", "nop BH", "", "1,000,000",
          "2,450,000", "FT25233002"],
         ["22/08/2025", "", "", "", "Phi", "11,000", "", "2,439,000", "FT25234003"]]),
}
FOOTER = {"vietcombank": "Tổng cộng", "bidv": "Tổng phát sinh", "vietinbank": "Tổng", "agribank": "Cộng phát sinh",
          "techcombank": "Số dư cuối kỳ"}


def _rows(bank: str) -> list[list[str]]:
    header, entries = BANKS[bank]
    footer = [""] * len(header)
    footer[1] = FOOTER[bank]
    return [[c.format(bank=bank.upper()) for c in r] for r in TITLE] + [header, *entries, footer]


def write(bank: str, tmp_path: Path, kind: str) -> Path:
    rows = _rows(bank)
    if kind == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        for r in rows:
            book.active.append(r)
        path = tmp_path / f"{bank}-2025-08.xlsx"
        book.save(path)
        return path
    path = tmp_path / f"{bank}-2025-08.csv"
    enc, sep = {"csv-utf16": ("utf-16", "\t"), "csv-cp1258": ("cp1258", ";")}.get(kind, ("utf-8-sig", ","))
    text = "\r\n".join(sep.join(f'"{c}"' if sep in c else c for c in r) for r in rows) + "\r\n"
    path.write_bytes(to_cp1258(text) if enc == "cp1258" else text.encode(enc))
    return path


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: a base letter (â, ê, ô, ơ, ư, ă, đ precomposed) and a
    combining tone mark."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        base, marks = d[0], d[1:]
        for m in d[1:]:  # ộ = o + dot below + circumflex: ô is the letter, the dot below the tone
            try:
                unicodedata.normalize("NFC", d[0] + m).encode("cp1258")
            except UnicodeEncodeError:
                continue
            base, marks = unicodedata.normalize("NFC", d[0] + m), d[1:].replace(m, "", 1)
            break
        out += base.encode("cp1258") + marks.encode("cp1258")
    return out


def units() -> None:
    for code, name, acct, tax in (("TQN00012", "Công ty TNHH Xây dựng Hạ Long", "0011001234567", "5701234567"),
                                  ("TQN00013", "Công ty Cổ phần Than Cẩm Phả", "0021000013013", "5700000013")):
        u = named_unit(code, name, bank_account=acct, tax_code=tax)
        f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")


@pytest.mark.parametrize(("bank", "kind"), [
    ("vietcombank", "xlsx"), ("bidv", "csv-utf16"), ("vietinbank", "csv-utf8"), ("agribank", "csv-cp1258"),
    ("techcombank", "xlsx")])
def test_a_bank_export_imports_with_its_preset(bank: str, kind: str, tmp_path: Path) -> None:
    units()
    path = write(bank, tmp_path, kind)
    layout = CsvLayout.of({"preset": bank})
    parsed = parse_csv(path, layout)
    assert parsed.errors == []
    assert [(e.line, e.booked_on.day, e.amount, e.direction) for e in parsed.entries] == [
        (7, 20, 450_000, "credit"), (8, 21, 1_000_000, "credit"), (9, 22, 11_000, "debit")]
    assert "Số dư" in parsed.warnings[0]  # the columns read past, listed once
    report = import_statement(path, "csv", layout, post=False)
    assert (report.entries, report.matched, report.suspense) == (3, 2, 1)
    assert report.units == {"TQN00012", "TQN00013"}
    assert import_statement(path, "csv", layout, post=False).already == 3
    assert BankEntry.objects.count() == 3


def test_the_cli_takes_a_preset_and_an_encoding(tmp_path: Path) -> None:
    units()
    path = write("agribank", tmp_path, "csv-cp1258")
    out, err = StringIO(), StringIO()
    call_command("bankstatement", str(path), "--preset", "agribank", "--encoding", "cp1258", "--no-post",
                 stdout=out, stderr=err)
    assert "csv: 3 entries: 2 matched, 1 to suspense" in out.getvalue()
    assert "columns not used: STT, Số dư, Mã giao dịch viên" in err.getvalue()
    with pytest.raises(CommandError):  # stated wrongly: UTF-16 bytes are not cp1258 text of this shape
        call_command("bankstatement", str(write("bidv", tmp_path, "csv-utf16")), "--preset", "bidv",
                     "--encoding", "ascii", stdout=StringIO(), stderr=(err := StringIO()))
    assert err.getvalue().startswith("bidv-2025-08.csv:1: encoding: not valid ascii at byte 0")


def test_a_layout_checks_currency_and_refuses_a_row_with_both_debit_and_credit(tmp_path: Path) -> None:
    path = tmp_path / "stmt.csv"
    path.write_text("Ref;Date;Debit;Credit;Ccy;Text;Balance\n"
                    "A1;2025-08-20;;450000;VND;x;1\n"
                    "A2;2025-08-21;;450000;USD;x;1\n"
                    "A3;2025-08-22;5;7;VND;x;1\n"
                    "A4;2025-08-23;;1.234,5;VND;x;1\n", encoding="utf-8")
    layout = CsvLayout.of({"statement_id": "", "entry_id": "Ref", "booked_on": "Date", "debit_amount": "Debit",
                           "credit_amount": "Credit", "currency": "Ccy", "message": "Text", "thousands": ".",
                           "counterparty_name": "", "counterparty_account": "", "ignore": ["Balance"]})
    with pytest.raises(ImportErrors) as exc:
        import_statement(path, "csv", layout)
    assert [str(e) for e in exc.value.errors] == [
        "stmt.csv:3: ccy: must be VND, got 'USD'",
        "stmt.csv:4: credit: exactly one of Credit / Debit must hold an amount, got 2",
        "stmt.csv:5: credit: VND amounts are whole đồng grouped by '.', got '1.234,5'",
    ]
    assert BankEntry.objects.count() == 0
    # a column neither named nor ignored is still an error: a layout says what it reads past
    layout.ignore = ()
    with pytest.raises(ImportErrors) as exc:
        import_statement(path, "csv", layout)
    assert str(exc.value.errors[0]) == "stmt.csv:1: Balance: unexpected column"


def test_presets_name_every_required_column() -> None:
    assert sorted(PRESETS) == ["agribank", "bidv", "techcombank", "vietcombank", "vietinbank"]
    with pytest.raises(ValueError, match="unknown preset 'acb'"):
        CsvLayout.of({"preset": "acb"})
    assert json.loads(json.dumps(PRESETS["bidv"], ensure_ascii=False))["credit_amount"] == "Ghi có"
