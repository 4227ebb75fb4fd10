"""Progress against the plan at any date, per period, for every level; rankings; the weekly summary
for the weekly online conference; monthly and quarterly evaluation records.

Definitions (a row per node of a level: the province, each office, each point, each officer):

* **revenue** (a flow): collected 1 Jan … as-of against the annual target (``pct``); and in the
  period (week Monday … as-of, month, quarter, or the year to date) against the period's share of
  the annual target, pro rata by days: a target of 365,000,000 gives 7,000,000 for a week and
  30,000,000 for a 30-day month (largest-remainder rounding is not needed: one figure, rounded half up).
* **participants** (stocks: compulsory SI, voluntary SI, UI, HI, OADI): persons covered in the
  as-of month against the year-end target; ``change`` in the period (as-of against the day before
  the period starts).
* **debt ratio**: interest-bearing principal at as-of ÷ the node's revenue target, in %, against
  its ceiling (``debt_ratio_ceiling_bp``, hundredths of a per cent: 210 = 2.10 %).

Ranks: 1 = best. ``rank_revenue`` by revenue % of plan (higher first), ``rank_debt`` by debt ratio
(lower first), ``rank_participants`` by the mean % of plan of the participant indicators with a
target (higher first). Ties keep the order of the codes.
"""
from __future__ import annotations

import calendar
import io
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from sicollect.core import audit
from sicollect.core.money import pct
from sicollect.core.safe_export import SafeSheet

from . import actuals
from .models import Evaluation, Level, PeriodKind
from .targets import nodes, targets

PERIODS = ("week", "month", "quarter", "ytd")
PARTICIPANTS = ("si_compulsory", "si_voluntary", "ui", "hi", "oadi")


def period_bounds(kind: str, as_of: date) -> tuple[date, date]:
    """The whole period containing ``as_of``: (first day, last day)."""
    if kind == "week":
        start = as_of - timedelta(days=as_of.weekday())
        return start, start + timedelta(days=6)
    if kind == "month":
        return as_of.replace(day=1), as_of.replace(day=calendar.monthrange(as_of.year, as_of.month)[1])
    if kind == "quarter":
        q0 = (as_of.month - 1) // 3 * 3 + 1
        end_month = q0 + 2
        return date(as_of.year, q0, 1), date(as_of.year, end_month, calendar.monthrange(as_of.year, end_month)[1])
    if kind == "ytd":
        return date(as_of.year, 1, 1), date(as_of.year, 12, 31)
    raise ValueError(f"unknown period {kind!r} (expected {', '.join(PERIODS)})")


def pro_rata(annual: int, first: date, last: date) -> int:
    """The share of ``annual`` for the days ``first … last`` of its year, half up."""
    first = max(first, date(first.year, 1, 1))
    last = min(last, date(first.year, 12, 31))
    days = (last - first).days + 1
    year_days = 366 if calendar.isleap(first.year) else 365
    return (annual * days * 2 + year_days) // (2 * year_days)


def progress(level: str, as_of: date, period: str = "ytd", office_ids: Iterable[int] | None = None
             ) -> list[dict[str, Any]]:
    """One row per node of ``level`` (within ``office_ids``), ranked; see the module docstring.

    Queries: the nodes, the targets, revenue twice (year, period), participants twice (as-of, the day
    before the period), the late debt once — whatever the number of nodes.
    """
    ids = list(office_ids) if office_ids is not None else None
    year = as_of.year
    first, last = period_bounds(period, as_of)
    jan1 = date(year, 1, 1)
    found = nodes(level, ids)
    plan = targets(year, level, ids)
    ytd = actuals.revenue(level, jan1, as_of, ids)
    in_period = actuals.revenue(level, first, as_of, ids) if period != "ytd" else ytd
    now = actuals.stocks(level, as_of, ids)
    before = actuals.stocks(level, first - timedelta(days=1), ids)
    late = actuals.late_debt(level, as_of, ids)
    rows = []
    for n in found:
        t = plan.get(n.id, {})
        rev_target = t.get("revenue")
        period_target = pro_rata(rev_target, first, last) if rev_target is not None else None
        row: dict[str, Any] = {
            "level": level, "code": n.code, "name": n.name, "as_of": as_of.isoformat(), "period": period,
            "period_from": first.isoformat(), "period_to": last.isoformat(),
            "revenue": {
                "target": rev_target, "ytd": ytd.get(n.id, 0), "pct": pct(ytd.get(n.id, 0), rev_target),
                "period_target": period_target, "period": in_period.get(n.id, 0),
                "period_pct": pct(in_period.get(n.id, 0), period_target),
            },
            "participants": {},
        }
        for key in PARTICIPANTS:
            count = now.get(n.id, {}).get(key, 0)
            target = t.get(key)
            row["participants"][key] = {
                "target": target, "count": count, "pct": pct(count, target),
                "change": count - before.get(n.id, {}).get(key, 0),
            }
        if level != Level.POINT:
            ceiling = t.get("debt_ratio_ceiling_bp")
            ratio = pct(late.get(n.id, 0), rev_target)
            row["debt"] = {"late": late.get(n.id, 0), "ratio_pct": ratio,
                           "ceiling_pct": ceiling / 100 if ceiling is not None else None,
                           "within_ceiling": None if ratio is None or ceiling is None else ratio * 100 <= ceiling}
        shares = [p["pct"] for p in row["participants"].values() if p["pct"] is not None]
        row["participants_pct"] = round(sum(shares) / len(shares), 2) if shares else None
        rows.append(row)
    rank(rows)
    return rows


