"""Plans: the cascade province → offices → officers, import, progress and rankings by hand figures.

The province (``build``): QN with grassroots offices CP, HL, UB. Actuals come in through
``sicollect import`` (units, persons, participations, payments as CSV):

* HL: HL001 (3 persons, every fund, from Jan 2025; officer ``hl_a``) paid 200,000,000 on 10 Mar and
  10,000,000 on Mon 29 Sep; HL002 (1 person, HI only; officer ``hl_b``) paid 90,000,000 on 15 Jun.
* CP: CP001 (2 persons, every fund) paid 160,000,000 on 5 May.
* UB: UB001 (1 person, every fund) paid 100,000,000 on 1 Apr; UB002 (nobody) 100,000,000 on Tue 30 Sep.

The province plan for 2025: revenue 1,000,000,000; compulsory SI 10; HI 12; debt ceiling 300 (3.00 %).
"""
from __future__ import annotations

import io
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from sicollect.exchange.registry_import import import_dir
from sicollect.exchange.rows import ImportErrors
from sicollect.plans.importer import import_plans
from sicollect.plans.models import Assignment, Evaluation, PlanTarget
from sicollect.plans.progress import evaluate, pro_rata, progress, weekly, weekly_xlsx
from sicollect.plans.targets import PlanError, cascade, check, split
from sicollect.registry.models import Office, Unit
from sicollect.staff.models import Role, StaffProfile

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 9, 30)  # a Tuesday: the week is Mon 29 Sep … Sun 5 Oct

ACTUALS = {
    "offices.csv": """\
        office_code,name,parent_code
        QN,BHXH tỉnh Quảng Ninh,
        CP,BHXH Cẩm Phả,QN
        HL,BHXH Hạ Long,QN
        UB,BHXH Uông Bí,QN
        """,
    "units.csv": """\
        unit_code,name,tax_code,office_code,ownership,status,region,payment_cycle,registered_on
        HL001,Công ty HL1,5700000001,HL,private,active,I,1,2020-01-01
        HL002,Công ty HL2,5700000002,HL,private,active,I,1,2020-01-01
        CP001,Công ty CP1,5700000003,CP,private,active,I,1,2020-01-01
        UB001,Công ty UB1,5700000004,UB,private,active,I,1,2020-01-01
        UB002,Công ty UB2,5700000005,UB,private,active,I,1,2020-01-01
        """,
    "persons.csv": """\
        si_code,national_id,full_name,birth_date,sex,commune_code
        2200000001,,Người 1,1990-01-01,F,
        2200000002,,Người 2,1990-01-01,M,
        2200000003,,Người 3,1990-01-01,F,
        2200000004,,Người 4,1990-01-01,M,
        2200000005,,Người 5,1990-01-01,F,
        2200000006,,Người 6,1990-01-01,M,
        2200000007,,Người 7,1990-01-01,F,
        """,
    "participations.csv": """\
        si_code,unit_code,from_month,to_month,wage,funds,declared_on,retro_interest
        2200000001,HL001,2025-01,,10000000,SI+HI+UI+OADI,,
        2200000002,HL001,2025-01,,10000000,SI+HI+UI+OADI,,
        2200000003,HL001,2025-01,,10000000,SI+HI+UI+OADI,,
        2200000004,HL002,2025-01,,10000000,HI,,
        2200000005,CP001,2025-01,,10000000,SI+HI+UI+OADI,,
        2200000006,CP001,2025-01,,10000000,SI+HI+UI+OADI,,
        2200000007,UB001,2025-01,,10000000,SI+HI+UI+OADI,,
        """,
    "payments.csv": """\
        payment_id,unit_code,paid_on,amount,reference
        P1,HL001,2025-03-10,200000000,
        P2,HL001,2025-09-29,10000000,
        P3,HL002,2025-06-15,90000000,
        P4,CP001,2025-05-05,160000000,
        P5,UB001,2025-04-01,100000000,
        P6,UB002,2025-09-30,100000000,
        """,
}

PLAN = """\
    year,office_code,indicator,value
    2025,QN,revenue,1000000000
    2025,QN,si_compulsory,10
    2025,QN,hi,12
    2025,QN,debt_ratio_ceiling_bp,300
    """


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def build(tmp_path: Path) -> dict[str, Any]:
    import_dir(write(tmp_path / "actuals", ACTUALS), progress=False)
    hl = Office.objects.get(code="HL")
    officers = {}
    for name in ("hl_a", "hl_b"):
        officers[name] = User.objects.create_user(name, password="x")
        StaffProfile.objects.create(user=officers[name], office=hl, role=Role.OFFICER)
    Unit.objects.filter(code="HL001").update(officer=officers["hl_a"])
    Unit.objects.filter(code="HL002").update(officer=officers["hl_b"])
    (tmp_path / "plan.csv").write_text(textwrap.dedent(PLAN), encoding="utf-8")
    import_plans(tmp_path / "plan.csv")
    return {"hl": hl, "qn": Office.objects.get(code="QN"), "officers": officers}


