"""The figures the close keeps for the KPI report and the dashboard (reports.summary, coverage.CoverageCount)
equal the computation from the rows: after a close, after a later close that meets payments recorded late
for a closed month, and after a restore and a new close."""
from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from sicollect.close import service
from sicollect.contributions.models import Payment
from sicollect.contributions.posting import post_units
from sicollect.core.months import Month
from sicollect.coverage import counts
from sicollect.coverage.models import CoverageCount
from sicollect.registry.models import Office, Unit
from sicollect.reports import summary
from sicollect.reports.kpi import kpi, ranking
from sicollect.reports.models import OfficeDebt, OfficeRevenue, SummaryDay

from .. import factories as f
from .test_kpi import ALL, build_province


def subtree(office: Office | None) -> list[int] | None:
    from sicollect.contributions.debts import Scope

    return Scope(office).office_ids()


def fresh(as_of: date, office: Office | None) -> dict[str, Any]:
    """The report computed from the rows: the kept figures set aside for the call (the test's transaction
    keeps them)."""
    from django.db import transaction

    with transaction.atomic():
        SummaryDay.objects.all().delete()
        CoverageCount.objects.all().delete()
        out = kpi(as_of, office)
        transaction.set_rollback(True)
    return out


def assert_kept_equal_fresh() -> None:
    """Every kept day: revenue by office and month against the payments, the counts of every office, office tree
    and the whole against the coverage query, and the report of every office against the one from the rows."""
    offices = list(Office.objects.all())
    days = sorted(SummaryDay.objects.values_list("as_of", flat=True))
    assert days, "nothing kept"
    unit_office = dict(Unit.objects.values_list("pk", "office_id"))
    paid: dict[tuple[date, int], int] = {}
    for p in Payment.objects.all():
        key = (Month.of(p.paid_on).last_day, unit_office[p.unit_id])
        paid[key] = paid.get(key, 0) + p.amount
    kept = {(r.as_of, r.office_id): r.received for r in OfficeRevenue.objects.all()}
    assert kept == paid
    counted = sorted(set(CoverageCount.objects.values_list("as_of", flat=True)))
    assert set(days[-1:]) <= set(counted)
    for day in counted:
        assert counts.stored_counts("office", day, None) == counts.query_counts("office", day, None)
        assert counts.stored_counts("province", day, None) == counts.query_counts("province", day, None)
        for o in offices:
            ids = subtree(o)
            stored = counts.stored_counts("province", day, ids)
            assert stored is not None and stored == counts.query_counts("province", day, ids), (day, o.code)
    for day in days[-2:]:
        for o in [None, *offices]:
            assert kpi(day, o) == fresh(day, o), (day, o)


@pytest.mark.django_db
def test_after_a_close_the_kept_figures_equal_the_rows() -> None:
    """build_province closed through Oct 2025, with one more person working in A (HL) and B (CP) from
    Sep 2025: HL counts A's two persons, CP B's two, the province three (the shared person once).

    Kept revenue: HL 3,200,000 in May 2024 (D) and August 2025, 1,000,000 in October (A); CP nothing.
    Kept debt at 31 Oct 2025: B (active, July and August late 6,400,000, 2 months) and C (missing,
    9,600,000 late since 31 Jan: 9 months) in CP's rows; HL's one row holds A's 5,400,000 not yet late
    plus the shared person's September and October dues in A."""
    units = build_province()
    shared = f.person()
    f.participation(units["A"], shared, "2025-09", None, 10_000_000, ALL)
    f.participation(units["B"], shared, "2025-09", None, 10_000_000, ALL)
    post_units(Unit.objects.all(), Month(2025, 10))
    service.close(Month(2025, 10))
    hl, cp, qn = (Office.objects.get(code=c) for c in ("HL", "CP", "QN"))
    oct31 = date(2025, 10, 31)
    assert {(r.as_of, r.office.code): r.received for r in OfficeRevenue.objects.all()} == {
        (date(2024, 5, 31), "HL"): 3_200_000, (date(2025, 8, 31), "HL"): 3_200_000,
        (date(2025, 10, 31), "HL"): 1_000_000}
    rows = {(r.status, r.months_late, r.units, r.late) for r in OfficeDebt.objects.filter(as_of=oct31, office=cp)}
    assert ("active", 2, 1, 6_400_000) in rows and ("missing", 9, 1, 9_600_000) in rows
    for scope, office in (("tree", qn), ("all", None)):  # the same sums for the province, read in one row each
        assert {(r.status, r.months_late, r.units, r.late) for r in OfficeDebt.objects.filter(
            as_of=oct31, scope=scope, office=office, late__gt=0)} == {("active", 2, 1, 6_400_000), ("missing", 9, 1, 9_600_000)}
    # a close of many months counts the last one and each December (and the year end before the last)
    assert sorted(set(CoverageCount.objects.values_list("as_of", flat=True))) == [date(2024, 12, 31), oct31]
    own = {r.office.code if r.office else None: (r.scope, r.si_compulsory)
           for r in CoverageCount.objects.filter(as_of=oct31).select_related("office")}
    assert own == {"HL": ("own", 2), "CP": ("own", 2), "QN": ("tree", 3), None: ("all", 3)}
    assert kpi(oct31, qn)["participants"]["si_compulsory"]["count"] == 3
    assert kpi(oct31, hl)["participants"]["si_compulsory"]["count"] == 2
    assert_kept_equal_fresh()
    assert ranking(oct31) == _ranking_fresh(oct31)


