"""Coverage per commune and office, the special-group lists, and the KPI report's participants and
coverage (counted by coverage.counts) against a hand count on the small demo."""
from __future__ import annotations

import io
import textwrap
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from sicollect.core.months import Month
from sicollect.coverage.areas import by_commune, by_office, special_status, special_summary
from sicollect.coverage.counts import write_counts
from sicollect.coverage.models import Household, HouseholdMember, SpecialGroupMember, VoluntaryEnrolment
from sicollect.coverage.special import import_special
from sicollect.exchange.rows import ImportErrors
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Commune, Office, Participation, Person
from sicollect.reports.kpi import kpi

from .. import factories as f

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 10, 15)


def two_communes() -> dict[str, object]:
    """Office CP serves communes C1 (population 10, labour force 8) and C2 (population 5, labour 4).
    In C1: A (unit, every fund), B (unit, HI only) and, on a household list, B again and C; D pays
    voluntary SI. In C2: E on the household list only. Another office's unit employs A: still one person.
    HI: C1 A, B, C = 3 of 10 = 30.00 %; SI: A and D = 2 of 8 = 25.00 %; C2 HI 1 of 5 = 20.00 %, SI 0.
    Office CP: HI 4 of 15 = 26.67 %, SI 2 of 12 = 16.67 %."""
    qn = f.office("QN")
    cp = Office.objects.create(code="CP", name="BHXH Cẩm Phả", parent=qn)
    hl = Office.objects.create(code="HL", name="BHXH Hạ Long", parent=qn)
    c1 = Commune.objects.create(code="C1", name="Xã 1", office=cp, population=10, labour_force=8)
    c2 = Commune.objects.create(code="C2", name="Xã 2", office=cp, population=5, labour_force=4)
    people = {}
    for name, commune in (("A", c1), ("B", c1), ("C", c1), ("D", c1), ("E", None)):
        p = f.person()
        p.commune, p.full_name, p.national_id = commune, name, f"0220900000{len(people):02d}"
        p.save()
        people[name] = p
    u1 = f.unit("CP001", office=cp)
    f.participation(u1, people["A"], "2025-01", None, 10_000_000)
    f.participation(u1, people["B"], "2025-01", None, 10_000_000, "HI")
    f.participation(f.unit("HL001", office=hl), people["A"], "2025-01", None, 8_000_000)
    h1 = Household.objects.create(code="H1", head_name="B", commune=c1, office=cp)
    h2 = Household.objects.create(code="H2", head_name="E", commune=c2, office=cp)
    for home, name in ((h1, "B"), (h1, "C"), (h2, "E")):
        HouseholdMember.objects.create(household=home, person=people[name], from_month=Month(2025, 1))
    VoluntaryEnrolment.objects.create(person=people["D"], office=cp, income=2_000_000, from_month=Month(2025, 5))
    return {"people": people, "cp": cp, "c1": c1}


def test_coverage_per_commune_and_office() -> None:
    two_communes()
    rows = {r.code: r for r in by_commune(AS_OF)}
    assert (rows["C1"].hi, rows["C1"].hi_pct, rows["C1"].si_total, rows["C1"].si_pct) == (3, 30.0, 2, 25.0)
    assert (rows["C1"].si_compulsory, rows["C1"].si_voluntary) == (1, 1)
    assert (rows["C2"].hi, rows["C2"].hi_pct, rows["C2"].si_total, rows["C2"].si_pct) == (1, 20.0, 0, 0.0)
    (cp,) = [r for r in by_office(AS_OF) if r.code == "CP"]
    assert (cp.population, cp.hi, cp.hi_pct, cp.labour_force, cp.si_total, cp.si_pct) == (15, 4, 26.67, 12, 2, 16.67)
    # in April D had not joined yet
    assert {r.code: r.si_total for r in by_commune(date(2025, 4, 30))}["C1"] == 1


