"""``sicollect demo --scale national``: the column-wise generator (demo/national.py) and its COPY writer.

The generator's dues are checked unit by unit against the reference calculator (the row-wise demo's
``unit_dues`` on the same rows); the database run (PostgreSQL: COPY) at 2 provinces × 50 units checks the
counts, that a second run of the same seed writes the same rows, that every index and foreign key dropped
for the load is back, and that the close on those rows books exactly those dues.
"""
from __future__ import annotations

import random
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum

from sicollect.close import service
from sicollect.close.sql import close_engine
from sicollect.contributions.models import LedgerEntry, Payment
from sicollect.core.months import Month
from sicollect.demo import generator as g
from sicollect.demo import national as nat
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Commune, Office, Participation, Person, Unit
from sicollect.rules.book import default_rulebook


def _province(seed: int, i: int, units: int = 50) -> nat.ProvinceData:
    communes = g._communes(random.Random(seed * 1000 + i), g.SCALES["province400"])
    return nat.generate_province(seed, i, nat.Rules.of(default_rulebook()), communes, units=units,
                                 prefix=f"P{i:02d}", created_at="2026-01-01T00:00:00+00:00")


def test_dues_of_every_unit_equal_the_reference_calculator() -> None:
    """What each unit owes, by the month it arises in (dues, and the adjustments late registrations and
    retroactive raises make to earlier months), is computed column-wise for all units at once; the row-wise
    demo's ``unit_dues`` (the reference ``assess``, per unit × month × fund) on the same rows gives the
    same amounts to the đồng, month by month, for every one of 120 units."""
    book = default_rulebook()
    d = _province(7, 1, units=120)
    assert d.units.num_rows == 120 and d.persons.num_rows == 120 * nat.PERSONS_PER_UNIT
    late = d.participations.filter(d.participations["declared_on"].is_valid()).num_rows
    assert late > 0  # the sample has late declarations, so adjustments are compared too
    rows: dict[int, list[g.PartRec]] = defaultdict(list)
    for p in d.participations.to_pylist():
        rows[p["unit_idx"]].append(g.PartRec(
            str(p["person_idx"]), "u", Month.of(p["from_month"]), p["to_month"] and Month.of(p["to_month"]), p["wage"],
            frozenset(f for f in ("si", "hi", "ui", "oadi") if p[f]), p["declared_on"], p["retro_interest"]))
    adjusted = 0
    for k, u in enumerate(d.units.to_pylist()):
        rec = g.UnitRec("u", "", "", "", u["ownership"], u["status"], u["region"], u["payment_cycle"],
                        u["registered_on"], u["oadi_low_risk"], "", 0, "", None, None)
        items = g.unit_dues(rec, g.rows_of(rows[k])["u"], book)
        by_arising = [0] * nat.MONTHS
        for item in items:
            by_arising[item.arising.index - nat.FIRST.index] += item.amount
            adjusted += item.arising != item.month
        assert by_arising == d.arising[k].tolist(), u["code"]
    assert adjusted > 0


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    a, b, c = _province(3, 1), _province(3, 1), _province(4, 1)
    for name in ("units", "persons", "participations", "payments"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert not a.participations.equals(c.participations)


def test_shape_of_a_national_province() -> None:
    """One province at the national shape's proportions (1,000 units here): the statuses dealt exactly as the
    province demo's, ~40 persons a unit, most wages above the regional floor, payments by bank mostly, late
    declarations ~3 % of persons, 12 months of data."""
    d = _province(1, 1, units=1_000)
    status = d.units.column("status").to_pylist()
    assert {s: status.count(s) for s in set(status)} == {"active": 915, "suspended": 25, "missing": 12,
                                                          "dissolving": 18, "dissolved": 20, "bankrupt": 10}
    assert d.persons.num_rows == 40_000
    parts = d.participations
    assert 1.05 < parts.num_rows / d.persons.num_rows < 1.2
    froms = parts.column("from_month").to_pylist()
    assert min(froms) == nat.FIRST.first_day and max(froms) <= nat.LAST.first_day
    assert 0.01 < parts.filter(parts["declared_on"].is_valid()).num_rows / d.persons.num_rows < 0.05
    channels = d.payments.column("channel").to_pylist()
    assert channels.count("bank") / len(channels) > 0.85
    assert max(d.payments.column("paid_on").to_pylist()) <= nat.AS_OF
    assert all(0.0 < r < 0.05 for r in d.late_ratio.values())


def _checksums() -> dict[str, str]:
    """md5 of each table's content, ids left out (a second run gives other ids)."""
    sql = {
        "units": "SELECT md5(string_agg(concat_ws('|', u.code, u.name, u.tax_code, o.code, u.ownership, u.status, "
                 "u.region, u.payment_cycle, u.registered_on, u.oadi_low_risk, u.bank_account), ',' ORDER BY u.code)) "
                 "FROM registry_unit u JOIN registry_office o ON o.id = u.office_id",
        "persons": "SELECT md5(string_agg(concat_ws('|', p.si_code, p.national_id, p.full_name, p.birth_date, p.sex, "
                   "c.code), ',' ORDER BY p.si_code)) FROM registry_person p JOIN registry_commune c ON c.id = p.commune_id",
        "participations": "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT concat_ws('|', p.si_code, u.code, "
                          "r.from_month, r.to_month, r.wage, r.si, r.hi, r.ui, r.oadi, r.declared_on, r.retro_interest) x "
                          "FROM registry_participation r JOIN registry_person p ON p.id = r.person_id "
                          "JOIN registry_unit u ON u.id = r.unit_id) t",
        "payments": "SELECT md5(string_agg(concat_ws('|', y.payment_id, u.code, o.code, y.paid_on, y.amount, y.reference, "
                    "y.channel, y.source), ',' ORDER BY y.payment_id)) FROM contributions_payment y "
                    "JOIN registry_unit u ON u.id = y.unit_id JOIN registry_office o ON o.id = y.office_id",
        "plans": "SELECT md5(string_agg(concat_ws('|', p.year, o.code, p.indicator, p.value), ',' ORDER BY o.code, "
                 "p.indicator)) FROM plans_plantarget p JOIN registry_office o ON o.id = p.office_id",
    }
    with connection.cursor() as cur:
        out = {}
        for name, query in sql.items():
            cur.execute(query)
            out[name] = cur.fetchone()[0]
    return out


def _schema() -> set[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute("SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(nat.BULK_TABLES)])
        indexes = set(cur.fetchall())
        cur.execute("SELECT conrelid::regclass::text, pg_get_constraintdef(oid) || convalidated::text FROM pg_constraint "
                    "WHERE conrelid::regclass::text = ANY(%s)", [list(nat.BULK_TABLES)])
        return indexes | set(cur.fetchall())


@pytest.mark.django_db
def test_national_scale_on_postgresql_counts_determinism_and_the_close() -> None:
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="COPY"):
            call_command("demo", scale="national", provinces=2, units=50, verbosity=0)
        pytest.skip("the national scale writes with PostgreSQL's COPY (checked in the PostgreSQL pass)")
    schema = _schema()
    call_command("demo", scale="national", provinces=2, units=50, verbosity=0)
    assert _schema() == schema  # every index, unique constraint and foreign key dropped for the load is back
    want = [_province(1, 1), _province(1, 2)]
    assert Unit.objects.count() == 100 and Person.objects.count() == 4_000
    assert Office.objects.filter(parent=None).count() == 2
    assert Participation.objects.count() == sum(w.participations.num_rows for w in want)
    assert Payment.objects.count() == sum(w.payments.num_rows for w in want)
    assert (Payment.objects.aggregate(s=Sum("amount"))["s"]
            == sum(sum(w.payments.column("amount").to_pylist()) for w in want))
    with connection.cursor() as cur:  # ids given by the writer: a participation's person and unit are of one province
        cur.execute("SELECT COUNT(*) FROM registry_participation r JOIN registry_person p ON p.id = r.person_id "
                    "JOIN registry_unit u ON u.id = r.unit_id WHERE left(p.si_code, 3) <> left(u.code, 3)")
        assert cur.fetchone()[0] == 0
    first = _checksums()
    assert all(first.values())

    # the same seed again, into the emptied tables: the same rows (other ids)
    for model in (PlanTarget, Payment, Participation, Person, Unit, Commune):
        model.objects.all().delete()
    Office.objects.exclude(parent=None).delete()
    Office.objects.all().delete()
    call_command("demo", scale="national", provinces=2, units=50, verbosity=0)
    assert _checksums() == first

    # the close books exactly the dues the generator computed (dues and adjustments, to the đồng)
    service.close(nat.LAST, engine=close_engine, progress=False)
    booked = LedgerEntry.objects.filter(kind__in=["due", "adjustment"]).aggregate(s=Sum("amount"))["s"]
    assert booked == sum(int(w.arising.sum()) for w in want)
    paid = -LedgerEntry.objects.filter(kind="payment").aggregate(s=Sum("amount"))["s"]
    assert 0 < paid <= Payment.objects.aggregate(s=Sum("amount"))["s"]


@pytest.mark.django_db
def test_provinces_and_units_are_for_the_national_scale_only() -> None:
    with pytest.raises(CommandError, match="national"):
        call_command("demo", scale="small", provinces=2, verbosity=0)
