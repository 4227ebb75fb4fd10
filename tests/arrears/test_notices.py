"""Notices: figures, the VietQR code read back by the bank matcher, the PDF, the batch."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sicollect.arrears import ladder, notices, vietqr
from sicollect.arrears.cases import sync
from sicollect.arrears.models import Notice
from sicollect.core.months import Month
from sicollect.exchange.bank import Matcher, period_in
from sicollect.exchange.statements import StatementEntry
from sicollect.registry.models import Office

from .. import factories as f
from .test_cases import hi_unit, post

pytestmark = pytest.mark.django_db


def issue_notices(on: date = date(2025, 10, 31)) -> list[Notice]:
    sync(on)
    ladder.propose(on)
    ladder.confirm(list(ladder.proposals(on).values_list("pk", flat=True)), "can.bo.thu", on)
    return list(Notice.objects.order_by("unit__code"))


def setup_province() -> None:
    qn = f.office("QN")
    qn.bank_bin, qn.bank_account = "970415", "113366668888"
    qn.save()
    hl = Office.objects.create(code="HL", name="BHXH Hạ Long", parent=qn)  # no account: pays to the province's
    hi_unit("TA0001")
    hi_unit("TB0002", office=hl)
    f.unit("TC0003")  # no debt
    post("2025-10")


def test_the_notice_qr_pays_the_offices_account_and_its_message_is_matched_back_to_the_unit() -> None:
    setup_province()
    a, b = issue_notices()
    assert (a.unit.code, b.unit.code, b.office.code) == ("TA0001", "TB0002", "HL")
    for n in (a, b):
        d = vietqr.decode(n.qr_payload)
        assert (d["bin"], d["account"], d["amount"]) == ("970415", "113366668888", 1_812_420)
        assert d["message"] == n.transfer_message == f"BHXH {n.unit.code} T10/2025"
        entry = StatementEntry(line=1, statement_id="S1", entry_id=n.number, account="113366668888",
                               booked_on=date(2025, 11, 5), value_on=None, amount=1_812_420, direction="credit",
                               is_reversal=False, message=d["message"])
        match = Matcher().match(entry)
        assert (match.unit_id, match.via) == (n.unit_id, "message")
        assert period_in(d["message"]) == Month(2025, 10)


def test_the_notice_pdf_is_vietnamese_with_the_figures_and_the_qr() -> None:
    setup_province()
    a, _ = issue_notices()
    html = notices.html_of([a])
    for text in ("THÔNG BÁO KẾT QUẢ ĐÓNG", "BHYT", "1.800.000", "12.420", "1.812.420", "900.000",
                 "BHXH TA0001 T10/2025", "15/11/2025", "data:image/svg+xml", "0,0300%"):
        assert text in html, text
    pdf = notices.pdf_of([a])
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000


def test_a_long_unit_code_keeps_the_message_within_25_characters() -> None:
    u = f.unit("TQN0000123456789")
    assert notices.transfer_message(u, Month(2025, 10)) == "TQN0000123456789 T10/2025"


def test_the_batch_writes_one_pdf_per_office_and_a_register(tmp_path: Path) -> None:
    setup_province()
    issue_notices()
    paths = notices.batch(date(2025, 10, 1), date(2025, 10, 31), tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["so-dang-ky-thong-bao-20251001-20251031.xlsx", "thong-bao-HL-20251001-20251031.pdf",
                     "thong-bao-QN-20251001-20251031.pdf"]
    ws = load_workbook(tmp_path / names[0]).active
    rows = list(ws.iter_rows(values_only=True))
    assert [(r[2], r[3], r[9], r[11]) for r in rows[1:]] == [
        ("HL", "TB0002", 1_812_420, "BHXH TB0002 T10/2025"), ("QN", "TA0001", 1_812_420, "BHXH TA0001 T10/2025")]
    # issuing again changes nothing: one notice per confirmed step
    ladder.propose(date(2025, 10, 31))
    assert Notice.objects.count() == 2