def test_special_group_list_import_and_status(tmp_path: Path) -> None:
    """The militia list of C1: A (insured through a unit: HI and compulsory SI), C (household HI only),
    and someone the registry does not know (status unknown). A bad file changes nothing."""
    t = two_communes()
    bad = tmp_path / "bad.csv"
    bad.write_text(textwrap.dedent("""\
        nhóm,mã xã,số CCCD,họ tên,ngày lập danh sách
        militia,C1,022090000000,A,2025-09-01
        militia,C9,12345,X,2025-13-01
        """), encoding="utf-8")
    with pytest.raises(ImportErrors) as err:
        import_special(bad)
    assert [str(e) for e in err.value.errors] == [
        "bad.csv:3: commune_code: unknown commune 'C9'",
        "bad.csv:3: listed_on: not a valid date: '2025-13-01'",
        "bad.csv:3: national_id: must be 12 digits, got '12345'",
    ]
    assert not SpecialGroupMember.objects.exists()
    good = tmp_path / "militia.csv"
    good.write_text(textwrap.dedent("""\
        group,commune_code,national_id,full_name,listed_on
        militia,C1,022090000000,A,2025-09-01
        militia,C1,022090000002,C,2025-09-01
        militia,C1,099999999999,Người lạ,2025-09-01
        """), encoding="utf-8")
    assert str(import_special(good)) == "3 created, 0 updated, 0 unchanged"
    assert str(import_special(good)) == "0 created, 0 updated, 3 unchanged"
    rows = {r["full_name"]: r for r in special_status(AS_OF, "militia")}
    assert (rows["A"]["hi"], rows["A"]["si_compulsory"], rows["A"]["si_voluntary"]) == (True, True, False)
    assert (rows["C"]["hi"], rows["C"]["si_compulsory"]) == (True, False)
    assert rows["Người lạ"]["hi"] is None and rows["Người lạ"]["si_code"] is None
    assert special_summary(list(rows.values())) == [
        {"group": "militia", "commune": "C1", "listed": 3, "found": 2, "hi": 2, "si": 1}]
    out = io.StringIO()
    call_command("coverage", "special", "status", "--as-of", "2025-10-15", stdout=out)
    assert "022090000000" not in out.getvalue() and "unknown" in out.getvalue()
    _ = t


def test_the_coverage_cli() -> None:
    two_communes()
    out = io.StringIO()
    call_command("coverage", "communes", "--as-of", "2025-10-15", stdout=out)
    assert "C1       CP                10        3   30.00         8        2   25.00" in out.getvalue()


@pytest.fixture
def small_demo() -> None:
    call_command("demo", scale="small", seed=1, verbosity=0)


def test_kpi_participants_and_coverage_match_a_hand_count_on_the_small_demo(small_demo: None) -> None:
    """The KPI report at 30 Sep 2025 against a count in plain Python over every participation row:
    for each person and unit the row declared last (declared on or before the date) covering September
    counts when it has a wage; plus the demo's voluntary payers and household-list members covering
    September, and two household members and one voluntary member added here. The
    coverage percentages divide by the plan's population and labour force."""
    as_of = date(2025, 9, 30)
    sep = Month(2025, 9)
    office = Office.objects.filter(parent__isnull=False).order_by("code").first()
    commune = Commune.objects.filter(office=office).first()
    extra = [Person.objects.create(si_code=f"99000000{i}", full_name=f"X{i}", sex="F", commune=commune)
             for i in range(3)]
    home = Household.objects.create(code="HX", head_name="X0", commune=commune, office=office)
    for p in extra[:2]:
        HouseholdMember.objects.create(household=home, person=p, from_month=Month(2025, 1))
    VoluntaryEnrolment.objects.create(person=extra[2], office=office, income=2_000_000, from_month=Month(2025, 1))
    # September is closed: the report reads the counts its close kept, which are final (docs/domain.md,
    # "Figures of closed months"). Rows added to it afterwards count once the month's counts are taken again.
    write_counts([as_of])

    latest: dict[tuple[int, int], Participation] = {}
    for p in Participation.objects.all():
        if not p.covers(sep) or (p.declared_on and p.declared_on > as_of):
            continue
        key = (p.person_id, p.unit_id)
        rank = (p.declared_on is not None, p.declared_on or date.min, p.from_month, p.id)
        best = latest.get(key)
        if best is None or rank > (best.declared_on is not None, best.declared_on or date.min, best.from_month, best.id):
            latest[key] = p
    hand: dict[str, set[int]] = defaultdict(set)
    for p in latest.values():
        if p.wage > 0:
            for scheme in ("si", "ui", "hi"):
                if getattr(p, scheme):
                    hand[scheme].add(p.person_id)
    # the demo's own voluntary payers and household lists, and the three added here
    voluntary = {v.person_id for v in VoluntaryEnrolment.objects.all()
                 if v.from_month <= sep and (v.to_month is None or sep <= v.to_month)}
    hand["hi"] |= {m.person_id for m in HouseholdMember.objects.all()
                   if m.from_month <= sep and (m.to_month is None or sep <= m.to_month)}
    assert extra[2].pk in voluntary and {extra[0].pk, extra[1].pk} <= hand["hi"]
    assert len(hand["si"]) > 1_000 and len(voluntary) > 100  # thousands insured: the count is not vacuous
    data = kpi(as_of)
    counts = {k: v["count"] for k, v in data["participants"].items()}
    assert counts == {"si_compulsory": len(hand["si"]), "si_voluntary": len(voluntary),
                      "si_total": len(hand["si"] | voluntary), "ui": len(hand["ui"]), "hi": len(hand["hi"])}
    population = sum(PlanTarget.objects.filter(year=2025, indicator="population", office__parent__isnull=True)
                     .values_list("value", flat=True))
    labour = sum(PlanTarget.objects.filter(year=2025, indicator="labour_force", office__parent__isnull=True)
                 .values_list("value", flat=True))
    assert data["coverage"]["hi_pct_population"] == round(len(hand["hi"]) * 100 / population + 1e-9, 2)
    assert data["coverage"]["si_pct_labour_force"] == round(len(hand["si"] | voluntary) * 100 / labour + 1e-9, 2)
    # the residence view counts the same persons: every demo person lives in a commune
    assert sum(r.hi for r in by_commune(as_of)) == len(hand["hi"])


