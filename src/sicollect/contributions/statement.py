"""The monthly statement of a unit (form C12-TS), read from the ledger.

Per column (SI = long- plus short-term, HI, UI, OADI) and in total:

    closing_principal = opening_principal + assessed + adjusted − paid_principal
    closing_interest  = opening_interest + interest_charged − paid_interest

Opening and closing balances are sums over all earlier ledger rows, computed
independently of the month's movements, so the identity is a check on the
ledger, not a definition.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sicollect.core.money import PPM, format_vnd
from sicollect.core.months import Month
from sicollect.registry.models import Participation, Unit
from sicollect.rules.funds import STATEMENT_COLUMNS

from .assessment import headcount
from .models import ClosedMonth, EntryKind, LedgerEntry, Target
from .posting import differences, row_of

KEYS = (
    "opening_principal", "opening_interest", "assessed", "adjusted", "interest_charged",
    "paid_principal", "paid_interest", "closing_principal", "closing_interest",
)


@dataclass
class FundFigures:
    opening_principal: int = 0
    opening_interest: int = 0
    assessed: int = 0
    adjusted: int = 0
    interest_charged: int = 0
    paid_principal: int = 0
    paid_interest: int = 0
    closing_principal: int = 0
    closing_interest: int = 0

    def add(self, other: FundFigures) -> None:
        for k in KEYS:
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def balances(self) -> bool:
        return (
            self.opening_principal + self.assessed + self.adjusted - self.paid_principal == self.closing_principal
            and self.opening_interest + self.interest_charged - self.paid_interest == self.closing_interest
        )


#: a ledger row as the statement reads it
ROW_FIELDS = ("period", "kind", "fund", "target", "amount", "for_period", "source")


def pending_rows(unit: Unit, period: Month) -> list[Any] | None:
    """What posting would append now for ``unit`` through ``period`` (payments and declarations recorded
    since the ledger was written), computed in memory by the calculator; None when ``period`` is closed
    (its ledger is final). Reading never writes the ledger. Compute it once and pass it to
    :func:`statement` and :func:`interest_lines` (or call :func:`statement_and_lines`): each run of the
    calculator reads the unit's whole history."""
    closed = ClosedMonth.last()
    if closed is not None and period <= closed:
        return None
    return [r for r in differences([unit], period, closed=closed) if r.period <= period]


_COMPUTE: Any = object()  # "pending rows not given: compute them"


def _ledger_rows(unit: Unit, period: Month, pending: Any = _COMPUTE) -> tuple[list[tuple[Any, ...]], bool]:
    """The unit's ledger rows through ``period``, and whether the month is provisional: not closed yet,
    so what posting would append now (:func:`pending_rows`) is added, in memory."""
    rows = list(LedgerEntry.objects.filter(unit=unit, period__lte=period).values_list(*ROW_FIELDS))
    if pending is _COMPUTE:
        pending = pending_rows(unit, period)
    if pending is None:
        return rows, False
    mine = [r for r in pending if r.period <= period]
    return rows + [tuple(getattr(r, f) for f in ROW_FIELDS) for r in mine], True


def figures(rows: list[tuple[Any, ...]], period: Month) -> tuple[dict[str, FundFigures], dict[str, int]]:
    """Per fund, the C12-TS figures of ``period`` from ledger rows (``ROW_FIELDS``) through it, and the
    unit's credit (opening, received, applied, closing)."""
    per_fund: dict[str, FundFigures] = defaultdict(FundFigures)
    credit = {"opening": 0, "received": 0, "applied": 0}
    for row_period, kind, fund, target, amount, for_period, source in rows:
        if kind == EntryKind.CREDIT:
            if row_period < period:
                credit["opening"] += amount
            elif row_period == period:
                credit["applied" if source == "applied" else "received"] += -amount if source == "applied" else amount
            continue
        f = per_fund[fund]
        principal = kind in (EntryKind.DUE, EntryKind.ADJUSTMENT) or (
            kind == EntryKind.PAYMENT and target == Target.PRINCIPAL)
        if row_period < period:
            if principal:
                f.opening_principal += amount
            else:
                f.opening_interest += amount
        if principal:
            f.closing_principal += amount
        else:
            f.closing_interest += amount
        if row_period != period:
            continue
        if kind == EntryKind.DUE and for_period is None:
            f.assessed += amount
        elif kind in (EntryKind.DUE, EntryKind.ADJUSTMENT):  # corrections of closed months count as adjustments
            f.adjusted += amount
        elif kind == EntryKind.INTEREST:
            f.interest_charged += amount
        elif target == Target.PRINCIPAL:
            f.paid_principal -= amount
        else:
            f.paid_interest -= amount
    credit["closing"] = credit["opening"] + credit["received"] - credit["applied"]
    return per_fund, credit


