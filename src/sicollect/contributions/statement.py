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

from django.db.models import Case, Q, Sum, Value, When

from sicollect.core.money import format_vnd
from sicollect.core.months import Month
from sicollect.registry.models import Participation, Unit
from sicollect.rules.funds import STATEMENT_COLUMNS

from .assessment import headcount
from .models import EntryKind, LedgerEntry, Target
from .posting import row_of

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


_PRINCIPAL = Q(kind__in=[EntryKind.DUE, EntryKind.ADJUSTMENT]) | Q(kind=EntryKind.PAYMENT, target=Target.PRINCIPAL)
_INTEREST = Q(kind=EntryKind.INTEREST) | Q(kind=EntryKind.PAYMENT, target=Target.INTEREST)


def _sums(qs: Any, *fields: str) -> dict[tuple[Any, ...], int]:
    if "late" in fields:
        # corrections of closed months posted in this month count as adjustments
        qs = qs.annotate(late=Case(When(for_period__isnull=False, then=Value(True)), default=Value(False)))
    return {tuple(r[f] for f in fields): r["total"] for r in qs.values(*fields).annotate(total=Sum("amount"))}


def statement(unit: Unit, period: Month) -> dict[str, Any]:
    """The C12-TS figures of ``unit`` for ``period`` as a plain dict (the JSON shape)."""
    ledger = LedgerEntry.objects.filter(unit=unit)
    before = ledger.filter(period__lt=period)
    through = ledger.filter(period__lte=period)
    opening_p = _sums(before.filter(_PRINCIPAL), "fund")
    opening_i = _sums(before.filter(_INTEREST), "fund")
    closing_p = _sums(through.filter(_PRINCIPAL), "fund")
    closing_i = _sums(through.filter(_INTEREST), "fund")
    moves = _sums(ledger.filter(period=period).exclude(kind=EntryKind.CREDIT), "fund", "kind", "target", "late")
    per_fund: dict[str, FundFigures] = defaultdict(FundFigures)
    for (fund,), v in opening_p.items():
        per_fund[fund].opening_principal = v
    for (fund,), v in opening_i.items():
        per_fund[fund].opening_interest = v
    for (fund,), v in closing_p.items():
        per_fund[fund].closing_principal = v
    for (fund,), v in closing_i.items():
        per_fund[fund].closing_interest = v
    for (fund, kind, target, late), v in moves.items():
        f = per_fund[fund]
        if kind == EntryKind.DUE and not late:
            f.assessed += v
        elif kind in (EntryKind.DUE, EntryKind.ADJUSTMENT):
            f.adjusted += v
        elif kind == EntryKind.INTEREST:
            f.interest_charged += v
        elif target == Target.PRINCIPAL:
            f.paid_principal -= v
        else:
            f.paid_interest -= v
    columns: dict[str, dict[str, int]] = {}
    total = FundFigures()
    for column, funds in STATEMENT_COLUMNS.items():
        figures = FundFigures()
        for fund in funds:
            figures.add(per_fund.get(fund.value, FundFigures()))
        total.add(figures)
        columns[column] = asdict(figures)
    credit_before = before.filter(kind=EntryKind.CREDIT).aggregate(s=Sum("amount"))["s"] or 0
    credit_moves = _sums(ledger.filter(period=period, kind=EntryKind.CREDIT), "source")
    received = sum(v for (src,), v in credit_moves.items() if src != "applied")
    applied = -credit_moves.get(("applied",), 0)
    rows = [row_of(p) for p in Participation.objects.filter(unit=unit)]
    known = period.last_day
    return {
        "unit": unit.code,
        "period": str(period),
        "funds": columns,
        "total": asdict(total),
        "headcount": {
            "opening": headcount(rows, period - 1, known),  # type: ignore[arg-type]
            "closing": headcount(rows, period, known),
        },
        "credit": {
            "opening": credit_before,
            "received": received,
            "applied": applied,
            "closing": credit_before + received - applied,
        },
    }


def interest_lines(unit: Unit, period: Month) -> list[dict[str, Any]]:
    """The segments behind the month's interest charges: base, rate, days, regime."""
    lines = []
    for e in LedgerEntry.objects.filter(unit=unit, period=period, kind=EntryKind.INTEREST).order_by("fund", "id"):
        parts = e.detail.get("parts") or [e.detail]
        for part in parts:
            for seg in part.get("segments", []):
                lines.append({"fund": e.fund, **seg})
    return lines


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
        f"Đơn vị: {unit.code} {unit.name}    Tháng: {data['period']}",
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
        out.append("Chi tiết lãi chậm đóng (quỹ, tháng đóng, chế độ, căn cứ, lãi suất, số ngày):")
        for ln in lines:
            out.append(f"  {ln['fund']:6} {ln['month']}  {ln['regime']:7} {format_vnd(ln['base']):>14}  "
                       f"{ln['rate_ppm'] / 10_000:.4f}%  {ln['days']:>4} ngày  {ln['from']} … {ln['to']}")
    return "\n".join(out)
