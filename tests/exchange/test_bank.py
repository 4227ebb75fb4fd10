"""Bank statements: camt.053 and MT940 files built to the standards, parsed, matched, allocated."""
from __future__ import annotations

import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sicollect.contributions.models import LedgerEntry, Payment
from sicollect.contributions.statement import statement
from sicollect.core.months import Month
from sicollect.exchange.bank import (
    SuspenseError,
    do_assign_suspense,
    do_dismiss_suspense,
    import_statement,
    name_key,
    suspense_items,
    unposted_reversals,
)
from sicollect.exchange.rows import ImportErrors
from sicollect.core.models import AuditEvent
from sicollect.exchange.models import BankEntry, EntryState, ImportBatch, SuspenseItem
from sicollect.exchange.statements import CsvLayout, parse_camt053, parse_mt940

from .. import factories as f
from .helpers import camt053, mt940, named_unit, write_csv

pytestmark = pytest.mark.django_db

SI_ACCOUNT = "1234567890123"


def units() -> dict[str, object]:
    """Five units, each with one employee on HI at 10,000,000 from July 2025: 450,000 a month."""
    made = {
        "TQN00012": named_unit("TQN00012", "Công ty TNHH Xây dựng Hạ Long", tax_code="5701234567",
                           bank_account="0011001234567"),
        "TQN00013": named_unit("TQN00013", "Công ty Cổ phần Than Cẩm Phả", tax_code="5700000013",
                           bank_account="0021000013013"),
        "TQN00014": named_unit("TQN00014", "Công ty TNHH Thương mại Bãi Cháy", tax_code="5700000014"),
        "TQN00015": named_unit("TQN00015", "Công ty TNHH Thương mại Bãi Cháy Hai", tax_code="5700000015"),
        "TQN00016": named_unit("TQN00016", "Công ty TNHH Du lịch Tuần Châu", tax_code="5700000016"),
    }
    for u in made.values():
        f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")
    return made


AUGUST = [
    # 1: the transfer message names the unit and the period
    {"ref": "E001", "amount": 450000, "booked": "2025-08-20", "message": "BHXH TQN00012 T07/2025",
     "name": "CONG TY TNHH XAY DUNG HA LONG", "acct": "0011001234567", "e2e": "VCB-77001"},
    # 2: no code, but the payer account is TQN00013's
    {"ref": "E002", "amount": 450000, "booked": "2025-08-21", "message": "nop tien bao hiem",
     "acct": "0021-0000-13013"},
    # 3: the tax code in the message
    {"ref": "E003", "amount": 450000, "booked": "2025-08-22", "message": "NOP BHXH MST 5700000014 THANG 7"},
    # 4: only the payer's name, close to one unit's
    {"ref": "E004", "amount": 900000, "booked": "2025-08-25", "value": "2025-08-26",
     "message": "chuyen tien", "name": "CTY TNHH DU LICH TUAN CHAU"},
    # 5: nothing to go on
    {"ref": "E005", "amount": 300000, "booked": "2025-08-26", "message": "ung ho", "name": "NGUYEN VAN A"},
    # 6: two unit codes in one message: ambiguous
    {"ref": "E006", "amount": 200000, "booked": "2025-08-27", "message": "BHXH TQN00014 TQN00015"},
    # 7: the bank reverses entry 1 (same end-to-end id)
    {"ref": "E007", "amount": 450000, "mark": "DBIT", "reversal": True, "booked": "2025-08-28",
     "e2e": "VCB-77001", "message": "REVERSAL E001"},
]


def test_camt053_is_parsed_by_the_standards_element_names(tmp_path: Path) -> None:
    path = tmp_path / "stmt.xml"
    path.write_text(camt053("STMT-2025-08", SI_ACCOUNT, AUGUST), encoding="utf-8")
    parsed = parse_camt053(path)
    assert not parsed.errors
    first, second, *_, last = parsed.entries
    assert (first.statement_id, first.entry_id, first.amount, first.direction, first.booked_on) == (
        "STMT-2025-08", "E001", 450_000, "credit", date(2025, 8, 20))
    assert (first.counterparty_account, first.reference, first.account) == ("0011001234567", "VCB-77001", SI_ACCOUNT)
    assert second.counterparty_account == "0021000013013"  # separators dropped
    assert (last.direction, last.is_reversal, last.reference) == ("debit", True, "VCB-77001")


