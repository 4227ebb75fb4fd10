"""The debtor worklist: units with debt past its deadline, as the KPI report counts them.

Amounts, ages, buckets and classes come from :func:`sicollect.reports.kpi.unit_debts`
(one SQL aggregate over the ledger), so the worklist and the KPI report always
agree: the worklist's total for a bucket is the report's figure for that bucket.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sicollect.close.aging import bucket_of, class_of, load_bands
from sicollect.contributions.debts import Scope
from sicollect.core.safe_export import SafeSheet
from sicollect.registry.models import Office, Unit
from sicollect.staff import policy

from .dashboard import KnownScope, last_close, unit_debts_at

SORTS = {
    "late": lambda r: (-r.late, r.unit.code),
    "months": lambda r: (-r.months_late, -r.late, r.unit.code),
    "outstanding": lambda r: (-r.outstanding, r.unit.code),
    "code": lambda r: r.unit.code,
    "name": lambda r: (r.unit.name, r.unit.code),
}


@dataclass
class DebtorRow:
    unit: Unit
    outstanding: int
    late: int
    months_late: int
    bucket: str
    debt_class: str


@dataclass
class Filters:
    office: Office | None = None
    bucket: str = ""
    debt_class: str = ""
    min_amount: int = 0
    officer: str = ""  # a user id, "none" (unassigned) or "" (any)
    min_months: int = 0
    q: str = ""
    sort: str = "late"


@dataclass
class Worklist:
    rows: list[DebtorRow]
    total_late: int
    total_outstanding: int
    buckets: list[Any] = field(default_factory=list)
    classes: list[Any] = field(default_factory=list)


def debtors(user: Any, as_of: date, f: Filters) -> Worklist:
    """The visible units with late debt at ``as_of`` that pass the filters, sorted."""
    buckets, classes = load_bands()
    a = policy.access(user)
    if a.nothing:
        return Worklist([], 0, 0, buckets, classes)
    if f.office is not None:
        scope: Scope = Scope(f.office)
    else:
        scope = KnownScope(None, None if a.office_ids is None else tuple(sorted(a.office_ids)))
    debts = [d for d in unit_debts_at(scope, as_of, last_close()) if d.late > 0]
    units = policy.visible_units(user).filter(pk__in=[d.unit_id for d in debts]).select_related("office", "officer")
    if f.officer == "none":
        units = units.filter(officer__isnull=True)
    elif f.officer:
        units = units.filter(officer_id=f.officer)
    if f.q:
        units = units.filter(code__icontains=f.q) | units.filter(name__icontains=f.q)
    by_id = {u.pk: u for u in units}
    rows = []
    for d in debts:
        unit = by_id.get(d.unit_id)
        if unit is None:
            continue
        row = DebtorRow(unit, d.outstanding, d.late, d.months_late, bucket_of(d.months_late, buckets),
                        class_of(d.months_late, d.status, classes))
        if f.bucket and row.bucket != f.bucket:
            continue
        if f.debt_class and row.debt_class != f.debt_class:
            continue
        if row.late < f.min_amount or row.months_late < f.min_months:
            continue
        rows.append(row)
    rows.sort(key=SORTS.get(f.sort, SORTS["late"]))
    return Worklist(rows, sum(r.late for r in rows), sum(r.outstanding for r in rows), buckets, classes)


def render_xlsx(wl: Worklist, as_of: date) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    ws = SafeSheet(wb.active)  # core.safe_export: a unit named =HYPERLINK(…) stays text
    ws.title = "Danh sach no"
    ws.append([f"Danh sách đơn vị nợ đến ngày {as_of:%d/%m/%Y}"])
    ws.append(["Mã đơn vị", "Tên đơn vị", "Mã số thuế", "Cơ quan BHXH", "Cán bộ thu", "Số tháng nợ",
               "Nhóm tuổi nợ", "Phân loại (B03-TS)", "Nợ quá hạn (đ)", "Tổng phải đóng (đ)"])
    for r in wl.rows:
        ws.append([r.unit.code, r.unit.name, r.unit.tax_code, r.unit.office.code,
                   r.unit.officer.username if r.unit.officer else "", r.months_late, r.bucket, r.debt_class,
                   r.late, r.outstanding])
    ws.append(["Tổng", "", "", "", "", "", "", "", wl.total_late, wl.total_outstanding])
    for row in ws.iter_rows(min_row=3, min_col=9, max_col=10):
        for cell in row:
            cell.number_format = "#,##0"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