def test_split_rounds_by_largest_remainder_and_sums_exactly() -> None:
    """12 persons by 2 : 1 : 2 → 4.8, 2.4, 4.8 → floors 4, 2, 4 (10), the two 0.8 remainders get one each."""
    assert split(12, [2, 1, 2]) == [5, 2, 5]
    assert split(100_000_000, [1, 1, 1]) == [33_333_334, 33_333_333, 33_333_333]
    assert split(1_000, [50, 30, 20]) == [500, 300, 200]


def test_cascade_to_three_offices_and_two_officers_then_progress_and_rankings(tmp_path: Path) -> None:
    """Cascade by units managed (CP 1, HL 2, UB 2 of 5): revenue 200,000,000 / 400,000,000 / 400,000,000;
    compulsory SI 10 → 2 / 4 / 4; HI 12 → 2 / 5 / 5 (see the split test); the ceiling 300 is copied.
    HL to its officers by hand: hl_a 250,000,000, 3 SI, 3 HI; hl_b 150,000,000, 1 SI, 2 HI.

    Progress at 30 Sep 2025, year to date:
    CP 160,000,000 / 200,000,000 = 80.00 %; HL 300,000,000 / 400,000,000 = 75.00 %;
    UB 200,000,000 / 400,000,000 = 50.00 % → revenue ranks CP 1, HL 2, UB 3.
    Officers: hl_a 210,000,000 / 250,000,000 = 84.00 %, hl_b 90,000,000 / 150,000,000 = 60.00 %.
    Province: 660,000,000 / 1,000,000,000 = 66.00 %.
    Participants in September: CP SI 2/2 = 100.00 %, HI 2/2; HL SI 3/4 = 75.00 %, HI 4/5 = 80.00 %;
    UB SI 1/4 = 25.00 %, HI 1/5 = 20.00 %. Mean of SI and HI %: CP 100, HL 77.5, UB 22.5 → the same order.
    """
    t = build(tmp_path)
    result = cascade(2025, t["qn"], "offices", "units")
    assert result.values == {
        "CP": {"revenue": 200_000_000, "si_compulsory": 2, "hi": 2, "debt_ratio_ceiling_bp": 300},
        "HL": {"revenue": 400_000_000, "si_compulsory": 4, "hi": 5, "debt_ratio_ceiling_bp": 300},
        "UB": {"revenue": 400_000_000, "si_compulsory": 4, "hi": 5, "debt_ratio_ceiling_bp": 300},
    }
    manual = {"hl_a": {"revenue": 250_000_000, "si_compulsory": 3, "hi": 3},
              "hl_b": {"revenue": 150_000_000, "si_compulsory": 1, "hi": 2}}
    cascade(2025, t["hl"], "officers", "manual", ["revenue", "si_compulsory", "hi"], manual)
    assert Assignment.objects.filter(year=2025, officer__isnull=False).count() == 6
    assert check(2025) == []
    # running the cascade again changes nothing
    cascade(2025, t["qn"], "offices", "units")
    assert PlanTarget.objects.count() == 4 + 12

    offices = {r["code"]: r for r in progress("office", AS_OF)}
    assert {c: (r["revenue"]["ytd"], r["revenue"]["target"], r["revenue"]["pct"], r["rank_revenue"])
            for c, r in offices.items()} == {
        "CP": (160_000_000, 200_000_000, 80.0, 1),
        "HL": (300_000_000, 400_000_000, 75.0, 2),
        "UB": (200_000_000, 400_000_000, 50.0, 3),
    }
    assert {c: (r["participants"]["si_compulsory"]["pct"], r["participants"]["hi"]["count"],
                r["participants"]["hi"]["pct"], r["rank_participants"]) for c, r in offices.items()} == {
        "CP": (100.0, 2, 100.0, 1), "HL": (75.0, 4, 80.0, 2), "UB": (25.0, 1, 20.0, 3)}
    assert offices["HL"]["debt"] == {"late": 0, "ratio_pct": 0.0, "ceiling_pct": 3.0, "within_ceiling": True}

    officers = {r["code"]: r for r in progress("officer", AS_OF)}
    assert {c: (r["revenue"]["ytd"], r["revenue"]["pct"], r["rank_revenue"]) for c, r in officers.items()} == {
        "hl_a": (210_000_000, 84.0, 1), "hl_b": (90_000_000, 60.0, 2)}
    assert officers["hl_a"]["participants"]["si_compulsory"]["count"] == 3
    assert officers["hl_b"]["participants"]["hi"]["count"] == 1

    (province,) = progress("province", AS_OF)
    assert (province["revenue"]["ytd"], province["revenue"]["pct"]) == (660_000_000, 66.0)
    assert province["participants"]["hi"]["count"] == 7


