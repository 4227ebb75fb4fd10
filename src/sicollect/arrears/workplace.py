"""What an officer sees beside a unit's debt on the worklist, for many units in one query.

:func:`with_facts` annotates a queryset of units (already scoped and filtered by the caller) with:

* ``interest_owed``: late interest not yet paid, in đồng, from the ledger on or before ``as_of``: the
  ``interest`` rows (charged) plus the ``payment`` rows with target ``interest`` (negative), as the
  statement's closing interest (``contributions.statement``);
* ``last_paid_on`` / ``last_paid_amount``: the unit's latest payment (``contributions_payment``) on or
  before ``as_of``;
* ``last_contact_on`` / ``last_contact_kind``: its latest contact in the follow-up log on or before ``as_of``;
* ``step_name`` / ``step_order``: the latest confirmed step (confirmed on or before ``as_of``) of the case
  open at ``as_of``;
* ``promise_amount`` / ``promise_date``: its latest promise to pay still pending.

Each is a correlated subquery of the one ``SELECT`` over the units: the cost does not grow in queries with
the number of units. The web worklist and the API read them here.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import BigIntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from sicollect.contributions.models import EntryKind, LedgerEntry, Payment, Target

from .models import CaseStep, FollowUp, PromiseStatus, StepStatus


def _interest_rows(as_of: date) -> QuerySet[Any]:
    return (LedgerEntry.objects.filter(posted_on__lte=as_of)
            .filter(Q(kind=EntryKind.INTEREST) | Q(kind=EntryKind.PAYMENT, target=Target.INTEREST)))


def interest_owed_many(unit_ids: list[int], as_of: date) -> dict[int, int]:
    """``{unit id: interest_owed}`` (as above) of ``unit_ids``, in one grouped query over the ledger: on the
    province's 7,300 debtors 0.6 s, against 3.5 s for the same sums as correlated subqueries. Units that
    owe none are absent."""
    if not unit_ids:
        return {}
    rows = (_interest_rows(as_of).filter(unit_id__in=unit_ids).order_by().values("unit_id")
            .annotate(s=Sum("amount")).values_list("unit_id", "s"))
    return {unit_id: int(s) for unit_id, s in rows if s}


def with_facts(units: QuerySet[Any], as_of: date, interest: bool = True) -> QuerySet[Any]:
    """``units`` annotated with the facts above (None where a unit has none; ``interest_owed`` 0).
    ``interest=False``: without ``interest_owed`` (the caller reads it with :func:`interest_owed_many`)."""
    if not interest:
        return _annotate(units, as_of)
    owed = (_interest_rows(as_of).filter(unit=OuterRef("pk")).order_by().values("unit")
            .annotate(s=Sum("amount")).values("s"))
    return _annotate(units.annotate(interest_owed=Coalesce(Subquery(owed, output_field=BigIntegerField()), 0,
                                                           output_field=BigIntegerField())), as_of)


def _annotate(units: QuerySet[Any], as_of: date) -> QuerySet[Any]:
    paid = Payment.objects.filter(unit=OuterRef("pk"), paid_on__lte=as_of).order_by("-paid_on", "-id")
    contact = FollowUp.objects.filter(unit=OuterRef("pk"), contacted_on__lte=as_of).order_by("-contacted_on", "-id")
    step = (CaseStep.objects.filter(case__unit=OuterRef("pk"), status=StepStatus.CONFIRMED, confirmed_on__lte=as_of,
                                    case__opened_on__lte=as_of)
            .filter(Q(case__closed_on__isnull=True) | Q(case__closed_on__gt=as_of))
            .order_by("-confirmed_on", "-step__order", "-id"))
    promise = (FollowUp.objects.filter(unit=OuterRef("pk"), promise_status=PromiseStatus.PENDING,
                                       contacted_on__lte=as_of).order_by("-contacted_on", "-id"))
    return units.annotate(
        last_paid_on=Subquery(paid.values("paid_on")[:1]),
        last_paid_amount=Subquery(paid.values("amount")[:1]),
        last_contact_on=Subquery(contact.values("contacted_on")[:1]),
        last_contact_kind=Subquery(contact.values("kind")[:1]),
        step_name=Subquery(step.values("step__name")[:1]),
        step_order=Subquery(step.values("step__order")[:1]),
        promise_amount=Subquery(promise.values("promise_amount")[:1]),
        promise_date=Subquery(promise.values("promise_date")[:1]),
    )