def test_a_camt053_statement_is_matched_allocated_and_queued(tmp_path: Path) -> None:
    u = units()
    path = tmp_path / "stmt.xml"
    path.write_text(camt053("STMT-2025-08", SI_ACCOUNT, AUGUST), encoding="utf-8")
    report = import_statement(path, actor="officer1")
    assert (report.format, report.entries, report.matched, report.suspense, report.reversals) == (
        "camt053", 7, 4, 2, 1)
    matched = {e.entry_id: (e.unit.code, e.matched_by, e.confidence) for e in BankEntry.objects.filter(state="matched")}
    assert matched == {
        "E001": ("TQN00012", "message", 100), "E002": ("TQN00013", "account", 95),
        "E003": ("TQN00014", "tax_code", 90), "E004": ("TQN00016", "name", 90),
    }
    pay = Payment.objects.get(payment_id="STMT-2025-08/E001")
    assert (pay.unit.code, pay.paid_on, pay.amount, pay.channel, pay.source) == (
        "TQN00012", date(2025, 8, 20), 450_000, "bank", "stmt.xml")
    assert pay.reference.startswith("[2025-07] BHXH TQN00012")
    assert Payment.objects.get(payment_id="STMT-2025-08/E004").paid_on == date(2025, 8, 26)  # the value date
    # allocated in the ledger: July's HI of TQN00013 is paid, TQN00016's 900,000 pays July and August
    aug = statement(u["TQN00013"], Month(2025, 8))["funds"]["HI"]
    assert (aug["paid_principal"], aug["closing_principal"]) == (450_000, 450_000)
    assert statement(u["TQN00016"], Month(2025, 8))["funds"]["HI"]["closing_principal"] == 0
    # the reversal is recorded against the payment it takes back
    (rev,) = unposted_reversals()
    assert (rev.payment.payment_id, rev.amount, rev.reversed_on) == ("STMT-2025-08/E001", 450_000, date(2025, 8, 28))
    assert BankEntry.objects.get(entry_id="E007").state == EntryState.REVERSAL
    queue = {i.entry.entry_id: i for i in suspense_items()}
    assert set(queue) == {"E005", "E006"}
    assert {c["unit"] for c in queue["E006"].candidates} == {"TQN00014", "TQN00015"}
    assert AuditEvent.objects.filter(action="import_bank_statement").count() == 1


def test_the_same_statement_twice_changes_nothing(tmp_path: Path) -> None:
    units()
    path = tmp_path / "stmt.xml"
    path.write_text(camt053("STMT-2025-08", SI_ACCOUNT, AUGUST), encoding="utf-8")
    import_statement(path)
    counts = (Payment.objects.count(), LedgerEntry.objects.count(), BankEntry.objects.count(),
              SuspenseItem.objects.count(), ImportBatch.objects.count())
    again = import_statement(path)
    assert (again.already, again.matched, again.batch) == (7, 0, None)
    # re-exported by the bank (other bytes, same statement and entries): still nothing
    other = tmp_path / "stmt-again.xml"
    other.write_text(camt053("STMT-2025-08", SI_ACCOUNT, AUGUST, msg_id="MSG-2"), encoding="utf-8")
    assert import_statement(other).already == 7
    assert counts == (Payment.objects.count(), LedgerEntry.objects.count(), BankEntry.objects.count(),
                      SuspenseItem.objects.count(), ImportBatch.objects.count())


def test_an_entry_that_changed_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    units()
    path = tmp_path / "stmt.xml"
    path.write_text(camt053("STMT-2025-08", SI_ACCOUNT, AUGUST[:1]), encoding="utf-8")
    import_statement(path)
    changed = [dict(AUGUST[0], amount=460000), AUGUST[1]]
    path.write_text(camt053("STMT-2025-08", SI_ACCOUNT, changed), encoding="utf-8")
    with pytest.raises(ImportErrors) as caught:
        import_statement(path)
    (error,) = caught.value.errors
    assert error.field == "amount" and "never changes a bank entry" in error.reason
    assert BankEntry.objects.count() == 1


