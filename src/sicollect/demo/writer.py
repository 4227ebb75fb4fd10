"""Store the demo province's batches (:func:`.generator.iter_province`) with bulk inserts.

The writer keeps only code → id maps of offices, communes and units, and the
persons of the current chunk: a 350 k-person province streams through it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from sicollect.contributions.models import Payment
from sicollect.coverage.models import (
    AgentReceipt,
    CollectionAgent,
    Household,
    HouseholdMember,
    VoluntaryEnrolment,
)
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Commune, Office, Participation, Person, Unit

from .generator import Batch

BATCH = 2_000
SOURCE = "demo"
#: ``on_rows(kind, n)``: ``n`` more rows of ``kind`` are stored.
RowsCallback = Callable[[str, int], None]


class Writer:
    """Turns generator records into model rows, resolving codes to ids as it goes."""

    def __init__(self, on_rows: RowsCallback | None = None) -> None:
        self.on_rows = on_rows or (lambda kind, n: None)
        self.counts: Counter[str] = Counter()
        self.office_id: dict[str, int] = {}
        self.commune_id: dict[str, int] = {}
        self.unit_id: dict[str, int] = {}
        self.unit_office: dict[str, int] = {}  # unit code → office id (a payment's office is its unit's)
        self.person_id: dict[str, int] = {}  # the current chunk's persons only
        self.agent_id: dict[str, int] = {}
        self.household_id: dict[str, int] = {}  # the current commune's households only

    def write(self, kind: str, records: list[Any]) -> None:
        getattr(self, f"_{kind}")(records)
        self.counts[kind] += len(records)
        self.on_rows(kind, len(records))

    def _offices(self, records: list[Any]) -> None:
        for r in records:  # ten rows, parents first
            office = Office.objects.create(code=r.code, name=r.name, parent_id=self.office_id.get(r.parent or ""),
                                           bank_account=r.bank_account, bank_bin=r.bank_bin)
            self.office_id[r.code] = office.pk

    def _communes(self, records: list[Any]) -> None:
        Commune.objects.bulk_create([
            Commune(code=r.code, name=r.name, office_id=self.office_id[r.office], population=r.population,
                    labour_force=r.labour_force) for r in records], batch_size=BATCH)
        self.commune_id.update(Commune.objects.filter(code__in=[r.code for r in records]).values_list("code", "id"))

    def _units(self, records: list[Any]) -> None:
        Unit.objects.bulk_create([
            Unit(code=r.code, name=r.name, tax_code=r.tax_code, office_id=self.office_id[r.office],
                 ownership=r.ownership, status=r.status, region=r.region, payment_cycle=r.cycle,
                 registered_on=r.registered_on, oadi_low_risk=r.low_risk, bank_account=r.bank_account)
            for r in records], batch_size=BATCH)
        self.unit_id.update(Unit.objects.values_list("code", "id"))
        self.unit_office.update((r.code, self.office_id[r.office]) for r in records)

    def _persons(self, records: list[Any]) -> None:
        objs = [Person(si_code=r.si_code, national_id=r.national_id, full_name=r.full_name,
                       birth_date=r.birth_date, sex=r.sex, commune_id=self.commune_id[r.commune]) for r in records]
        Person.objects.bulk_create(objs, batch_size=BATCH)
        if all(o.pk is not None for o in objs):  # PostgreSQL and SQLite ≥ 3.35 return the ids
            self.person_id = {o.si_code: o.pk for o in objs}
        else:
            self.person_id = dict(Person.objects.filter(si_code__in=[r.si_code for r in records])
                                  .values_list("si_code", "id"))

    def _participations(self, records: list[Any]) -> None:
        Participation.objects.bulk_create([
            Participation(person_id=self.person_id[r.si_code], unit_id=self.unit_id[r.unit],
                          from_month=r.from_month, to_month=r.to_month, wage=r.wage, si="si" in r.funds,
                          hi="hi" in r.funds, ui="ui" in r.funds, oadi="oadi" in r.funds,
                          declared_on=r.declared_on, retro_interest=r.retro_interest)
            for r in records], batch_size=BATCH)

    def _payments(self, records: list[Any]) -> None:
        Payment.objects.bulk_create([
            Payment(payment_id=r.payment_id, unit_id=self.unit_id[r.unit], office_id=self.unit_office[r.unit],
                    paid_on=r.paid_on, amount=r.amount,
                    reference=r.reference, channel=r.channel, source=SOURCE)
            for r in records], batch_size=BATCH)

    def _plans(self, records: list[Any]) -> None:
        PlanTarget.objects.bulk_create([
            PlanTarget(year=r.year, office_id=self.office_id[r.office], indicator=r.indicator, value=r.value)
            for r in records], batch_size=BATCH)

    # --- people outside employers (demo/coverage.py): a commune at a time, its persons first ----------------
    def _agents(self, records: list[Any]) -> None:
        CollectionAgent.objects.bulk_create([
            CollectionAgent(code=r.code, name=r.name, kind=r.kind, office_id=self.office_id[r.office],
                            commune_id=self.commune_id[r.commune] if r.commune else None,
                            commission_ppm=r.commission_ppm) for r in records], batch_size=BATCH)
        self.agent_id = dict(CollectionAgent.objects.values_list("code", "id"))

    def _residents(self, records: list[Any]) -> None:
        self._persons(records)

    def _voluntary(self, records: list[Any]) -> None:
        VoluntaryEnrolment.objects.bulk_create([
            VoluntaryEnrolment(person_id=self.person_id[r.si_code], office_id=self.office_id[r.office],
                               income=r.income, mode=r.mode, category=r.category, from_month=r.from_month,
                               to_month=r.to_month) for r in records], batch_size=BATCH)

    def _households(self, records: list[Any]) -> None:
        objs = [Household(code=r.code, head_name=r.head_name, commune_id=self.commune_id[r.commune],
                          office_id=self.office_id[r.office]) for r in records]
        Household.objects.bulk_create(objs, batch_size=BATCH)
        if all(o.pk is not None for o in objs):
            self.household_id = {o.code: o.pk for o in objs}
        else:
            self.household_id = dict(Household.objects.filter(code__in=[r.code for r in records])
                                     .values_list("code", "id"))

    def _members(self, records: list[Any]) -> None:
        HouseholdMember.objects.bulk_create([
            HouseholdMember(household_id=self.household_id[r.household], person_id=self.person_id[r.si_code],
                            group=r.group, support_ppm=r.support_ppm, from_month=r.from_month, to_month=r.to_month,
                            card_valid_from=r.card_valid_from, card_valid_to=r.card_valid_to)
            for r in records], batch_size=BATCH)

    def _receipts(self, records: list[Any]) -> None:
        AgentReceipt.objects.bulk_create([
            AgentReceipt(agent_id=self.agent_id[r.agent], receipt_no=r.receipt_no, person_id=self.person_id[r.si_code],
                         product=r.product, received_on=r.received_on, from_month=r.from_month, months=r.months,
                         amount=r.amount, remitted_on=r.remitted_on) for r in records], batch_size=BATCH)


def write(batches: Iterable[Batch], on_rows: RowsCallback | None = None) -> dict[str, int]:
    """Store every batch in one transaction; return the number of rows per kind."""
    writer = Writer(on_rows)
    with transaction.atomic():
        for kind, records in batches:
            writer.write(kind, records)
        analyze()
    return dict(writer.counts)


#: The tables the demo fills, whose statistics PostgreSQL's planner needs right after the load.
FILLED = ("registry_commune", "registry_unit", "registry_person", "registry_participation", "contributions_payment",
          "plans_plantarget", "coverage_collectionagent", "coverage_voluntaryenrolment", "coverage_household",
          "coverage_householdmember", "coverage_agentreceipt")


def analyze() -> None:
    """PostgreSQL: ANALYZE the tables just filled (allowed inside the transaction, which sees its rows), so
    the first reports plan with their real sizes rather than the empty tables' (SQLite: nothing to do)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {', '.join(FILLED)}")


