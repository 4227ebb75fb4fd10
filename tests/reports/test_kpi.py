"""The KPI report on a province small enough to work out by hand."""
from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from sicollect.close.aging import DEFAULT_BUCKETS, DEFAULT_CLASSES, bucket_of, class_of
from sicollect.contributions.debts import months_late
from sicollect.core.money import pct
from sicollect.contributions.posting import post_units
from sicollect.core.months import Month
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Office, Unit
from sicollect.reports.kpi import kpi, ranking

from .. import factories as f


def test_months_late_counts_whole_months_with_month_ends_alike() -> None:
    assert months_late(date(2025, 8, 31), date(2025, 9, 30)) == 1
    assert months_late(date(2025, 8, 31), date(2025, 10, 15)) == 1
    assert months_late(date(2025, 8, 31), date(2025, 10, 31)) == 2
    assert months_late(date(2025, 1, 31), date(2025, 10, 15)) == 8
    assert months_late(date(2025, 8, 31), date(2025, 8, 31)) == 0
    assert bucket_of(1, DEFAULT_BUCKETS) == "1-3" and bucket_of(12, DEFAULT_BUCKETS) == "ge12"
    assert class_of(8, "missing", DEFAULT_CLASSES) == "IV.1"
    assert class_of(8, "active", DEFAULT_CLASSES) == "III.2"
    assert class_of(0, "bankrupt", DEFAULT_CLASSES) == "IV.3"


def test_pct_rounds_half_up_to_two_decimals() -> None:
    assert pct(227_400, 9_515_000) == 2.39
    assert pct(1, 8) == 12.5 and pct(1, 3) == 33.33 and pct(2, 3) == 66.67
    assert pct(5, 0) is None


ALL = "SI+HI+UI+OADI"


def build_province() -> dict[str, Unit]:
    """Province QN with grassroots offices HL and CP; every wage 10,000,000 in region I, so one
    person-month owes 32 % = 3,200,000 (HT-TT 2,200,000, OĐ-TS 300,000, OADI 50,000, HI 450,000,
    UI 200,000).

    A (HL): one person from Aug 2025; pays 3,200,000 on 20 Aug and 1,000,000 on 5 Oct 2025.
    B (CP): one person from Jul 2025; never pays.
    C (CP, missing): one person Jan–Mar 2025 (due at each month end, QĐ 595); never pays.
    D (HL): one person in May 2024 only; pays 3,200,000 on 20 May 2024.
    """
    qn = Office.objects.create(code="QN", name="BHXH tỉnh Quảng Ninh")
    hl = Office.objects.create(code="HL", name="BHXH Hạ Long", parent=qn)
    cp = Office.objects.create(code="CP", name="BHXH Cẩm Phả", parent=qn)
    a, b = f.unit("A", office=hl), f.unit("B", office=cp)
    c, d = f.unit("C", office=cp, status="missing"), f.unit("D", office=hl)
    f.participation(a, f.person(), "2025-08", None, 10_000_000, ALL)
    f.participation(b, f.person(), "2025-07", None, 10_000_000, ALL)
    f.participation(c, f.person(), "2025-01", "2025-03", 10_000_000, ALL)
    f.participation(d, f.person(), "2024-05", "2024-05", 10_000_000, ALL)
    f.payment(a, date(2025, 8, 20), 3_200_000)
    f.payment(a, date(2025, 10, 5), 1_000_000)
    f.payment(d, date(2024, 5, 20), 3_200_000)
    plans = {
        (2025, qn): {"revenue": 200_000_000, "si_compulsory": 4, "ui": 4, "hi": 5, "population": 10, "labour_force": 8},
        (2024, qn): {"revenue": 100_000_000},
        (2025, hl): {"revenue": 50_000_000},
    }
    for (year, office), values in plans.items():
        for indicator, value in values.items():
            PlanTarget.objects.create(year=year, office=office, indicator=indicator, value=value)
    post_units(Unit.objects.all(), Month(2025, 10))
    return {"A": a, "B": b, "C": c, "D": d}


