"""Store a generated :class:`~.generator.Province` with bulk inserts."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import models, transaction

from sicollect.contributions.models import Payment
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Commune, Office, Participation, Person, Unit

from .generator import Province

BATCH = 5_000
M = TypeVar("M", bound=models.Model)


def _bulk(model: type[M], items: Sequence[Any], make: Callable[[Any], M], progress: Callable[[str, int], None]) -> None:
    for start in range(0, len(items), BATCH):
        model.objects.bulk_create([make(x) for x in items[start : start + BATCH]], batch_size=BATCH)
        progress(model.__name__, min(BATCH, len(items) - start))


def write(p: Province, progress: Callable[[str, int], None] = lambda name, n: None) -> dict[str, int]:
    with transaction.atomic():
        offices: dict[str, Office] = {}
        for code, name, parent, account in p.offices:
            offices[code] = Office.objects.create(code=code, name=name, parent=offices.get(parent or ""),
                                                  bank_account=account, bank_bin="970418")
        Commune.objects.bulk_create([Commune(code=c, name=n, office=offices[o], population=pop, labour_force=lab)
                                     for c, n, o, pop, lab in p.communes])
        commune_id = dict(Commune.objects.values_list("code", "id"))
        _bulk(Unit, p.units, lambda u: Unit(
            code=u.code, name=u.name, tax_code=u.tax_code, office=offices[u.office], ownership=u.ownership,
            status=u.status, region=u.region, payment_cycle=u.cycle, registered_on=u.registered_on,
            oadi_low_risk=u.low_risk), progress)
        unit_id = dict(Unit.objects.values_list("code", "id"))
        _bulk(Person, p.persons, lambda x: Person(
            si_code=x.si_code, national_id=x.national_id, full_name=x.full_name, birth_date=x.birth_date,
            sex=x.sex, commune_id=commune_id[x.commune]), progress)
        person_id = dict(Person.objects.values_list("si_code", "id"))
        _bulk(Participation, p.participations, lambda r: Participation(
            person_id=person_id[r.si_code], unit_id=unit_id[r.unit], from_month=r.from_month, to_month=r.to_month,
            wage=r.wage, si="si" in r.funds, hi="hi" in r.funds, ui="ui" in r.funds, oadi="oadi" in r.funds,
            declared_on=r.declared_on, retro_interest=r.retro_interest), progress)
        _bulk(Payment, p.payments, lambda x: Payment(
            payment_id=x.payment_id, unit_id=unit_id[x.unit], paid_on=x.paid_on, amount=x.amount,
            reference=x.reference, channel=x.channel, source="demo"), progress)
        PlanTarget.objects.bulk_create([PlanTarget(year=y, office=offices[o], indicator=i, value=v)
                                        for y, o, i, v in p.plans])
    return {"offices": len(p.offices), "communes": len(p.communes), "units": len(p.units),
            "persons": len(p.persons), "participations": len(p.participations), "payments": len(p.payments)}