@pytest.mark.django_db
def test_kept_counts_of_two_provinces_count_a_person_once_in_each() -> None:
    """Two top offices (QN and HP) in one database, as a national office keeps them, closed by the SQL close
    (on SQLite the counts' query without grouping sets). build_province through Oct 2025 with one person
    working in A (HL, under QN) and in E (HP) from Sep 2025, E's own person with HI only, and F (HP) with a
    person with SI and UI only: HL counts A's two persons with SI; HP counts E's two and F's one: SI 2, HI 2;
    QN's tree 3 with SI (A's two, B's one); HP's tree as HP; all: SI 4 (the shared person once: A's own,
    the shared one, B's, F's), HI 4, UI 4, persons 5."""
    units = build_province()
    hp = Office.objects.create(code="HP", name="BHXH thành phố Hải Phòng")
    e, f_unit = f.unit("E", office=hp), f.unit("F", office=hp)
    shared = f.person()
    f.participation(units["A"], shared, "2025-09", None, 10_000_000, ALL)
    f.participation(e, shared, "2025-09", None, 8_000_000, ALL)
    f.participation(e, f.person(), "2025-09", None, 8_000_000, "HI")
    f.participation(f_unit, f.person(), "2025-09", None, 8_000_000, "SI+UI")
    post_units(Unit.objects.all(), Month(2025, 10))
    from sicollect.close.sql import close_engine

    service.close(Month(2025, 10), engine=close_engine)
    got = {(r.office.code if r.office else None, r.scope): (r.si_compulsory, r.hi, r.ui, r.persons)
           for r in CoverageCount.objects.filter(as_of=date(2025, 10, 31)).select_related("office")}
    assert got == {("HL", "own"): (2, 2, 2, 2), ("CP", "own"): (1, 1, 1, 1), ("HP", "own"): (2, 2, 2, 3),
                   ("QN", "tree"): (3, 3, 3, 3), ("HP", "tree"): (2, 2, 2, 3), (None, "all"): (4, 4, 4, 5)}
    assert_kept_equal_fresh()


def _ranking_fresh(as_of: date) -> list[dict[str, Any]]:
    from django.db import transaction

    with transaction.atomic():
        SummaryDay.objects.all().delete()
        out = ranking(as_of)
        transaction.set_rollback(True)
    return out