@pytest.mark.django_db
def test_kpi_of_a_hand_built_province() -> None:
    """As of 15 Oct 2025.

    Revenue: 3,200,000 + 1,000,000 received in 2025 = 4,200,000 of a 200,000,000 plan = 2.10 %;
    1,000,000 of it in October (change vs previous month); same period 2024: D's 3,200,000.

    Debt (principal): a month's dues are owed from its close (RULES.md §4), so on 15 Oct October's are not
    owed yet. A's 3,200,000 of 20 Aug waited as credit and paid August at its close; A owes Sep
    3,200,000 − 1,000,000 = 2,200,000, none late (Sep due 31 Oct).
    B owes Jul–Sep 9,600,000; Jul (due 31 Aug) and Aug (due 30 Sep) are late: 6,400,000;
    oldest late 31 Aug → 15 Oct = 1 whole month: bucket 1–3, class II.
    C owes Jan–Mar 9,600,000, all late; 31 Jan → 15 Oct = 8 months, missing → class IV.1, bucket 6–12.
    Total 21,400,000 = 10.70 % of plan; interest-bearing 16,000,000 = 8.00 %; 2 units late, 1 by ≥ 2 months.
    A year earlier (15 Oct 2024) nothing was owed: 0.00 % of the 2024 plan.

    Participants in Oct 2025: A's and B's persons (C's left in March): SI 2, UI 2, HI 2; at the end
    of 2024 none (D's person left in May 2024). SI 2/4 = 50.00 %, HI 2/5 = 40.00 %.
    Coverage: HI 2 / population 10 = 20.00 %; SI 2 / labour force 8 = 25.00 %.
    """
    build_province()
    data = kpi(date(2025, 10, 15))
    assert data["revenue"] == {
        "collected_ytd": 4_200_000, "plan": 200_000_000, "pct_of_plan": 2.10, "same_period_last_year": 3_200_000,
        "change_vs_last_year": 1_000_000, "change_vs_previous_month": 1_000_000,
    }
    debt = data["debt"]
    assert debt["outstanding_total"] == 21_400_000 and debt["outstanding_pct_of_plan"] == 10.70
    assert debt["interest_bearing"] == 16_000_000 and debt["interest_bearing_pct_of_plan"] == 8.00
    assert (debt["units_late"], debt["units_late_2_months_or_more"]) == (2, 1)
    assert debt["by_bucket"]["1-3"] == {"units": 1, "amount": 6_400_000}
    assert debt["by_bucket"]["6-12"] == {"units": 1, "amount": 9_600_000}
    assert debt["by_bucket"]["lt1"] == {"units": 0, "amount": 0}
    assert debt["by_class"]["II"] == {"units": 1, "amount": 6_400_000}
    assert debt["by_class"]["IV.1"] == {"units": 1, "amount": 9_600_000}
    assert debt["one_year_earlier"] == {
        "outstanding_total": 0, "outstanding_pct_of_plan": 0.0, "interest_bearing": 0, "interest_bearing_pct_of_plan": 0.0,
    }
    p = data["participants"]
    assert p["si_compulsory"] == {"count": 2, "plan": 4, "pct_of_plan": 50.0, "change_vs_previous_year_end": 2}
    assert p["hi"] == {"count": 2, "plan": 5, "pct_of_plan": 40.0, "change_vs_previous_year_end": 2}
    assert p["si_voluntary"]["count"] == 0 and p["si_voluntary"]["plan"] is None
    assert p["si_total"]["pct_of_plan"] == 50.0
    assert data["coverage"] == {"hi_pct_population": 20.0, "si_pct_labour_force": 25.0}


@pytest.mark.django_db
def test_kpi_of_one_grassroots_office_counts_only_its_units() -> None:
    """HL holds A and D: 4,200,000 of its 50,000,000 plan = 8.40 %; debt 2,200,000 (A's September), none late."""
    build_province()
    data = kpi(date(2025, 10, 15), Office.objects.get(code="HL"))
    assert data["revenue"]["pct_of_plan"] == 8.40
    assert data["debt"]["outstanding_total"] == 2_200_000 and data["debt"]["interest_bearing"] == 0
    assert data["participants"]["si_compulsory"]["count"] == 1


