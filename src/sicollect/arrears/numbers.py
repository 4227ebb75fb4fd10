"""The enforcement figures the provincial reports give (the articles in ../shared/context):
notices sent, units urged (debts of 2 months or more), working groups (province /
grassroots) and their visits, commitments, disclosures, open cases by step.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count

from . import commitments, groups
from .ladder import cases_by_step
from .models import CaseStep, Disclosure, Notice, StepStatus


def enforcement_numbers(first: date, last: date) -> dict[str, Any]:
    notices = Notice.objects.filter(issued_on__gte=first, issued_on__lte=last)
    by_step = {r["case_step__step__code"]: r["n"]
               for r in notices.values("case_step__step__code").annotate(n=Count("id")).order_by()}
    urged = CaseStep.objects.filter(step__code="URGING", status=StepStatus.CONFIRMED,
                                    confirmed_on__gte=first, confirmed_on__lte=last)
    return {
        "from": first.isoformat(), "to": last.isoformat(),
        "notices_sent": notices.count(),
        "units_noticed": notices.values("unit_id").distinct().count(),
        "notices_by_step": by_step,
        "units_urged": urged.values("case__unit_id").distinct().count(),
        **groups.summary(first, last),
        "commitments": commitments.summary(first, last),
        "disclosed_units": Disclosure.objects.filter(published_on__gte=first, published_on__lte=last)
        .values("unit_id").distinct().count(),
        "open_cases_by_step": cases_by_step(),
        "recovered_after_step": recovered_after_step(first, last),
    }


RECOVERED_SQL = """
SELECT t.code, SUM(t.amount), COUNT(DISTINCT t.unit_id) FROM (
  SELECT l.code, p.amount, p.unit_id,
         ROW_NUMBER() OVER (PARTITION BY p.id ORDER BY s.confirmed_on DESC, l."order" DESC) AS rn
  FROM contributions_payment p
  JOIN arrears_case c ON c.unit_id = p.unit_id AND c.opened_on <= p.paid_on
                     AND (c.closed_on IS NULL OR p.paid_on <= c.closed_on)
  JOIN arrears_casestep s ON s.case_id = c.id AND s.status = 'confirmed' AND s.confirmed_on < p.paid_on
  JOIN arrears_ladderstep l ON l.id = s.step_id
  WHERE p.paid_on >= %s AND p.paid_on <= %s
) t WHERE t.rn = 1
GROUP BY t.code
"""


def recovered_after_step(first: date, last: date) -> dict[str, dict[str, int]]:
    """Money received ``first`` … ``last`` from units with an open case, each payment credited to the
    last step confirmed before it (so no payment counts twice)."""
    with connection.cursor() as cur:
        cur.execute(RECOVERED_SQL, [first.isoformat(), last.isoformat()])
        return {code: {"amount": int(total), "units": int(units)} for code, total, units in cur.fetchall()}
