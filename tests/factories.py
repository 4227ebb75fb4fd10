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
    return Payment.objects.create(payment_id=payment_id or f"P{next(_seq)}", unit=u, paid_on=paid_on, amount=amount)