def rank(rows: list[dict[str, Any]]) -> None:
    """Set ``rank_revenue``, ``rank_debt`` and ``rank_participants`` (1 = best; no figure: last)."""
    by_rev = sorted(range(len(rows)), key=lambda i: (rows[i]["revenue"]["pct"] is None, -(rows[i]["revenue"]["pct"] or 0)))
    by_part = sorted(range(len(rows)), key=lambda i: (rows[i]["participants_pct"] is None,
                                                      -(rows[i]["participants_pct"] or 0)))
    for r, i in enumerate(by_rev, 1):
        rows[i]["rank_revenue"] = r
    for r, i in enumerate(by_part, 1):
        rows[i]["rank_participants"] = r
    if rows and "debt" in rows[0]:
        by_debt = sorted(range(len(rows)), key=lambda i: (rows[i]["debt"]["ratio_pct"] is None,
                                                          rows[i]["debt"]["ratio_pct"] or 0))
        for r, i in enumerate(by_debt, 1):
            rows[i]["rank_debt"] = r


# --------------------------------------------------------------------------- weekly summary


def weekly(as_of: date, office_ids: Iterable[int] | None = None) -> dict[str, Any]:
    """The weekly conference summary for the week (Monday … Sunday) containing ``as_of``, figures
    to ``as_of``: the province (when all offices are in view) and every office, with this week's
    collection against the week's share of the plan, the year to date, the debt ratio against its
    ceiling and the participants' change this week."""
    ids = list(office_ids) if office_ids is not None else None
    offices = progress(Level.OFFICE, as_of, "week", ids)
    province = progress(Level.PROVINCE, as_of, "week") if ids is None else []
    first, last = period_bounds("week", as_of)
    return {"as_of": as_of.isoformat(), "week_from": first.isoformat(), "week_to": last.isoformat(),
            "province": province[0] if province else None, "offices": offices}


WEEKLY_COLUMNS = [
    ("Đơn vị", "code"), ("Tên", "name"),
    ("Thu trong tuần", ("revenue", "period")), ("Kế hoạch tuần", ("revenue", "period_target")),
    ("% KH tuần", ("revenue", "period_pct")),
    ("Thu lũy kế năm", ("revenue", "ytd")), ("Kế hoạch năm", ("revenue", "target")), ("% KH năm", ("revenue", "pct")),
    ("Nợ tính lãi", ("debt", "late")), ("Tỷ lệ nợ %", ("debt", "ratio_pct")), ("Trần nợ %", ("debt", "ceiling_pct")),
    ("BHXH BB", ("participants", "si_compulsory", "count")), ("Tăng tuần", ("participants", "si_compulsory", "change")),
    ("BHXH TN", ("participants", "si_voluntary", "count")), ("Tăng tuần", ("participants", "si_voluntary", "change")),
    ("BHYT", ("participants", "hi", "count")), ("Tăng tuần", ("participants", "hi", "change")),
    ("Xếp hạng thu", "rank_revenue"), ("Xếp hạng nợ", "rank_debt"),
]


def cell(row: dict[str, Any], path: Any) -> Any:
    if isinstance(path, str):
        return row.get(path)
    value: Any = row
    for p in path:
        value = value.get(p) if isinstance(value, dict) else None
    return value


def weekly_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = SafeSheet(book.active)  # core.safe_export: no formulas, no control characters
    sheet.title = "Giao ban tuần"
    sheet.append([f"Giao ban tuần {data['week_from']} – {data['week_to']}, số liệu đến {data['as_of']}"])
    sheet["A1"].font = Font(bold=True)
    sheet.append([label for label, _ in WEEKLY_COLUMNS])
    rows = ([data["province"]] if data["province"] else []) + data["offices"]
    for row in rows:
        sheet.append([cell(row, path) for _label, path in WEEKLY_COLUMNS])
    for col in sheet.iter_cols(min_row=3, min_col=3):
        for c in col:
            if isinstance(c.value, int):
                c.number_format = "#,##0"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- evaluations


def parse_period(text: str) -> tuple[str, date]:
    """``2025-09`` → (month, 30 Sep 2025); ``2025-Q3`` → (quarter, 30 Sep 2025)."""
    try:
        year_s, rest = text.split("-")
        year = int(year_s)
        if rest.upper().startswith("Q"):
            q = int(rest[1:])
            if not 1 <= q <= 4:
                raise ValueError
            month = 3 * q
            return PeriodKind.QUARTER, date(year, month, calendar.monthrange(year, month)[1])
        month = int(rest)
        return PeriodKind.MONTH, date(year, month, calendar.monthrange(year, month)[1])
    except ValueError as exc:
        raise ValueError(f"period: expected YYYY-MM or YYYY-Qn, got {text!r}") from exc


def evaluate(period: str, level: str, made_by: str, comment: str = "", office: Any = None,
             as_of: date | None = None) -> Evaluation:
    """Freeze the progress of ``level`` (under ``office``, else the province) for a month or quarter:
    figures to the period's last day (or ``as_of`` if earlier, for an evaluation before the period
    ends), the period being the month or quarter itself."""
    kind, end = parse_period(period)
    when = min(end, as_of) if as_of else end
    ids = None
    if office is not None and not office.is_province:
        ids = [office.pk]
    rows = progress(level, when, "month" if kind == PeriodKind.MONTH else "quarter", ids)
    with transaction.atomic():
        record = Evaluation.objects.create(kind=kind, period=period.upper(), level=level,
                                           office=office if ids else None, as_of=when, figures=rows,
                                           comment=comment, made_by=made_by)
        audit.record("evaluate_plan", made_by, "evaluation", record.pk, after={"comment": comment},
                     period=record.period, level=level, office=office.code if ids else None,
                     as_of=when.isoformat(), rows=len(rows))
    return record
