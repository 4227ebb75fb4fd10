"""Debts at a date with the close's help: at closed month ends the close kept every unit's late debt
(:class:`~sicollect.close.models.MonthEndDebt`), so readers need not scan the ledger for those days.

:func:`debts_at` is the way to read debts at several days; it falls back on the ledger
(:func:`sicollect.contributions.debts.unit_debts_many`) for the days the close did not keep.
"""
from __future__ import annotations

from datetime import date

from sicollect.contributions.debts import Scope, UnitDebt, unit_debts_many

from .models import MonthEndDebt


def stored_debts(scope: Scope, days: list[date]) -> dict[date, list[UnitDebt]]:
    """The debts the close kept at closed month ends (close.MonthEndDebt), for those of ``days`` it kept.

    Units with late debt come one by one (their status is read now, as the ledger query does);
    the outstanding of the others comes as one line per office, ``unit_id`` 0. Two queries.
    """
    kept = set(MonthEndDebt.objects.filter(as_of__in=days).values_list("as_of", flat=True).distinct())
    if not kept:
        return {}
    qs = MonthEndDebt.objects.filter(as_of__in=kept)
    ids = scope.office_ids()
    if ids is not None:
        qs = qs.filter(office_id__in=ids)
    out: dict[date, list[UnitDebt]] = {day: [] for day in kept}
    for as_of, unit_id, status, outstanding, late, months in qs.values_list(
            "as_of", "unit_id", "unit__status", "outstanding", "late", "months_late"):
        out[as_of].append(UnitDebt(unit_id or 0, status or "", outstanding, late, months))
    return out


def debts_at(scope: Scope, days: list[date]) -> dict[date, list[UnitDebt]]:
    """Units' debts at each day: kept by the close at closed month ends, else from the ledger in one pass."""
    out = stored_debts(scope, days)
    missing = sorted({d for d in days if d not in out})
    if missing:
        out.update(unit_debts_many(scope, missing))
    return out