def test_development_leads_per_collection_point() -> None:
    """At 15 Oct 2025, in C1 (point P1 of CP): B's household card ends 10 Nov (within 30 days) → HI expiring;
    C left the household list in June while B is still on it → partial household; D's voluntary SI ended in
    August → lapsed. E's card (C2, no point) ends in December: not yet a lead."""
    from sicollect.coverage.leads import leads
    from sicollect.coverage.models import CollectionAgent

    t = two_communes()
    people = t["people"]
    CollectionAgent.objects.create(code="P1", name="Điểm thu xã 1", kind="commune_point", office=t["cp"],
                                   commune=t["c1"], commission_ppm=50_000)
    HouseholdMember.objects.filter(person=people["B"]).update(card_valid_to=date(2025, 11, 10))
    HouseholdMember.objects.filter(person=people["C"]).update(to_month=Month(2025, 6))
    HouseholdMember.objects.filter(person=people["E"]).update(card_valid_to=date(2025, 12, 31))
    VoluntaryEnrolment.objects.filter(person=people["D"]).update(to_month=Month(2025, 8))
    found = [(r["point"], r["kind"], r["full_name"]) for r in leads(AS_OF)]
    assert found == [("P1", "hi_expiring", "B"), ("P1", "household_partial", "C"), ("P1", "voluntary_lapsed", "D")]
    out = io.StringIO()
    call_command("coverage", "leads", "--as-of", "2025-10-15", "--point", "P1", stdout=out)
    assert out.getvalue().count("P1") == 3


def test_one_offices_counts_come_from_the_cached_counts_by_office_and_follow_new_rows() -> None:
    """two_communes(): office CP at 15 Oct 2025 counts A and B through CP001, C and E on household lists,
    D voluntary: SI compulsory 1, voluntary 1, total 2, HI 4, persons 5; HL counts A once. The counts of one
    office (the KPI report's) are its row of the counts by office, kept in the cache, and equal the query
    run for that office alone. A new household member is a new row: the next count has it."""
    from sicollect.coverage.counts import counts_by, participant_counts, query_counts

    data = two_communes()
    cp, people = data["cp"], data["people"]
    hl = Office.objects.get(code="HL")
    alone = query_counts("province", AS_OF, [cp.pk])[0]
    assert {k: alone[k] for k in ("si_compulsory", "si_voluntary", "si_total", "hi", "persons")} == {
        "si_compulsory": 1, "si_voluntary": 1, "si_total": 2, "hi": 4, "persons": 5}
    assert participant_counts([cp.pk], AS_OF) == alone
    assert participant_counts([hl.pk], AS_OF) == query_counts("province", AS_OF, [hl.pk])[0]
    assert participant_counts([hl.pk], AS_OF)["persons"] == 1
    assert counts_by("office", AS_OF, [cp.pk]) == {cp.pk: alone}
    # two offices together stay one query (a person in both counts once)
    assert participant_counts([cp.pk, hl.pk], AS_OF)["persons"] == 5
    HouseholdMember.objects.create(household=Household.objects.get(code="H2"), person=people["D"],
                                   from_month=Month(2025, 1))
    assert participant_counts([cp.pk], AS_OF)["hi"] == 5
    assert participant_counts(None, AS_OF)["hi"] == 5
