"""The arrears read side every door shares: the cases a user sees, the filtered case worklist, one
unit's case, the reward check among visible units, and the day the ledger is final for.

The pages (``web.arrears``) and the API (``api.arrears``) both ask here; scope comes from
:mod:`sicollect.staff.policy` (another office's case is absent from lists and a 404 on its own).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from sicollect.contributions.models import ClosedMonth
from sicollect.staff import policy

from .ladder import top_step_code
from .models import Case, CaseStep, StepStatus


def default_as_of() -> date:
    """The last day of the last closed month: the date the ledger is final for."""
    last = ClosedMonth.objects.order_by("-month").values_list("month", flat=True).first()
    return last.last_day if last else date.today()


def visible_cases(user: Any) -> QuerySet[Case]:
    """Arrears cases of the units the user sees."""
    return Case.objects.filter(policy.unit_filter(user, "unit__"))


@dataclass
class CaseFilters:
    step: str = ""  # highest confirmed step code, "none" for none yet, "" any
    proposed: str = ""  # a proposed step code, "any", or ""
    office: Any = None
    officer: str = ""  # a user id, "none" or ""
    min_months: int = 0
    min_amount: int = 0
    q: str = ""


def filtered_cases(user: Any, f: CaseFilters) -> Any:
    """Open cases the user sees that pass the filters, largest late amount first (one query)."""
    qs = visible_cases(user).filter(closed_on__isnull=True).annotate(top=top_step_code())
    if f.office is not None:
        qs = qs.filter(unit__office_id__in=policy.scope_office_ids(user, f.office))
    if f.step == "none":
        qs = qs.filter(top__isnull=True)
    elif f.step:
        qs = qs.filter(top=f.step)
    if f.proposed:
        has = CaseStep.objects.filter(status=StepStatus.PROPOSED)
        if f.proposed != "any":
            has = has.filter(step__code=f.proposed)
        qs = qs.filter(pk__in=has.values("case_id"))
    if f.officer == "none":
        qs = qs.filter(officer__isnull=True, unit__officer__isnull=True)
    elif f.officer:
        qs = qs.filter(Q(officer_id=f.officer) | Q(officer__isnull=True, unit__officer_id=f.officer))
    if f.min_months:
        qs = qs.filter(months_late__gte=f.min_months)
    if f.min_amount:
        qs = qs.filter(late_amount__gte=f.min_amount)
    if f.q:
        qs = qs.filter(Q(unit__code__icontains=f.q) | Q(unit__name__icontains=f.q))
    return qs.select_related("unit__office", "unit__officer", "officer").order_by("-late_amount", "unit__code")


def _int(text: str | None, default: int) -> int:
    try:
        return int((text or "").replace(".", "").replace(",", "").strip() or default)
    except ValueError:
        return default


def case_of(user: Any, code: str, case_id: str | None = None) -> Case:
    """The unit's case: ``case_id`` if given, else the open one, else the last closed one; 404 outside scope."""
    qs = visible_cases(user).filter(unit__code=code).select_related("unit__office", "unit__officer", "officer")
    if case_id:
        case = qs.filter(pk=_int(case_id, -1)).first()
    else:
        case = qs.order_by("closed_on", "-opened_on").filter(closed_on__isnull=True).first() or \
            qs.order_by("-opened_on", "-pk").first()
    if case is None:
        raise Http404("no such case")
    return case


def check_visible(user: Any, keys: list[str], as_of: date) -> list[Any]:
    """The reward answer for each key among the units the user sees (others: not found)."""
    from .reward import RewardAnswer, may_confirm_reward

    units = policy.visible_units(user)
    out = []
    for key in keys:
        unit = units.filter(code=key).first() or units.filter(tax_code=key).order_by("code").first()
        out.append(may_confirm_reward(unit, as_of) if unit else RewardAnswer(key, False, "không tìm thấy đơn vị"))
    return out