@pytest.mark.django_db
def test_ranking_of_grassroots_offices() -> None:
    """As of 15 Oct 2025, with a 2025 revenue plan of 100,000,000 for CP too.

    HL: 4,200,000 received of 50,000,000 = 8.40 %; nothing late = 0.00 %.
    CP: nothing received = 0.00 %; late: B's July and August (6,400,000; September is due 31 Oct)
    and C's January–March (9,600,000) = 16,000,000 of 100,000,000 = 16.00 %.
    HL ranks first on both; each office's figures are those of its own report.
    """
    build_province()
    PlanTarget.objects.create(year=2025, office=Office.objects.get(code="CP"), indicator="revenue",
                              value=100_000_000)
    rows = ranking(date(2025, 10, 15))
    assert [(r["office"], r["interest_bearing_pct_of_plan"], r["pct_of_plan"], r["rank_debt"], r["rank_plan"])
            for r in rows] == [("HL", 0.0, 8.4, 1, 1), ("CP", 16.0, 0.0, 2, 2)]
    for r in rows:
        own = kpi(date(2025, 10, 15), Office.objects.get(code=r["office"]))
        assert r["interest_bearing_pct_of_plan"] == own["debt"]["interest_bearing_pct_of_plan"]
        assert r["pct_of_plan"] == own["revenue"]["pct_of_plan"]


@pytest.mark.django_db
def test_at_closed_month_ends_the_report_reads_what_the_close_kept() -> None:
    """Closed through Oct 2025: at 31 Oct 2025 B (July … October owed, 12,800,000, of which July and
    August late, 6,400,000) and C (9,600,000, all late) have a row each; A's September and October (5,400,000, not yet late) and nothing for D sum into
    HL's line. The report from those rows equals the report from the whole ledger, for the province
    and each office, now and a year earlier."""
    from sicollect.close import service
    from sicollect.close.models import MonthEndDebt
    from sicollect.reports.models import SummaryDay

    build_province()
    service.close(Month(2025, 10))
    kept = MonthEndDebt.objects.filter(as_of=date(2025, 10, 31))
    assert sorted((r.unit.code if r.unit else r.office.code, r.outstanding, r.late) for r in kept) == [
        ("B", 12_800_000, 6_400_000), ("C", 9_600_000, 9_600_000), ("HL", 5_400_000, 0)]
    offices = [None, *Office.objects.filter(code__in=["HL", "CP"])]
    from_kept = {o: kpi(date(2025, 10, 31), o)["debt"] for o in offices}
    MonthEndDebt.objects.all().delete()
    SummaryDay.objects.all().delete()  # and the sums the report's own close step kept (reports.summary)
    from_ledger = {o: kpi(date(2025, 10, 31), o)["debt"] for o in offices}
    assert from_kept == from_ledger
    assert from_kept[None]["interest_bearing"] == 16_000_000 and from_kept[None]["units_late"] == 2


@pytest.mark.django_db
def test_report_command_json_text_and_xlsx(tmp_path) -> None:
    build_province()
    out = StringIO()
    call_command("report", "kpi", as_of="2025-10-15", format="json", stdout=out)
    assert json.loads(out.getvalue())["debt"]["interest_bearing"] == 16_000_000
    text = StringIO()
    call_command("report", "kpi", as_of="2025-10-15", format="text", stdout=text)
    assert "4.200.000" in text.getvalue() and "8,00%" in text.getvalue()
    xlsx = tmp_path / "kpi.xlsx"
    call_command("report", "kpi", as_of="2025-10-15", format="xlsx", output=str(xlsx), stdout=StringIO())
    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["revenue", "debt", "participants", "coverage", "enforcement", "ranking"]
    cells = {row[0].value: row[1].value for row in wb["debt"].iter_rows(min_row=3)}
    assert cells["interest_bearing"] == 16_000_000
