"""Notices: the documents of the ladder's document steps, as PDF (WeasyPrint) with a VietQR code.

A notice freezes its figures when issued (``Notice.figures``): per C12-TS column
(BHXH, BHYT, BHTN, TNLĐ-BNN) the principal still owed and the unpaid interest at
the end of the month of the case's last sync, the late (interest-bearing) part,
and the interest lines (base, rate, days, regime) of the last twelve months.
Printing the PDF again gives the same document.

The transfer message is ``BHXH <unit code> T<MM>/<YYYY>``, the form the bank
matcher (``exchange.bank.Matcher`` and ``period_in``) reads back: the unit code
is a word of the message and ``T10/2025`` is the period.
"""
from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from sicollect.contributions.statement import interest_lines, pending_rows, statement
from sicollect.core.money import format_vnd
from sicollect.core.months import Month
from sicollect.core.safe_export import SafeSheet
from sicollect.registry.models import Office, Unit

from . import vietqr
from .models import CaseStep, Notice

COLUMNS = (("SI", "BHXH"), ("HI", "BHYT"), ("UI", "BHTN"), ("OADI", "TNLĐ-BNN"))


def transfer_message(unit: Unit, period: Month) -> str:
    """``BHXH TA0001 T10/2025``; long unit codes drop the ``BHXH`` prefix to stay within 25 characters."""
    text = f"BHXH {unit.code} T{period.month:02d}/{period.year}"
    return text if len(text) <= 25 else f"{unit.code} T{period.month:02d}/{period.year}"[:25]


def paying_office(unit: Unit) -> Office:
    """The managing office, or the nearest office above it with a bank account."""
    office: Office | None = unit.office
    while office is not None:
        if office.bank_account and office.bank_bin:
            return office
        office = office.parent
    return unit.office


def figures(unit: Unit, period: Month, late_amount: int) -> dict[str, Any]:
    pending = pending_rows(unit, period)  # the calculator once, for the statement and the 12 months' lines
    data = statement(unit, period, pending)
    funds = {}
    for col, label in COLUMNS:
        f = data["funds"][col]
        funds[col] = {"label": label, "principal": f["closing_principal"], "interest": f["closing_interest"],
                      "total": f["closing_principal"] + f["closing_interest"]}
    principal = sum(v["principal"] for v in funds.values())
    interest = sum(v["interest"] for v in funds.values())
    lines = []
    for i in range(11, -1, -1):
        p = period - i
        assert isinstance(p, Month)
        for ln in interest_lines(unit, p, pending):
            lines.append({**ln, "period": str(p), "amount": _segment_amount(ln)})
    return {"period": str(period), "funds": funds, "principal": principal, "interest": interest,
            "late_principal": late_amount, "total": principal + interest, "interest_lines": lines}


def _segment_amount(line: dict[str, Any]) -> int | None:
    if "amount" in line:
        return int(line["amount"])
    if "interest" in line:
        return int(line["interest"])
    return None


def issue(cs: CaseStep, on: date) -> Notice:
    """The notice of a confirmed document step (one per step: a second call returns the first)."""
    existing = Notice.objects.filter(case_step=cs).first()
    if existing:
        return existing
    unit = cs.case.unit
    period = Month.of(cs.case.as_of)
    figs = figures(unit, period, cs.case.late_amount)
    office = paying_office(unit)
    message = transfer_message(unit, period)
    payload = ""
    if office.bank_bin and office.bank_account and figs["total"] > 0:
        payload = vietqr.payload(office.bank_bin, office.bank_account, figs["total"], message)
    figs["step"] = {"code": cs.step.code, "name": cs.step.name, "title": cs.step.document_title}
    return Notice.objects.create(
        case_step=cs, unit=unit, office=unit.office, number=f"{unit.office.code}/{on.year}/{cs.pk:06d}",
        issued_on=on, period=str(period), pay_by=on + timedelta(days=cs.step.payment_days), figures=figs,
        total=figs["total"], transfer_message=message, qr_payload=payload,
    )


# ------------------------------------------------------------------------ documents


def _context(notice: Notice) -> dict[str, Any]:
    figs = notice.figures
    office = paying_office(notice.unit)
    return {
        "n": notice, "unit": notice.unit, "office": notice.office, "bank_office": office, "f": figs,
        "rows": [{**v, "principal_s": format_vnd(v["principal"]), "interest_s": format_vnd(v["interest"]),
                  "total_s": format_vnd(v["total"])} for v in figs["funds"].values()],
        "total_s": format_vnd(figs["total"]), "principal_s": format_vnd(figs["principal"]),
        "interest_s": format_vnd(figs["interest"]), "late_s": format_vnd(figs["late_principal"]),
        "lines": [{**ln, "base_s": format_vnd(int(ln.get("base", 0))),
                   "rate_s": f"{int(ln.get('rate_ppm', 0)) / 10_000:.4f}%".replace(".", ","),
                   "amount_s": format_vnd(ln["amount"]) if ln.get("amount") is not None else ""}
                  for ln in figs["interest_lines"]],
        "qr": vietqr.svg_data_uri(notice.qr_payload) if notice.qr_payload else "",
        "title": figs.get("step", {}).get("title") or "THÔNG BÁO",
    }


def html_of(notices: list[Notice]) -> str:
    return render_to_string("arrears/notice.html", {"pages": [_context(n) for n in notices]})


def pdf_of(notices: list[Notice]) -> bytes:
    from weasyprint import HTML

    return HTML(string=html_of(notices)).write_pdf()


def batch(issued_from: date, issued_to: date, out_dir: Path, progress: bool = False) -> list[Path]:
    """One PDF per office with its notices issued in the period, and one register xlsx of them all."""
    from openpyxl import Workbook

    out_dir.mkdir(parents=True, exist_ok=True)
    notices = list(Notice.objects.filter(issued_on__gte=issued_from, issued_on__lte=issued_to)
                   .select_related("unit", "office", "case_step__step").order_by("office__code", "unit__code", "id"))
    by_office: dict[str, list[Notice]] = defaultdict(list)
    for n in notices:
        by_office[n.office.code].append(n)
    written = []
    offices: Any = by_office.items()
    if progress:
        from tqdm import tqdm

        offices = tqdm(list(offices), desc="notices", unit="office")
    for code, items in offices:
        path = out_dir / f"thong-bao-{code}-{issued_from:%Y%m%d}-{issued_to:%Y%m%d}.pdf"
        path.write_bytes(pdf_of(items))
        written.append(path)
    wb = Workbook()
    ws = SafeSheet(wb.active)  # core.safe_export
    ws.title = "So dang ky"
    ws.append(["Số", "Ngày", "Cơ quan BHXH", "Mã đơn vị", "Tên đơn vị", "Bước", "Kỳ", "Gốc", "Lãi", "Tổng",
               "Hạn nộp", "Nội dung chuyển khoản"])
    for n in notices:
        ws.append([n.number, n.issued_on, n.office.code, n.unit.code, n.unit.name, n.case_step.step.name, n.period,
                   n.figures["principal"], n.figures["interest"], n.total, n.pay_by, n.transfer_message])
    buf = io.BytesIO()
    wb.save(buf)
    reg = out_dir / f"so-dang-ky-thong-bao-{issued_from:%Y%m%d}-{issued_to:%Y%m%d}.xlsx"
    reg.write_bytes(buf.getvalue())
    written.append(reg)
    return written
