"""Installment commitments: a schedule of amounts and dates; a broken one re-escalates the case.

A commitment is kept line by line when the unit's payments received from the
signing day (inclusive) reach, by each due date, the sum of the lines due by
then. :func:`check_commitments` checks every active commitment with one
aggregate of payments: behind schedule → ``broken`` (the case's waiting periods
are waived from that day, so the next ``propose`` escalates at once); every line
due and paid → ``kept``. While a commitment is active the ladder holds the case.

Example: signed 1 Nov 2025 for 450,000 by 30 Nov and 450,000 by 31 Dec. Paid
450,000 on 20 Nov: on 30 Nov the commitment is on schedule; with nothing more,
on 31 Dec it is broken (450,000 of 900,000 due).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Sum

from sicollect.contributions.models import Payment

from .models import Case, CaseEvent, Commitment, CommitmentStatus


def do_commit(case: Case, signed_on: date, schedule: list[tuple[date, int]], actor: str = "") -> Commitment:
    if not schedule or any(a <= 0 for _, a in schedule):
        raise ValueError("a commitment needs lines with positive amounts")
    lines = [{"due_on": d.isoformat(), "amount": int(a)} for d, a in sorted(schedule)]
    with transaction.atomic():
        Commitment.objects.filter(case=case, status=CommitmentStatus.ACTIVE).update(
            status=CommitmentStatus.BROKEN, ended_on=signed_on)  # a new schedule replaces the old one
        c = Commitment.objects.create(case=case, signed_on=signed_on, schedule=lines)
        CaseEvent.objects.create(case=case, on=signed_on, kind="commitment", actor=actor,
                                 data={"schedule": lines, "total": sum(x["amount"] for x in lines)})
    return c


def due_by(c: Commitment, as_of: date) -> int:
    return sum(int(x["amount"]) for x in c.schedule if date.fromisoformat(x["due_on"]) <= as_of)


def check_commitments(as_of: date) -> dict[str, int]:
    out = {"active": 0, "kept": 0, "broken": 0}
    with transaction.atomic():
        active = list(Commitment.objects.select_related("case").filter(status=CommitmentStatus.ACTIVE,
                                                                        signed_on__lte=as_of))
        if not active:
            return out
        first = min(c.signed_on for c in active)
        paid: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for unit_id, day, total in (Payment.objects.filter(unit_id__in={c.case.unit_id for c in active},
                                                           paid_on__gte=first, paid_on__lte=as_of)
                                    .values_list("unit_id", "paid_on").annotate(t=Sum("amount")).order_by()):
            paid[unit_id].append((day, int(total)))
        for c in active:
            got = sum(a for d, a in paid[c.case.unit_id] if d >= c.signed_on)
            last = max(date.fromisoformat(x["due_on"]) for x in c.schedule)
            if got < due_by(c, as_of):
                c.status, c.ended_on = CommitmentStatus.BROKEN, as_of
                c.case.escalate_from = as_of
                c.case.save(update_fields=["escalate_from"])
                CaseEvent.objects.create(case=c.case, on=as_of, kind="commitment_broken",
                                         data={"due": due_by(c, as_of), "paid": got})
            elif last <= as_of:
                c.status, c.ended_on = CommitmentStatus.KEPT, as_of
                CaseEvent.objects.create(case=c.case, on=as_of, kind="commitment_kept", data={"paid": got})
            else:
                out["active"] += 1
                continue
            c.save(update_fields=["status", "ended_on"])
            out[c.status] += 1
    return out


def summary(first: date, last: date, office_ids: Any = None) -> dict[str, Any]:
    qs = Commitment.objects.filter(signed_on__gte=first, signed_on__lte=last)
    if office_ids is not None:
        qs = qs.filter(case__unit__office_id__in=list(office_ids))
    return {"signed": qs.count(), "kept": qs.filter(status=CommitmentStatus.KEPT).count(),
            "broken": qs.filter(status=CommitmentStatus.BROKEN).count(),
            "active": qs.filter(status=CommitmentStatus.ACTIVE).count()}
