"""What each node of the plan tree actually achieved, from the system's own rows, set-based.

* ``revenue`` over ``first … last``: the units' payments (``contributions.Payment``, the same money
  the KPI report and the dashboard count) grouped by the unit's office, by the unit's collection
  officer, or for the province; for a collection point, the receipts it took
  (``coverage.AgentReceipt``). One aggregate query per call.
* ``stocks`` at a date: persons covered by scheme (``coverage.counts``: declarations in force,
  voluntary enrolments, household HI lists), grouped by the same key. One query.
* ``late_debt`` at a date: interest-bearing principal (the KPI report's definition, kept by the close
  at month ends, else one pass over the ledger) summed by the unit's office or officer.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Sum

from sicollect.close.debts import debts_at
from sicollect.contributions.debts import Scope
from sicollect.contributions.models import Payment
from sicollect.coverage import counts
from sicollect.coverage.models import AgentReceipt, CollectionAgent
from sicollect.registry.models import Commune, Unit

from .models import Level

_BY = {Level.PROVINCE: "province", Level.OFFICE: "office", Level.OFFICER: "officer", Level.POINT: "point"}


def revenue(level: str, first: date, last: date, office_ids: Iterable[int] | None = None) -> dict[int, int]:
    """``{node id: đồng}`` received ``first`` … ``last`` (inclusive)."""
    if level == Level.POINT:
        qs = AgentReceipt.objects.filter(received_on__gte=first, received_on__lte=last)
        if office_ids is not None:
            qs = qs.filter(agent__office_id__in=list(office_ids))
        return {k: int(v) for k, v in qs.values("agent_id").annotate(s=Sum("amount")).values_list("agent_id", "s")}
    qs = Payment.objects.filter(paid_on__gte=first, paid_on__lte=last)
    if office_ids is not None:
        qs = qs.filter(unit__office_id__in=list(office_ids))
    if level == Level.PROVINCE:
        return {0: int(qs.aggregate(s=Sum("amount"))["s"] or 0)}
    field = "unit__office_id" if level == Level.OFFICE else "unit__officer_id"
    return {k: int(v) for k, v in qs.values(field).annotate(s=Sum("amount")).values_list(field, "s")
            if k is not None}


def stocks(level: str, as_of: date, office_ids: Iterable[int] | None = None) -> dict[int, dict[str, int]]:
    """``{node id: {scheme: persons}}`` covered in the month of ``as_of`` (see ``coverage.counts``)."""
    return counts.counts_by(_BY[level], as_of, office_ids)


def late_debt(level: str, as_of: date, office_ids: Iterable[int] | None = None) -> dict[int, int]:
    """``{node id: interest-bearing principal}`` at ``as_of`` (offices, officers, the province)."""
    if level == Level.POINT:
        return {}
    debts = [d for d in debts_at(Scope(None), [as_of])[as_of] if d.late > 0]
    ids = {d.unit_id for d in debts}
    field = {Level.OFFICE: "office_id", Level.OFFICER: "officer_id", Level.PROVINCE: "office_id"}[level]
    owner = dict(Unit.objects.filter(pk__in=ids).values_list("pk", field)) if ids else {}
    allowed = set(Unit.objects.filter(office_id__in=list(office_ids)).values_list("pk", flat=True)) \
        if office_ids is not None else None
    out: dict[int, int] = {}
    for d in debts:
        if allowed is not None and d.unit_id not in allowed:
            continue
        key = 0 if level == Level.PROVINCE else owner.get(d.unit_id)
        if key is not None:
            out[key] = out.get(key, 0) + d.late
    return out


def area_figures(level: str, ids: list[int]) -> dict[int, dict[str, int]]:
    """Population and labour force of the communes an office serves, or of a point's commune."""
    out: dict[int, dict[str, int]] = {}
    if level == Level.OFFICE:
        rows = (Commune.objects.filter(office_id__in=ids).values("office_id")
                .annotate(p=Sum("population"), l=Sum("labour_force")).values_list("office_id", "p", "l"))
    elif level == Level.POINT:
        rows = [(a, p, lab) for a, p, lab in CollectionAgent.objects.filter(pk__in=ids, commune__isnull=False)
                .values_list("pk", "commune__population", "commune__labour_force")]
    else:
        return out
    for pk, pop, lab in rows:
        out[pk] = {"population": int(pop or 0), "labour_force": int(lab or 0)}
    return out