@pytest.mark.django_db
def test_a_later_close_takes_in_payments_recorded_late_for_a_closed_month() -> None:
    """Closed through Oct 2025; then B pays 2,000,000 dated 15 Sep 2025 (a closed month) and a new person
    joins A in November. The November close writes September's revenue again (CP: 2,000,000) and keeps
    November's figures; all equal the rows."""
    units = build_province()
    service.close(Month(2025, 10))
    f.payment(units["B"], date(2025, 9, 15), 2_000_000)
    f.participation(units["A"], f.person(), "2025-11", None, 10_000_000, ALL)
    service.close(Month(2025, 11))
    cp = Office.objects.get(code="CP")
    assert OfficeRevenue.objects.get(as_of=date(2025, 9, 30), office=cp).received == 2_000_000
    assert kpi(date(2025, 11, 30), cp)["revenue"]["collected_ytd"] == 2_000_000
    assert kpi(date(2025, 11, 30))["participants"]["si_compulsory"]["count"] == 3  # A's two and B's one
    assert_kept_equal_fresh()


@pytest.mark.django_db
def test_rebuild_writes_what_the_closes_wrote() -> None:
    build_province()
    service.close(Month(2025, 10))
    before = sorted(OfficeDebt.objects.values_list("as_of", "office_id", "scope", "status", "months_late", "units",
                                                   "late", "outstanding"), key=str)
    counted = sorted(CoverageCount.objects.values_list("as_of", "scope", "office__code", "hi", "persons"), key=str)
    out = StringIO()
    call_command("kpi_summaries", stdout=out)
    assert "months" in out.getvalue()
    assert sorted(OfficeDebt.objects.values_list("as_of", "office_id", "scope", "status", "months_late", "units",
                                                 "late", "outstanding"), key=str) == before
    close_days = {row[0] for row in counted}
    assert sorted(CoverageCount.objects.filter(as_of__in=close_days)
                  .values_list("as_of", "scope", "office__code", "hi", "persons"), key=str) == counted
    # and every closed month end counted (the close of many months counted only the last and the Decembers)
    assert set(CoverageCount.objects.values_list("as_of", flat=True)) >= set(SummaryDay.objects.values_list("as_of", flat=True))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_restore_and_a_new_close_keep_the_figures_right(tmp_path: Path) -> None:
    """Backup after the October close; the November close keeps November; the restore brings back the database
    of the backup (no November figures, October's as they were); a payment dated in September arrives and the
    November close is run again: every kept figure equals the rows."""
    units = build_province()
    service.close(Month(2025, 10))
    call_command("backup", str(tmp_path / "b.backup"), stdout=StringIO())
    october = sorted(OfficeRevenue.objects.values_list("as_of", "office_id", "received"))
    service.close(Month(2025, 11))
    assert SummaryDay.objects.filter(as_of=date(2025, 11, 30)).exists()
    call_command("restore", str(tmp_path / "b.backup"), yes=True, stdout=StringIO())
    assert not SummaryDay.objects.filter(as_of=date(2025, 11, 30)).exists()
    assert sorted(OfficeRevenue.objects.values_list("as_of", "office_id", "received")) == october
    f.payment(Unit.objects.get(code=units["B"].code), date(2025, 9, 15), 2_000_000)
    service.close(Month(2025, 11))
    assert summary.kept_days([date(2025, 11, 30)]) == {date(2025, 11, 30)}
    assert_kept_equal_fresh()


