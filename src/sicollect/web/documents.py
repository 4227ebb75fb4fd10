"""Documents for download: the C12-TS statement (PDF, xlsx) and the KPI report (PDF).

PDFs are HTML templates printed by WeasyPrint with DejaVu Sans (Debian
``fonts-dejavu-core``), which has every Vietnamese glyph.
"""
from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from django.template.loader import render_to_string

from sicollect.contributions.statement import _LABELS, KEYS
from sicollect.core.months import Month
from sicollect.core.safe_export import SafeSheet
from sicollect.registry.models import Office, Unit
from sicollect.rules.funds import STATEMENT_COLUMNS

HEADERS = ["BHXH", "BHYT", "BHTN", "TNLĐ-BNN", "Tổng"]


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def statement_pdf(unit: Unit, month: Month, data: dict[str, Any], rows: list[dict[str, Any]],
                  lines: list[dict[str, Any]]) -> bytes:
    html = render_to_string("web/pdf/statement.html", {
        "unit": unit, "month": month, "data": data, "rows": rows, "lines": lines, "headers": HEADERS,
        "today": date.today(),
    })
    return html_to_pdf(html)


def statement_xlsx(unit: Unit, month: Month, data: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = SafeSheet(wb.active)  # core.safe_export
    ws.title = "C12-TS"
    ws.append(["THÔNG BÁO KẾT QUẢ ĐÓNG BHXH, BHYT, BHTN (C12-TS)"])
    ws.append(["Đơn vị", f"{unit.code} {unit.name}", "Tháng", str(month),
               "TẠM TÍNH: tháng chưa khóa sổ" if data.get("provisional") else ""])
    ws.append(["Lao động đầu kỳ", data["headcount"]["opening"], "cuối kỳ", data["headcount"]["closing"]])
    ws.append([])
    ws.append(["Chỉ tiêu", *HEADERS])
    for key in KEYS:
        ws.append([_LABELS[key], *(data["funds"][c][key] for c in STATEMENT_COLUMNS), data["total"][key]])
    for row in ws.iter_rows(min_row=6, min_col=2, max_col=6):
        for cell in row:
            cell.number_format = "#,##0"
    if lines:
        li = SafeSheet(wb.create_sheet("Lai cham dong"))
        li.append(["Quỹ", "Tháng", "Chế độ", "Căn cứ (đ)", "Lãi suất (ppm)", "Số ngày", "Từ", "Đến", "Tiền lãi (đ)"])
        for ln in lines:
            li.append([ln.get("fund"), ln.get("month"), ln.get("regime"), ln.get("base"), ln.get("rate_ppm"),
                       ln.get("days"), ln.get("from"), ln.get("to"), ln.get("amount")])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def kpi_pdf(data: dict[str, Any], ranking: list[dict[str, Any]], office: Office | None, as_of: date) -> bytes:
    html = render_to_string("web/pdf/kpi.html", {"k": data, "ranking": ranking, "office": office, "as_of": as_of})
    return html_to_pdf(html)