def test_progress_per_week_month_and_quarter(tmp_path: Path) -> None:
    """HL at Tue 30 Sep 2025 (annual target 400,000,000):
    week Mon 29 Sep … Sun 5 Oct: collected 10,000,000 of 400,000,000 × 7 / 365 = 7,671,233 → 130.36 %;
    September: 10,000,000 of 400,000,000 × 30 / 365 = 32,876,712 → 30.42 %;
    Q3 (92 days): 10,000,000 of 100,821,918 → 9.92 %. UB this week: 100,000,000 (Tue 30 Sep).
    Participants did not change in the week: HL HI change 0."""
    t = build(tmp_path)
    cascade(2025, t["qn"], "offices", "units")
    assert pro_rata(400_000_000, date(2025, 9, 29), date(2025, 10, 5)) == 7_671_233
    week = {r["code"]: r for r in progress("office", AS_OF, "week")}
    assert (week["HL"]["revenue"]["period"], week["HL"]["revenue"]["period_target"],
            week["HL"]["revenue"]["period_pct"]) == (10_000_000, 7_671_233, 130.36)
    assert week["UB"]["revenue"]["period"] == 100_000_000 and week["CP"]["revenue"]["period"] == 0
    assert week["HL"]["participants"]["hi"]["change"] == 0
    month = {r["code"]: r for r in progress("office", AS_OF, "month")}
    assert (month["HL"]["revenue"]["period_target"], month["HL"]["revenue"]["period_pct"]) == (32_876_712, 30.42)
    quarter = {r["code"]: r for r in progress("office", AS_OF, "quarter")}
    assert (quarter["HL"]["revenue"]["period_target"], quarter["HL"]["revenue"]["period_pct"]) == (100_821_918, 9.92)
    # January: the participants joined in January, so the month's change is the whole count
    jan = {r["code"]: r for r in progress("office", date(2025, 1, 31), "month")}
    assert jan["HL"]["participants"]["si_compulsory"]["change"] == 3


def test_a_manual_split_that_does_not_sum_is_refused_naming_the_indicator(tmp_path: Path) -> None:
    """hl_a 250,000,000 + hl_b 140,000,000 = 390,000,000 against HL's 400,000,000: −10,000,000."""
    t = build(tmp_path)
    cascade(2025, t["qn"], "offices", "units")
    bad = {"hl_a": {"revenue": 250_000_000}, "hl_b": {"revenue": 140_000_000}}
    with pytest.raises(PlanError) as err:
        cascade(2025, t["hl"], "officers", "manual", ["revenue"], bad)
    assert str(err.value) == ("2025 revenue: the 2 officers under HL sum to 390,000,000, the plan is "
                              "400,000,000 (difference -10,000,000)")
    assert not Assignment.objects.exists()


def test_plan_import_from_xlsx_is_all_or_nothing_and_idempotent(tmp_path: Path) -> None:
    """Offices' targets that sum to 999,000,000 against the province's 1,000,000,000 are refused with the
    difference on the file's last revenue line; the fixed file imports 3 rows, and again 0."""
    from openpyxl import Workbook

    build(tmp_path)

    def book(rows: list[list[Any]], name: str) -> Path:
        wb = Workbook()
        wb.active.append(["Năm", "Mã cơ quan", "Chỉ tiêu", "Giá trị"])
        for r in rows:
            wb.active.append(r)
        wb.save(tmp_path / name)
        return tmp_path / name

    bad = book([[2025, "CP", "revenue", 200_000_000], [2025, "HL", "revenue", 400_000_000],
                [2025, "UB", "revenue", 399_000_000], [2025, "XX", "revenu", -1]], "bad.xlsx")
    with pytest.raises(ImportErrors) as err:
        import_plans(bad)
    assert [str(e) for e in err.value.errors] == [
        "bad.xlsx:5: indicator: must be one of revenue, receivable, debt_ratio_ceiling_bp, si_compulsory, "
        "si_voluntary, ui, hi, oadi, population, labour_force, got 'revenu'",
        "bad.xlsx:5: office_code: unknown office 'XX'",
        "bad.xlsx:5: value: must be a non-negative integer, got '-1'",
    ]
    short = book([[2025, "CP", "revenue", 200_000_000], [2025, "HL", "revenue", 400_000_000],
                  [2025, "UB", "revenue", 399_000_000]], "short.xlsx")
    with pytest.raises(ImportErrors) as err:
        import_plans(short)
    assert [str(e) for e in err.value.errors] == [
        "short.xlsx:4: value: 2025 revenue: the 3 offices under QN sum to 999,000,000, the plan is "
        "1,000,000,000 (difference -1,000,000)"]
    assert PlanTarget.objects.filter(office__parent__isnull=False).count() == 0
    good = book([[2025, "CP", "revenue", 200_000_000], [2025, "HL", "revenue", 400_000_000],
                 [2025, "UB", "revenue", 400_000_000]], "good.xlsx")
    assert str(import_plans(good)) == "3 created, 0 updated, 0 unchanged"
    assert str(import_plans(good)) == "0 created, 0 updated, 3 unchanged"


