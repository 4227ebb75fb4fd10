"""The reward veto: units that pay late get no state rewards or honours (Law 41/2024 Art. 40–41).

``may_confirm_reward(unit, as_of)`` answers (False, reason) when on ``as_of`` the
unit has late (interest-bearing) debt, or had an evasion finding in the year:
a written urging (the ladder's URGING step, the legal precondition of evasion,
RULES.md §3) confirmed in the year while the debt stayed unpaid after it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, Q

from sicollect.core.money import format_vnd
from sicollect.registry.models import Unit

from .cases import debts
from .models import CaseStep, StepStatus


@dataclass(frozen=True)
class RewardAnswer:
    unit: str
    may_confirm: bool
    reason: str

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield self.may_confirm
        yield self.reason


def may_confirm_reward(unit: Unit, as_of: date) -> RewardAnswer:
    d = debts(as_of, unit_ids=[unit.pk]).get(unit.pk)
    if d is not None and d.late > 0:
        return RewardAnswer(unit.code, False,
                            f"còn nợ chậm đóng {format_vnd(d.late)} đồng, {d.months_late(as_of)} tháng, "
                            f"đến ngày {as_of:%d/%m/%Y}")
    urged = (CaseStep.objects.filter(case__unit=unit, step__code="URGING", status=StepStatus.CONFIRMED,
                                     confirmed_on__year=as_of.year, confirmed_on__lte=as_of)
             .filter(Q(case__closed_on__isnull=True) | Q(case__closed_on__gt=F("confirmed_on")))
             .order_by("confirmed_on").first())
    if urged is not None:
        return RewardAnswer(unit.code, False,
                            f"trốn đóng: đã có văn bản đôn đốc ngày {urged.confirmed_on:%d/%m/%Y} "
                            f"mà vẫn chưa đóng (năm {as_of.year})")
    return RewardAnswer(unit.code, True, "không nợ chậm đóng, không có hành vi trốn đóng trong năm")


def find_unit(key: str) -> Unit | None:
    """A unit by its code or tax code."""
    key = key.strip()
    return Unit.objects.filter(code=key).first() or Unit.objects.filter(tax_code=key).order_by("code").first()


def check_many(keys: list[str], as_of: date) -> list[RewardAnswer]:
    out = []
    for key in keys:
        unit = find_unit(key)
        out.append(may_confirm_reward(unit, as_of) if unit else RewardAnswer(key, False, "không tìm thấy đơn vị"))
    return out