@pytest.mark.django_db
@pytest.mark.parametrize("engine_name", ["duckdb", "sql"])
def test_the_kept_counts_of_persons_with_several_rows(engine_name: str) -> None:
    """The participant counts each close keeps count a person once per office, top office and province
    whatever their rows. The DuckDB close takes them in its own copies of the tables (coverage.counts.write_counts
    with the close's ``columnar``: grouping sets); the SQL close on SQLite sums the persons of one row as they
    are and groups only the others. build_province with the person shared by A (HL) and B (CP) from Sep 2025,
    a household of HL whose two members hold HI from Jan 2025 (one of them also working in A: HI once), a
    voluntary payer of CP from Oct 2025, and a person with SI in A and HI only in D (both HL) from Sep 2025.

    At 31 Oct 2025 (closed through October): HL counts A's four persons (its own, the shared one, the
    household's worker, the one also in D) and the household's other member: SI compulsory 4, HI 5 (the
    worker once, the person of A and D once); CP counts B's two and the voluntary payer: SI compulsory 2,
    voluntary 1, SI in all 3, HI 2; QN and the province SI compulsory 5 (the shared person once), voluntary 1,
    in all 6, HI 6. November, resumed from October's state, adds one person in B: SI compulsory 6, HI 7."""
    from sicollect.close.sql import close_engine
    from sicollect.close.sql.duck import duckdb_close_engine
    from sicollect.coverage.models import Household, HouseholdMember, VoluntaryEnrolment
    from sicollect.registry.models import Commune

    units = build_province()
    shared, worker, alone, payer = f.person(), f.person(), f.person(), f.person()
    f.participation(units["A"], shared, "2025-09", None, 10_000_000, ALL)
    f.participation(units["B"], shared, "2025-09", None, 10_000_000, ALL)
    f.participation(units["A"], worker, "2025-01", None, 10_000_000, ALL)
    hl, cp, qn = (Office.objects.get(code=c) for c in ("HL", "CP", "QN"))
    commune = Commune.objects.create(code="X1", name="Phường Bãi Cháy", office=hl, population=100, labour_force=60)
    home = Household.objects.create(code="H1", head_name="Chủ hộ", commune=commune, office=hl)
    for p in (worker, alone):
        HouseholdMember.objects.create(household=home, person=p, from_month=Month(2025, 1))
    VoluntaryEnrolment.objects.create(person=payer, office=cp, income=2_000_000, from_month=Month(2025, 10))
    two = f.person()
    f.participation(units["A"], two, "2025-09", None, 10_000_000, "SI+UI+OADI")
    f.participation(units["D"], two, "2025-09", None, 6_000_000, "HI")
    post_units(Unit.objects.all(), Month(2025, 10))
    engine = duckdb_close_engine if engine_name == "duckdb" else close_engine
    service.close(Month(2025, 10), engine=engine)
    oct31 = date(2025, 10, 31)
    got = {(r.office.code if r.office else None): (r.scope, r.si_compulsory, r.si_voluntary, r.si_total, r.hi)
           for r in CoverageCount.objects.filter(as_of=oct31).select_related("office")}
    assert got == {"HL": ("own", 4, 0, 4, 5), "CP": ("own", 2, 1, 3, 2), "QN": ("tree", 5, 1, 6, 6),
                   None: ("all", 5, 1, 6, 6)}
    assert_kept_equal_fresh()
    f.participation(units["B"], f.person(), "2025-11", None, 10_000_000, ALL, declared_on=date(2025, 11, 5))
    s = service.close(Month(2025, 11), engine=engine)
    assert s.resumed_from == "2025-10"
    nov = CoverageCount.objects.get(as_of=date(2025, 11, 30), scope="all")
    assert (nov.si_compulsory, nov.si_voluntary, nov.hi) == (6, 1, 7)
    assert_kept_equal_fresh()


@pytest.mark.django_db
def test_the_sql_close_counts_from_its_own_rows_in_force() -> None:
    """The SQL close hands the coverage count its persons' rows in force (``Closed.persons``) instead of
    the participations, resumed or not: the same counts. November: a person shared by A (HL) and B (CP),
    a person of A declared on 5 Nov 2025 with SI and OADI only, one of B declared on 3 Dec (not known at
    30 Nov): four persons with SI, three with HI."""
    from sicollect.close.sql import close_engine

    units = build_province()
    service.close(Month(2025, 10), engine=close_engine)
    shared = f.person()
    f.participation(units["A"], shared, "2025-11", None, 10_000_000, ALL, declared_on=date(2025, 11, 3))
    f.participation(units["B"], shared, "2025-11", None, 10_000_000, ALL, declared_on=date(2025, 11, 4))
    f.participation(units["B"], f.person(), "2025-11", None, 10_000_000, ALL, declared_on=date(2025, 12, 3))
    f.participation(units["A"], f.person(), "2025-11", None, 10_000_000, "SI+OADI", declared_on=date(2025, 11, 5))
    summary = service.close(Month(2025, 11), engine=close_engine)
    assert summary.resumed_from == "2025-10"
    row = CoverageCount.objects.get(as_of=date(2025, 11, 30), scope="all")
    assert (row.si_compulsory, row.hi, row.persons) == (4, 3, 4)
    assert_kept_equal_fresh()
