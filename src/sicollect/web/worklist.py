"""The debtor worklist: units with debt past its deadline, as the KPI report counts them.

Amounts, ages, buckets and classes come from :func:`sicollect.reports.kpi.unit_debts`
(one SQL aggregate over the ledger), so the worklist and the KPI report always
agree: the worklist's total for a bucket is the report's figure for that bucket.
Beside them, each unit's unpaid interest, last payment, last contact, case step and pending promise come
from :func:`sicollect.arrears.workplace.with_facts` (correlated subqueries of the one query over the units).

:data:`COLUMNS` are the columns, in order, of the table on screen and of the xlsx export; :data:`SORTS` the
sorts (click a column's header), each with its natural direction: a unit without the value (never paid,
never contacted, no step, no promise) comes last whichever the direction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sicollect.arrears.models import ContactKind
from sicollect.arrears.workplace import interest_owed_many, with_facts
from sicollect.close.aging import bucket_of, class_of, load_bands
from sicollect.contributions.debts import Scope
from sicollect.core.safe_export import SafeSheet
from sicollect.registry.models import Office, Unit
from sicollect.staff import policy

from .dashboard import KnownScope, cached, last_close, unit_debts_at
from .labels import tr


@dataclass
class DebtorRow:
    unit: Unit
    outstanding: int
    late: int
    months_late: int
    bucket: str
    debt_class: str
    interest: int = 0
    last_paid_on: date | None = None
    last_paid_amount: int | None = None
    last_contact_on: date | None = None
    last_contact_kind: str = ""
    step_name: str = ""
    step_order: int | None = None
    promise_amount: int | None = None
    promise_date: date | None = None

    @property
    def contact_label(self) -> str:
        """The kind of the last contact, in the user's language."""
        if not self.last_contact_kind:
            return ""
        try:
            return tr(ContactKind(self.last_contact_kind).label)
        except ValueError:
            return self.last_contact_kind


# sort key -> (the value it sorts on, None when the unit has none; its natural direction)
SORTS: dict[str, tuple[Callable[[DebtorRow], Any], str]] = {
    "late": (lambda r: r.late, "desc"),
    "months": (lambda r: (r.months_late, r.late), "desc"),
    "outstanding": (lambda r: r.outstanding, "desc"),
    "code": (lambda r: r.unit.code, "asc"),
    "name": (lambda r: r.unit.name, "asc"),
    "office": (lambda r: r.unit.office.code, "asc"),
    "officer": (lambda r: r.unit.officer.username if r.unit.officer_id else None, "asc"),
    "class": (lambda r: r.debt_class, "asc"),
    "interest": (lambda r: r.interest, "desc"),
    "last_payment": (lambda r: r.last_paid_on, "asc"),
    "last_contact": (lambda r: r.last_contact_on, "asc"),
    "step": (lambda r: r.step_order, "desc"),
    "promise": (lambda r: r.promise_date, "asc"),
}
DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy translation: the header in the user's language
    sort: str = ""  # the SORTS key of its header, "" when it does not sort
    numeric: bool = False


# the table's columns, in order: the page and the xlsx export both read them
COLUMNS = (
    Column("code", gettext_lazy("Code"), "code"),
    Column("name", gettext_lazy("Name"), "name"),
    Column("office", gettext_lazy("Office"), "office"),
    Column("officer", gettext_lazy("Officer"), "officer"),
    Column("months", gettext_lazy("Months late"), "months", True),
    Column("bucket", gettext_lazy("Age"), "months"),
    Column("class", gettext_lazy("Class"), "class"),
    Column("late", gettext_lazy("Late debt"), "late", True),
    Column("outstanding", gettext_lazy("Outstanding"), "outstanding", True),
    Column("interest", gettext_lazy("Interest owed"), "interest", True),
    Column("last_payment", gettext_lazy("Last payment"), "last_payment"),
    Column("last_contact", gettext_lazy("Last contact"), "last_contact"),
    Column("step", gettext_lazy("Step reached"), "step"),
    Column("promise", gettext_lazy("Pending promise"), "promise"),
)


def sort_rows(rows: list[DebtorRow], sort: str, direction: str = "") -> list[DebtorRow]:
    """``rows`` by ``sort`` in ``direction`` (its natural one when empty), then by unit code; units
    without the value last."""
    value, natural = SORTS[sort]
    by_code = sorted(rows, key=lambda r: r.unit.code)
    have = [r for r in by_code if value(r) is not None]
    lack = [r for r in by_code if value(r) is None]
    have.sort(key=value, reverse=(direction or natural) == "desc")  # stable: equal values stay by code
    return have + lack


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
    direction: str = ""  # "asc", "desc" or "" (the sort's natural direction)

    @property
    def dir(self) -> str:
        return self.direction or SORTS[self.sort][1]


@dataclass
class Worklist:
    rows: list[DebtorRow]
    total_late: int
    total_outstanding: int
    total_interest: int = 0
    buckets: list[Any] = field(default_factory=list)
    classes: list[Any] = field(default_factory=list)