def statement(unit: Unit, period: Month, pending: Any = _COMPUTE) -> dict[str, Any]:
    """The C12-TS figures of ``unit`` for ``period`` as a plain dict (the JSON shape). A month not closed
    yet is ``provisional``: computed from the ledger and, in memory, what posting would add to it
    (``pending``: :func:`pending_rows` through ``period`` or a later month, when already computed)."""
    rows, provisional = _ledger_rows(unit, period, pending)
    per_fund, credit = figures(rows, period)
    columns: dict[str, dict[str, int]] = {}
    total = FundFigures()
    for column, funds in STATEMENT_COLUMNS.items():
        col = FundFigures()
        for fund in funds:
            col.add(per_fund.get(fund.value, FundFigures()))
        total.add(col)
        columns[column] = asdict(col)
    persons = [row_of(p) for p in Participation.objects.filter(unit=unit)]
    known = period.last_day
    return {
        "unit": unit.code,
        "period": str(period),
        "provisional": provisional,
        "funds": columns,
        "total": asdict(total),
        "headcount": {
            "opening": headcount(persons, period - 1, known),  # type: ignore[arg-type]
            "closing": headcount(persons, period, known),
        },
        "credit": credit,
    }


def statement_and_lines(unit: Unit, period: Month) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """:func:`statement` and :func:`interest_lines` of the same month, running the calculator once."""
    pending = pending_rows(unit, period)
    return statement(unit, period, pending), interest_lines(unit, period, pending)


def interest_lines(unit: Unit, period: Month, pending: Any = _COMPUTE) -> list[dict[str, Any]]:
    """The lines behind the month's interest charges, one per fund × contribution month × regime × days
    range: fund, month, regime, base (the late principal), rate, from, to, days and the amount in đồng.
    A charge's lines add up exactly to it (see :func:`explain`). A correction of a closed month's
    interest is one line of its own (regime ``correction``)."""
    charges: dict[tuple[str, bool], list[tuple[int, dict[str, Any], Any]]] = defaultdict(list)
    for e in LedgerEntry.objects.filter(unit=unit, period=period, kind=EntryKind.INTEREST).order_by("fund", "id"):
        charges[(e.fund, e.for_period is not None)].append((e.amount, e.detail, e.for_period))
    if pending is _COMPUTE:
        pending = pending_rows(unit, period)
    for r in pending or ():
        if r.period == period and r.kind == EntryKind.INTEREST:
            charges[(r.fund, r.for_period is not None)].append((r.amount, r.detail, r.for_period))
    lines: list[dict[str, Any]] = []
    for (fund, correction), rows in sorted(charges.items()):
        if correction:
            for amount, _detail, for_period in rows:
                lines.append({"fund": fund, "month": str(for_period), "regime": "correction", "base": 0,
                              "rate_ppm": 0, "days": 0, "from": "", "to": "", "amount": amount})
            continue
        amount = sum(a for a, _d, _f in rows)
        detail = rows[-1][1] or {}  # the last row describes the whole charge (posting writes it so)
        segments = [seg for part in (detail.get("parts") or [detail]) for seg in part.get("segments", [])]
        lines.extend({"fund": fund, **line, "month": str(line["month"])[:7]} for line in explain(segments, amount))
    return lines


