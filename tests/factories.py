"""Small builders for tests: data is made in code, next to the numbers it explains."""
from __future__ import annotations

from datetime import date
from itertools import count

from sicollect.contributions.models import Payment
from sicollect.core.months import Month
from sicollect.registry.models import Office, Participation, Person, Unit

_seq = count(1)


def office(code: str = "QN") -> Office:
    return Office.objects.get_or_create(code=code, defaults={"name": f"BHXH {code}"})[0]


def unit(code: str = "TA0001", region: int = 1, cycle: int = 1, **kw: object) -> Unit:
    return Unit.objects.create(
        code=code, name=f"Công ty {code}", office=kw.pop("office", None) or office(), region=region,
        payment_cycle=cycle, registered_on=date(2020, 1, 1), **kw,
    )


def person(si_code: str | None = None) -> Person:
    n = next(_seq)
    return Person.objects.create(si_code=si_code or f"31{n:08d}", full_name=f"Người {n}", sex="F")


def participation(u: Unit, p: Person, first: str, last: str | None, wage: int, funds: str = "SI+HI+UI+OADI",
                  declared_on: date | None = None, retro_interest: bool = False) -> Participation:
    flags = {f.lower(): True for f in funds.split("+")}
    return Participation.objects.create(
        unit=u, person=p, from_month=Month.parse(first), to_month=Month.parse(last) if last else None, wage=wage,
        si=flags.get("si", False), hi=flags.get("hi", False), ui=flags.get("ui", False), oadi=flags.get("oadi", False),
        declared_on=declared_on, retro_interest=retro_interest,
    )


def payment(u: Unit, paid_on: date, amount: int, payment_id: str | None = None) -> Payment:
    return Payment.objects.create(payment_id=payment_id or f"P{next(_seq)}", unit=u, office_id=u.office_id,
                                  paid_on=paid_on, amount=amount)


def worked_units() -> None:
    """The worked cases of test_calculator in one province, for the close's engine comparisons:
    A1 a retroactive raise 10 → 12 M (HI 4.5 %) declared 15 Oct with retro interest: October interest 2,484;
    A2 a late decrease to 0 on 5 Sep, paid 3.2 M + 0.8 M, returned to credit;
    A3 an overpayment (1,000,000 for 450,000 of HI): 550,000 credit that pays August and September;
    A4 quarterly, region IV; A5 OADI low risk, a debt across 1 Jul 2025 (monthly → daily interest)."""
    raised = unit("A1")
    p = person()
    participation(raised, p, "2025-07", None, 10_000_000, "HI")
    participation(raised, p, "2025-07", None, 12_000_000, "HI", declared_on=date(2025, 10, 15), retro_interest=True)
    for m in (7, 8, 9):
        payment(raised, date(2025, m, 20), 450_000)
    left = unit("A2")
    q = person()
    participation(left, q, "2025-07", None, 10_000_000, "SI+HI+UI+OADI")
    participation(left, q, "2025-07", None, 0, "SI+HI+UI+OADI", declared_on=date(2025, 9, 5))
    payment(left, date(2025, 7, 20), 3_200_000)
    payment(left, date(2025, 8, 20), 800_000)
    over = unit("A3")
    participation(over, person(), "2025-07", None, 10_000_000, "HI")
    payment(over, date(2025, 7, 10), 1_000_000)
    quarterly = unit("A4", cycle=3, region=4)
    participation(quarterly, person(), "2025-01", None, 3_000_000, "SI+HI+UI+OADI")
    payment(quarterly, date(2025, 5, 3), 2_000_000)
    straddle = unit("A5", oadi_low_risk=True)
    participation(straddle, person(), "2025-05", "2025-05", 10_000_000, "HI+OADI")
    payment(straddle, date(2025, 8, 11), 458_535)