def interest_owed(unit_ids: list[int], as_of: date, closed: Any) -> dict[int, int]:
    """Each unit's late interest not yet paid at ``as_of`` (``arrears.workplace.interest_owed_many``). Final
    for days inside the closed months (the ledger of a closed month is never written again), so kept in
    the cache per close run, as the debts are (``dashboard.unit_debts_at``)."""
    if closed is None or as_of > closed.month.last_day:
        return interest_owed_many(unit_ids, as_of)
    key = (closed.pk, closed.closed_at.isoformat(), as_of.isoformat(), tuple(unit_ids))
    return cached("interest", key, lambda: interest_owed_many(unit_ids, as_of))


def debtors(user: Any, as_of: date, f: Filters) -> Worklist:
    """The visible units with late debt at ``as_of`` that pass the filters, sorted."""
    buckets, classes = load_bands()
    a = policy.access(user)
    if a.nothing:
        return Worklist([], 0, 0, 0, buckets, classes)
    if f.office is not None:
        scope: Scope = Scope(f.office)
    else:
        scope = KnownScope(None, None if a.office_ids is None else tuple(sorted(a.office_ids)))
    closed = last_close()
    debts = [d for d in unit_debts_at(scope, as_of, closed) if d.late > 0]
    units = policy.visible_units(user).filter(pk__in=[d.unit_id for d in debts])
    if f.officer == "none":
        units = units.filter(officer__isnull=True)
    elif f.officer:
        units = units.filter(officer_id=f.officer)
    if f.q:
        units = units.filter(code__icontains=f.q) | units.filter(name__icontains=f.q)
    by_id = {u.pk: u for u in with_facts(units.select_related("office", "officer"), as_of, interest=False)}
    owed = interest_owed(sorted(by_id), as_of, closed)
    rows = []
    for d in debts:
        unit = by_id.get(d.unit_id)
        if unit is None:
            continue
        row = DebtorRow(unit, d.outstanding, d.late, d.months_late, bucket_of(d.months_late, buckets),
                        class_of(d.months_late, d.status, classes), owed.get(unit.pk, 0),
                        unit.last_paid_on, unit.last_paid_amount, unit.last_contact_on, unit.last_contact_kind or "",
                        unit.step_name or "", unit.step_order, unit.promise_amount, unit.promise_date)
        if f.bucket and row.bucket != f.bucket:
            continue
        if f.debt_class and row.debt_class != f.debt_class:
            continue
        if row.late < f.min_amount or row.months_late < f.min_months:
            continue
        rows.append(row)
    rows = sort_rows(rows, f.sort if f.sort in SORTS else "late", f.direction)
    return Worklist(rows, sum(r.late for r in rows), sum(r.outstanding for r in rows), sum(r.interest for r in rows),
                    buckets, classes)


def xlsx_cells(r: DebtorRow, bucket_labels: dict[str, str]) -> list[Any]:
    """The row's cells in the order of :func:`xlsx_header`: a column of date and amount is two cells."""
    return [r.unit.code, r.unit.name, r.unit.office.code, r.unit.officer.username if r.unit.officer_id else "",
            r.months_late, tr(bucket_labels.get(r.bucket, r.bucket)), r.debt_class,
            r.late, r.outstanding, r.interest, r.last_paid_on, r.last_paid_amount, r.last_contact_on,
            r.contact_label, tr(r.step_name), r.promise_amount, r.promise_date]


def xlsx_header() -> list[str]:
    """The headers of :data:`COLUMNS` in the user's language; the last payment, the last contact and the
    promise each take two cells (a date and an amount or a kind), so numbers and dates stay numbers and dates."""
    out: list[str] = []
    for c in COLUMNS:
        label = str(c.label)
        if c.key == "last_payment":
            out += [f"{label} – {_('date')}", f"{label} (đ)"]
        elif c.key == "last_contact":
            out += [f"{label} – {_('date')}", f"{label} – {_('kind')}"]
        elif c.key == "promise":
            out += [f"{label} (đ)", f"{label} – {_('date')}"]
        elif c.numeric and c.key not in ("months",):
            out.append(f"{label} (đ)")
        else:
            out.append(label)
    return out


def render_xlsx(wl: Worklist, as_of: date, bucket_labels: dict[str, str] | None = None) -> bytes:
    """Every row of ``wl`` (all of the filter, not a page), in its order, with the columns of the page."""
    from io import BytesIO

    from openpyxl import Workbook

    labels = bucket_labels if bucket_labels is not None else {b.code: b.label for b in wl.buckets}
    wb = Workbook()
    ws = SafeSheet(wb.active)  # core.safe_export: a unit named =HYPERLINK(…) stays text
    ws.title = "Danh sach no"
    ws.append([f"{_('Debtors')} · {as_of:%d/%m/%Y}"])
    header = xlsx_header()
    ws.append(header)
    for r in wl.rows:
        ws.append(xlsx_cells(r, labels))
    total = [""] * len(header)
    total[0], total[7], total[8], total[9] = str(_("Total")), wl.total_late, wl.total_outstanding, wl.total_interest
    ws.append(total)
    money = {i + 1 for i, h in enumerate(header) if h.endswith("(đ)")}
    dates = {i + 1 for i, h in enumerate(header) if h.endswith(f"– {_('date')}")}
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if cell.column in money:
                cell.number_format = "#,##0"
            elif cell.column in dates:
                cell.number_format = "dd/mm/yyyy"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