def explain(segments: list[dict[str, Any]], amount: int) -> list[dict[str, Any]]:
    """The lines of one interest charge of ``amount`` đồng from its segments, each with its exact value
    (base × rate × days, or base × rate for a month end of the monthly regime, in đồng × 10⁻⁶) and an
    amount in đồng. The charge is the exact sum rounded half up once; the lines' amounts are that sum's
    shares by largest remainder, so that they add up to the charge exactly: e.g. 105,850 × 0.03 % × 31
    = 984.405 and 200,000 × 0.03 % × 31 = 1,860 make 2,844.405 → 2,844, shown as 984 and 1,860."""
    segments = sorted(segments, key=lambda s: (str(s["month"]), s["from"], s["to"], s["regime"], s["base"]))
    exact = [s["base"] * s["rate_ppm"] * (s["days"] if s["regime"] == "daily" else 1) for s in segments]
    out = [{**s, "exact_ppm": x, "amount": x // PPM} for s, x in zip(segments, exact)]
    if not out:
        return out
    short = amount - sum(line["amount"] for line in out)
    order = sorted(range(len(out)), key=lambda i: (-(exact[i] % PPM), i))
    for n in range(abs(short)):
        out[order[n % len(out)]]["amount"] += 1 if short > 0 else -1
    return out


_LABELS = {
    "opening_principal": "A. Kỳ trước chuyển sang – số phải đóng",
    "opening_interest": "A. Kỳ trước chuyển sang – lãi chưa đóng",
    "assessed": "B. Phát sinh trong kỳ – phải đóng",
    "adjusted": "B. Điều chỉnh kỳ trước",
    "interest_charged": "B. Lãi chậm đóng phát sinh",
    "paid_principal": "C. Đã đóng trong kỳ – gốc",
    "paid_interest": "C. Đã đóng trong kỳ – lãi",
    "closing_principal": "D. Chuyển kỳ sau – số phải đóng",
    "closing_interest": "D. Chuyển kỳ sau – lãi chưa đóng",
}


def render_text(data: dict[str, Any], unit: Unit, lines: list[dict[str, Any]]) -> str:
    """A C12-TS-style table for the terminal."""
    cols = [*STATEMENT_COLUMNS, "total"]
    out = [
        "THÔNG BÁO KẾT QUẢ ĐÓNG BHXH, BHYT, BHTN (C12-TS)",
        f"Đơn vị: {unit.code} {unit.name}    Tháng: {data['period']}"
        + ("    (TẠM TÍNH: tháng chưa khóa sổ)" if data.get("provisional") else ""),
        f"Lao động: đầu kỳ {data['headcount']['opening']}, cuối kỳ {data['headcount']['closing']}",
        "",
        f"{'':44}" + "".join(f"{c:>16}" for c in ["BHXH", "BHYT", "BHTN", "TNLĐ-BNN", "Tổng"]),
    ]
    for key in KEYS:
        values = [data["funds"][c][key] if c != "total" else data["total"][key] for c in cols]
        out.append(f"{_LABELS[key]:44}" + "".join(f"{format_vnd(v):>16}" for v in values))
    c = data["credit"]
    out.append("")
    out.append(f"Số tiền thừa: đầu kỳ {format_vnd(c['opening'])}, nhận {format_vnd(c['received'])}, "
               f"đã trừ {format_vnd(c['applied'])}, cuối kỳ {format_vnd(c['closing'])}")
    if lines:
        out.append("")
        out.append("Chi tiết lãi chậm đóng (quỹ, tháng đóng, chế độ, số tiền chậm đóng, lãi suất, số ngày, từ … đến, "
                   "tiền lãi):")
        for ln in lines:
            if ln["regime"] == "correction":
                out.append(f"  {ln['fund']:6} {ln['month']}  điều chỉnh lãi tháng đã khóa sổ {format_vnd(ln['amount']):>14}")
                continue
            out.append(f"  {ln['fund']:6} {ln['month']}  {ln['regime']:7} {format_vnd(ln['base']):>14}  "
                       f"{ln['rate_ppm'] / 10_000:.4f}%  {ln['days']:>4} ngày  {ln['from']} … {ln['to']}  "
                       f"{format_vnd(ln['amount']):>12}")
    return "\n".join(out)