def test_weekly_summary_xlsx_and_an_evaluation_record(tmp_path: Path) -> None:
    """The week of 30 Sep: the province collected 110,000,000 (HL 10,000,000 + UB 100,000,000) of
    1,000,000,000 × 7 / 365 = 19,178,082; the xlsx lists the province then CP, HL, UB. The Q3
    evaluation keeps the offices' figures as of 30 Sep even after a later payment."""
    from openpyxl import load_workbook

    t = build(tmp_path)
    cascade(2025, t["qn"], "offices", "units")
    data = weekly(AS_OF)
    assert (data["week_from"], data["week_to"]) == ("2025-09-29", "2025-10-05")
    assert (data["province"]["revenue"]["period"], data["province"]["revenue"]["period_target"]) == (
        110_000_000, 19_178_082)
    sheet = load_workbook(io.BytesIO(weekly_xlsx(data))).active
    assert [sheet.cell(r, 1).value for r in range(3, 7)] == ["QN", "CP", "HL", "UB"]
    assert sheet.cell(3, 3).value == 110_000_000 and sheet.cell(5, 3).value == 10_000_000

    record = evaluate("2025-Q3", "office", "Giám đốc", "HL cần đẩy nhanh thu")
    assert (record.kind, record.as_of, record.made_by) == ("quarter", date(2025, 9, 30), "Giám đốc")
    Unit.objects.get(code="HL001").payments.create(payment_id="P9", paid_on=date(2025, 9, 30), amount=1)
    frozen = Evaluation.objects.get(pk=record.pk).figures
    assert {r["code"]: r["revenue"]["ytd"] for r in frozen} == {"CP": 160_000_000, "HL": 300_000_000,
                                                                "UB": 200_000_000}


def test_the_cli(tmp_path: Path) -> None:
    """``plan cascade`` then ``plan check`` and ``plan progress --format json`` on the same figures."""
    import json

    build(tmp_path)
    out = io.StringIO()
    call_command("plan", "cascade", "--year", "2025", "--from", "QN", "--to", "offices", "--rule", "units",
                 stdout=out)
    assert "HL: debt_ratio_ceiling_bp=300, hi=5, revenue=400,000,000, si_compulsory=4" in out.getvalue()
    out = io.StringIO()
    call_command("plan", "check", "--year", "2025", stdout=out)
    assert "every split sums" in out.getvalue()
    out = io.StringIO()
    call_command("plan", "progress", "--as-of", "2025-09-30", "--format", "json", stdout=out)
    assert [r["code"] for r in sorted(json.loads(out.getvalue()), key=lambda r: r["rank_revenue"])] == [
        "CP", "HL", "UB"]
    out = io.StringIO()
    call_command("plan", "weekly", "--as-of", "2025-09-30", "-o", str(tmp_path / "w.xlsx"), stdout=out)
    assert (tmp_path / "w.xlsx").stat().st_size > 0