# --- many provinces, straight to PostgreSQL with COPY ----------------------------------------------------
class CopyWriter(Writer):
    """The same rows, written with PostgreSQL's COPY (psycopg ``cursor.copy``) instead of INSERTs.

    Ids are given here (from the table's current maximum) so that no row has to be read back; the
    sequences are moved past them by :func:`reset_sequences`. ``prefix`` makes one province's codes
    distinct from the others' when many are generated into one database (``--scale region|national``):
    office, commune and unit codes, SI numbers and payment ids get it in front.
    """

    def __init__(self, on_rows: RowsCallback | None = None, prefix: str = "") -> None:
        super().__init__(on_rows)
        self.prefix = prefix
        self.next_id: dict[Any, int] = {}

    def _ids(self, model: Any, n: int) -> int:
        from django.db import connection

        if model not in self.next_id:
            with connection.cursor() as cur:
                cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
                self.next_id[model] = cur.fetchone()[0] + 1
        first = self.next_id[model]
        self.next_id[model] += n
        return first

    def copy(self, model: Any, objs: list[Any]) -> None:
        """COPY ``objs`` (unsaved model instances: Django's defaults applied) into ``model``'s table."""
        from django.db import connection

        if not objs:
            return
        fields = model._meta.concrete_fields
        first = self._ids(model, len(objs))
        for i, obj in enumerate(objs):
            obj.pk = first + i
        cols = ", ".join(f'"{f.column}"' for f in fields)
        with connection.cursor() as cur, cur.cursor.copy(f"COPY {model._meta.db_table} ({cols}) FROM STDIN") as cp:
            for obj in objs:
                cp.write_row([f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields])

    def p(self, code: str | None) -> str | None:
        return f"{self.prefix}{code}" if code else code

    def _offices(self, records: list[Any]) -> None:
        for r in records:
            office = Office.objects.create(code=self.p(r.code), name=r.name, parent_id=self.office_id.get(r.parent or ""),
                                           bank_account=r.bank_account, bank_bin=r.bank_bin)
            self.office_id[r.code] = office.pk

    def _communes(self, records: list[Any]) -> None:
        objs = [Commune(code=self.p(r.code), name=r.name, office_id=self.office_id[r.office], population=r.population,
                        labour_force=r.labour_force) for r in records]
        self.copy(Commune, objs)
        self.commune_id.update((r.code, o.pk) for r, o in zip(records, objs, strict=True))

    def _units(self, records: list[Any]) -> None:
        objs = [Unit(code=self.p(r.code), name=r.name, tax_code=r.tax_code, office_id=self.office_id[r.office],
                     ownership=r.ownership, status=r.status, region=r.region, payment_cycle=r.cycle,
                     registered_on=r.registered_on, oadi_low_risk=r.low_risk, bank_account=r.bank_account)
                for r in records]
        self.copy(Unit, objs)
        self.unit_id.update((r.code, o.pk) for r, o in zip(records, objs, strict=True))
        self.unit_office.update((r.code, self.office_id[r.office]) for r in records)

    def _persons(self, records: list[Any]) -> None:
        objs = [Person(si_code=self.p(r.si_code), national_id=r.national_id, full_name=r.full_name,
                       birth_date=r.birth_date, sex=r.sex, commune_id=self.commune_id[r.commune]) for r in records]
        self.copy(Person, objs)
        self.person_id = {r.si_code: o.pk for r, o in zip(records, objs, strict=True)}

    def _participations(self, records: list[Any]) -> None:
        self.copy(Participation, [
            Participation(person_id=self.person_id[r.si_code], unit_id=self.unit_id[r.unit],
                          from_month=r.from_month, to_month=r.to_month, wage=r.wage, si="si" in r.funds,
                          hi="hi" in r.funds, ui="ui" in r.funds, oadi="oadi" in r.funds,
                          declared_on=r.declared_on, retro_interest=r.retro_interest)
            for r in records])

    def _payments(self, records: list[Any]) -> None:
        self.copy(Payment, [
            Payment(payment_id=self.p(r.payment_id), unit_id=self.unit_id[r.unit],
                    office_id=self.unit_office[r.unit], paid_on=r.paid_on, amount=r.amount,
                    reference=r.reference, channel=r.channel, source=SOURCE)
            for r in records])

    def _plans(self, records: list[Any]) -> None:
        PlanTarget.objects.bulk_create([
            PlanTarget(year=r.year, office_id=self.office_id[r.office], indicator=r.indicator, value=r.value)
            for r in records], batch_size=BATCH)


def reset_sequences() -> None:
    """Move the id sequences of the tables written with COPY past the ids given there."""
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Commune, Unit, Person, Participation, Payment]):
            cur.execute(sql)


def write_copy(batches: Iterable[Batch], prefix: str, on_rows: RowsCallback | None = None) -> dict[str, int]:
    """One province with COPY (PostgreSQL), in its own transaction; return the rows per kind."""
    writer = CopyWriter(on_rows, prefix=prefix)
    with transaction.atomic():
        for kind, records in batches:
            writer.write(kind, records)
        reset_sequences()
    return dict(writer.counts)