def test_bad_camt053_entries_are_all_reported_by_line(tmp_path: Path) -> None:
    units()
    bad = [
        {"ref": "E1", "amount": 450000, "booked": "2025-08-20", "ccy": "USD"},
        {"ref": "E2", "amount": "450000.50", "booked": "2025-08-20"},
        {"ref": "E3", "amount": 450000, "booked": "2025-08-20", "mark": "XXXX"},
        {"ref": "E4", "amount": 450000, "booked": "2025-08-20", "message": "BHXH TQN00012"},
    ]
    path = tmp_path / "bad.xml"
    path.write_text(camt053("S1", SI_ACCOUNT, bad), encoding="utf-8")
    with pytest.raises(ImportErrors) as caught:
        import_statement(path)
    assert [e.field for e in caught.value.errors] == ["Ntry/Amt@Ccy", "Ntry/Amt", "Ntry/CdtDbtInd"]
    lines = [e.line for e in caught.value.errors]
    assert lines == sorted(lines) and all(e.startswith("bad.xml:") for e in map(str, caught.value.errors))
    assert not BankEntry.objects.exists() and not Payment.objects.exists()
    path.write_text("<Document><oops></Document>", encoding="utf-8")
    with pytest.raises(ImportErrors) as caught:
        import_statement(path, fmt="camt053")
    assert caught.value.errors[0].field == "xml"


def test_an_mt940_statement_with_a_reversed_credit(tmp_path: Path) -> None:
    """:61: C entries become payments; an RC entry (a credit reversed, money out) with the original's
    customer reference becomes a reversal of that payment."""
    u = units()
    text = mt940("STMT2508", f"VCB/{SI_ACCOUNT}", "00108", [
        {"date": "250820", "mark": "C", "amount": 450000, "ref": "TT2508001", "bank_ref": "FT25232001",
         "message": "BHXH TQN00012 T07/2025 CONG TY XAY DUNG HA LONG"},
        {"date": "250821", "mark": "C", "amount": 450000, "ref": "NONREF", "bank_ref": "FT25233002",
         "message": "NOP BHXH MST 5700000014"},
        {"date": "250822", "mark": "RC", "amount": 450000, "ref": "TT2508001", "bank_ref": "FT25234003",
         "message": "HOAN TRA GIAO DICH TT2508001"},
        {"date": "250823", "mark": "C", "amount": 123000, "ref": "NONREF", "bank_ref": "FT25235004",
         "message": "CHUYEN KHOAN"},
    ])
    path = tmp_path / "vcb.sta"
    path.write_text(text, encoding="utf-8")
    parsed = parse_mt940(path)
    assert [(e.entry_id, e.direction, e.is_reversal, e.line) for e in parsed.entries] == [
        ("FT25232001", "credit", False, 5), ("FT25233002", "credit", False, 7),
        ("FT25234003", "debit", True, 9), ("FT25235004", "credit", False, 11)]
    assert parsed.entries[0].statement_id == f"VCB/{SI_ACCOUNT}/00108/2025-08-01"  # :28C: + the opening date
    report = import_statement(path)
    assert (report.format, report.matched, report.reversals, report.suspense) == ("mt940", 2, 1, 1)
    (rev,) = unposted_reversals()
    assert rev.payment.payment_id == f"VCB/{SI_ACCOUNT}/00108/2025-08-01/FT25232001"
    paid = LedgerEntry.objects.filter(unit=u["TQN00014"], kind="payment").values_list("fund", "month", "amount")
    assert list(paid) == [("HI", Month(2025, 7), -450_000)]
    assert import_statement(path).already == 4