def test_cascade_by_last_years_revenue_and_to_collection_points_by_persons(tmp_path: Path,
                                                                          django_assert_max_num_queries: Any) -> None:
    """Last year's payments: CP001 100,000,000, HL001 300,000,000, UB001 100,000,000 → the province's
    1,000,000,000 splits 1 : 3 : 1 = 200,000,000 / 600,000,000 / 200,000,000. Compulsory SI by last year's
    participants cannot split: nobody was insured at the end of 2024 (the error says so).

    HL's points: P1 (commune C1, 3 persons on a household HI list since Jun 2024) and P2 (commune C2, one
    voluntary member since Jan 2024). By persons at the end of 2024 (3 : 1), HL's revenue 600,000,000 →
    450,000,000 / 150,000,000 and HI 5 → 3.75 / 1.25 → 4 / 1 (largest remainder). At 30 Sep 2025 P1 took
    1,500,000 (0.33 %) with HI 3 of 4 = 75.00 %; P2 took 990,000 (0.66 %) → revenue ranks P2 1, P1 2."""
    from sicollect.core.months import Month
    from sicollect.coverage.models import AgentReceipt, CollectionAgent, Household, HouseholdMember, VoluntaryEnrolment
    from sicollect.registry.models import Commune, Person

    t = build(tmp_path)
    for code, amount in (("CP001", 100_000_000), ("HL001", 300_000_000), ("UB001", 100_000_000)):
        Unit.objects.get(code=code).payments.create(payment_id=f"L{code}", paid_on=date(2024, 6, 1), amount=amount)
    with pytest.raises(PlanError, match="2025 si_compulsory: every one of the offices under QN has 0 by the rule"):
        cascade(2025, t["qn"], "offices", "last_year")
    assert not PlanTarget.objects.filter(office__code="HL").exists()
    result = cascade(2025, t["qn"], "offices", "last_year", ["revenue"])
    assert {c: v["revenue"] for c, v in result.values.items()} == {
        "CP": 200_000_000, "HL": 600_000_000, "UB": 200_000_000}
    cascade(2025, t["qn"], "offices", "units", ["hi"])  # HL: 5

    hl = t["hl"]
    c1 = Commune.objects.create(code="C1", name="Phường 1", office=hl, population=100, labour_force=60)
    c2 = Commune.objects.create(code="C2", name="Phường 2", office=hl, population=50, labour_force=30)
    p1 = CollectionAgent.objects.create(code="P1", name="Điểm thu 1", kind="commune_point", office=hl, commune=c1,
                                        commission_ppm=50_000)
    p2 = CollectionAgent.objects.create(code="P2", name="Điểm thu 2", kind="post_office", office=hl, commune=c2,
                                        commission_ppm=50_000)
    home = Household.objects.create(code="H1", head_name="A", commune=c1, office=hl)
    people = [Person.objects.create(si_code=f"330000000{i}", full_name=f"Hộ {i}", sex="F", commune=c1) for i in range(3)]
    for p in people:
        HouseholdMember.objects.create(household=home, person=p, from_month=Month(2024, 6))
    vol = Person.objects.create(si_code="3300000009", full_name="Tự nguyện", sex="M", commune=c2)
    VoluntaryEnrolment.objects.create(person=vol, office=hl, income=1_500_000, from_month=Month(2024, 1))
    AgentReceipt.objects.create(agent=p1, receipt_no="1", person=people[0], product="BI", received_on=date(2025, 3, 1),
                                from_month=Month(2025, 1), months=12, amount=1_500_000)
    AgentReceipt.objects.create(agent=p2, receipt_no="1", person=vol, product="IS", received_on=date(2025, 4, 1),
                                from_month=Month(2025, 4), months=3, amount=990_000)
    points = cascade(2025, hl, "points", "persons", ["revenue", "hi"])
    assert points.values == {"P1": {"revenue": 450_000_000, "hi": 4}, "P2": {"revenue": 150_000_000, "hi": 1}}
    with pytest.raises(PlanError, match="collection points manage no units"):
        cascade(2025, hl, "points", "units", ["hi"])

    with django_assert_max_num_queries(12):
        rows = {r["code"]: r for r in progress("point", AS_OF)}
    assert {c: (r["revenue"]["ytd"], r["revenue"]["pct"], r["rank_revenue"]) for c, r in rows.items()} == {
        "P1": (1_500_000, 0.33, 2), "P2": (990_000, 0.66, 1)}
    assert (rows["P1"]["participants"]["hi"]["count"], rows["P1"]["participants"]["hi"]["pct"]) == (3, 75.0)
    assert rows["P2"]["participants"]["si_voluntary"]["count"] == 1 and "debt" not in rows["P1"]


def test_progress_reads_a_bounded_number_of_queries_whatever_the_offices(tmp_path: Path,
                                                                        django_assert_max_num_queries: Any) -> None:
    """Set-based: the office level costs the same queries for 3 offices as for 23."""
    build(tmp_path)
    qn = Office.objects.get(code="QN")
    with django_assert_max_num_queries(14) as few:
        progress("office", AS_OF)
    for i in range(20):
        Office.objects.create(code=f"X{i:02d}", name=f"BHXH {i}", parent=qn)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(progress("office", AS_OF)) == 23