def test_the_suspense_flow_end_to_end(tmp_path: Path) -> None:
    """Ambiguous and unknown credits wait in the queue; the officer assigns one (a payment, allocated
    and posted, with an audit row) and dismisses the other; neither can be decided twice."""
    u = units()
    path = tmp_path / "stmt.xml"
    path.write_text(camt053("STMT-2025-08", SI_ACCOUNT, AUGUST), encoding="utf-8")
    import_statement(path)
    out = StringIO()
    call_command("suspense", "list", stdout=out)
    listing = out.getvalue()
    assert "E006" in listing and "TQN00015" in listing and "E005" in listing
    ambiguous = SuspenseItem.objects.get(entry__entry_id="E006")
    call_command("suspense", "assign", str(ambiguous.pk), "TQN00015", "--actor", "officer2", "--note", "called them",
                 stdout=out)
    ambiguous.refresh_from_db()
    assert (ambiguous.status, ambiguous.unit.code, ambiguous.decided_by) == ("assigned", "TQN00015", "officer2")
    pay = ambiguous.payment
    assert (pay.payment_id, pay.amount, pay.unit.code) == ("STMT-2025-08/E006", 200_000, "TQN00015")
    assert statement(u["TQN00015"], Month(2025, 8))["funds"]["HI"]["paid_principal"] == 200_000
    assert AuditEvent.objects.filter(action="assign_suspense", object_id=str(ambiguous.pk)).exists()
    with pytest.raises(SuspenseError):
        do_assign_suspense(ambiguous.pk, "TQN00014", "officer3")
    unknown = SuspenseItem.objects.get(entry__entry_id="E005")
    with pytest.raises(SuspenseError):
        do_dismiss_suspense(unknown.pk, "officer2", " ")
    do_dismiss_suspense(unknown.pk, "officer2", "a donation, returned to the sender")
    assert list(suspense_items()) == []
    with pytest.raises(CommandError) as caught:
        call_command("suspense", "assign", "999999", "TQN00015", stdout=out)
    assert caught.value.returncode == 2
    # the assigned payment is idempotent too: the statement again writes nothing
    assert import_statement(path).already == 7
    assert Payment.objects.filter(payment_id="STMT-2025-08/E006").count() == 1


def test_a_debit_no_payment_explains_goes_to_suspense_and_is_assigned_as_a_reversal(tmp_path: Path) -> None:
    units()
    path = tmp_path / "s.xml"
    path.write_text(camt053("S9", SI_ACCOUNT, [
        AUGUST[0],
        {"ref": "R1", "amount": 100000, "mark": "DBIT", "booked": "2025-08-29", "message": "HOAN TIEN THUA"},
    ]), encoding="utf-8")
    import_statement(path)
    item = SuspenseItem.objects.get()
    assert "reverses no payment" in item.reason
    with pytest.raises(SuspenseError):
        do_assign_suspense(item.pk, "TQN00012", "officer1")
    do_assign_suspense(item.pk, "TQN00012", "officer1", reverses="S9/E001")
    (rev,) = unposted_reversals()
    assert (rev.amount, rev.payment.payment_id, rev.reason) == (100_000, "S9/E001", "assigned by an officer")


def test_bank_payment_ids_are_unique_per_office(tmp_path: Path) -> None:
    """Office HL already has a payment STMT-2025-08/E001: the statement's E001 is still TQN00012's payment
    in office QN (two payments, one id, two offices). QN's own counter already used STMT-2025-08/E002: that
    entry waits in suspense, saying why, and cannot be assigned under that id; nothing else changes."""
    u = units()
    hl = f.unit("HL0001", office=f.office("HL"))
    f.payment(hl, date(2025, 8, 1), 100_000, "STMT-2025-08/E001")
    f.payment(u["TQN00016"], date(2025, 8, 2), 50_000, "STMT-2025-08/E002")
    path = tmp_path / "stmt.xml"
    path.write_text(camt053("STMT-2025-08", SI_ACCOUNT, AUGUST), encoding="utf-8")
    report = import_statement(path, actor="officer1")
    assert (report.entries, report.matched, report.suspense, report.reversals) == (7, 3, 3, 1)
    assert sorted(Payment.objects.filter(payment_id="STMT-2025-08/E001").values_list(
        "office__code", "unit__code", "amount")) == [("HL", "HL0001", 100_000), ("QN", "TQN00012", 450_000)]
    (rev,) = unposted_reversals()
    assert (rev.payment.unit.code, rev.payment.amount) == ("TQN00012", 450_000)  # QN's, not HL's
    item = SuspenseItem.objects.get(entry__entry_id="E002")
    assert item.reason == ("payment id STMT-2025-08/E002 is already a payment of TQN00016 (2025-08-02, 50000) "
                           "in the same office")
    assert [c["unit"] for c in item.candidates] == ["TQN00013"]
    with pytest.raises(SuspenseError, match="already a payment of TQN00016"):
        do_assign_suspense(item.pk, "TQN00013", "officer2")
    assert Payment.objects.filter(payment_id="STMT-2025-08/E002").count() == 1


def test_a_configurable_csv_export(tmp_path: Path) -> None:
    """A bank's CSV with Vietnamese headers, dd/mm/yyyy dates and signed amounts, described by a layout file."""
    units()
    layout = tmp_path / "layout.json"
    layout.write_text(json.dumps({
        "statement_id": "", "entry_id": "Số bút toán", "booked_on": "Ngày giao dịch", "date_format": "%d/%m/%Y",
        "amount": "Số tiền", "direction": "", "message": "Nội dung", "counterparty_name": "Tên người chuyển",
        "counterparty_account": "Tài khoản người chuyển",
    }), encoding="utf-8")
    path = write_csv(tmp_path / "BIDV-2025-08.csv", """
        Số bút toán;Ngày giao dịch;Số tiền;Nội dung;Tên người chuyển;Tài khoản người chuyển
        BT001;20/08/2025;450.000;BHXH TQN00012 T07/2025;;
        BT002;21/08/2025;+450000;;CONG TY CP THAN CAM PHA;0021000013013
        BT003;22/08/2025;-450.000;HOAN TRA BT001;;
    """)
    call_command("bankstatement", str(path), "--layout", str(layout), stdout=StringIO())
    assert set(Payment.objects.values_list("payment_id", flat=True)) == {"BIDV-2025-08/BT001", "BIDV-2025-08/BT002"}
    (rev,) = unposted_reversals()
    assert rev.payment.payment_id == "BIDV-2025-08/BT001"
    bad = write_csv(tmp_path / "bad.csv", """
        Số bút toán;Ngày giao dịch;Số tiền;Nội dung;Tên người chuyển;Tài khoản người chuyển
        BT009;31/02/2025;450.000;x;;
        BT010;01/09/2025;45,5;x;;
        BT010;01/09/2025;0;x;;
    """)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("bankstatement", str(bad), "--layout", str(layout), stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "bad.csv:2: ngay_giao_dich: must be a date like 31/10/2025, got '31/02/2025'",
        "bad.csv:3: so_tien: must be a whole number of đồng, got '45,5'",
        "bad.csv:4: so_but_toan: duplicate entry bad/BT010 (first on line 3)",
        "bad.csv:4: so_tien: must not be 0",
    ]
    assert CsvLayout.from_json(layout).date_format == "%d/%m/%Y"


def test_name_keys_drop_legal_forms_and_diacritics() -> None:
    assert name_key("Công ty TNHH Xây dựng Hạ Long") == "XAY DUNG HA LONG"
    assert name_key("CTY CP THAN CẨM PHẢ") == "THAN CAM PHA"


def test_a_debit_matching_two_payments_names_them(tmp_path: Path) -> None:
    """Two credits of TQN00012 with the same customer reference, then a debit with that reference: which
    payment it takes back cannot be told. The suspense reason names both payments by their ids
    (S8/E001, S8/E002), not by the database's row numbers."""
    units()
    path = tmp_path / "s.xml"
    path.write_text(camt053("S8", SI_ACCOUNT, [
        {**AUGUST[0], "ref": "E001", "e2e": "TWICE-1"},
        {**AUGUST[0], "ref": "E002", "booked": "2025-08-21", "e2e": "TWICE-1"},
        {"ref": "R1", "amount": 450000, "mark": "DBIT", "booked": "2025-08-29", "message": "HOAN TIEN",
         "e2e": "TWICE-1"},
    ]), encoding="utf-8")
    import_statement(path)
    item = SuspenseItem.objects.get()
    assert item.reason == "a debit matching 2 payments: S8/E001, S8/E002"
