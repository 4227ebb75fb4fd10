"""The plan and coverage pages on the hand-built province of :mod:`tests.web.helpers`.

At 31 Oct 2025 (closed through October): revenue plans HL 60,000,000 and CP 40,000,000; HL collected
3,200,000 (HL002, 20 Oct) = 5.33 %, CP nothing = 0.00 %; late debt HL 900,000 = 1.50 % of its plan,
CP 450,000 = 1.13 % (1.125 half up). HL's manager sees HL only; another office's figures never appear.
"""
from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from sicollect.plans.models import Assignment, Evaluation
from sicollect.registry.models import Commune

from .helpers import as_user

pytestmark = pytest.mark.django_db


def rows_of(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start:html.index("</table>", start)]


def test_progress_page_ranks_offices_with_the_hand_figures(qn: dict[str, Any]) -> None:
    html = as_user(qn, "prov").get("/plans/?as_of=2025-10-31").content.decode()
    table = rows_of(html, "progress")
    assert table.index("BHXH Hạ Long") < table.index("BHXH Cẩm Phả")  # rank 1 by revenue, then rank 2
    assert "3.200.000 đ" in table and "5,33 %" in table and "1,50 %" in table and "1,13 %" in table


def test_a_grassroots_manager_sees_their_office_only(qn: dict[str, Any]) -> None:
    client = as_user(qn, "hl_mgr")
    for url in ("/plans/?as_of=2025-10-31", "/plans/weekly/?as_of=2025-10-31", "/coverage/?as_of=2025-10-31",
                "/plans/?as_of=2025-10-31&level=office&period=month"):
        html = client.get(url).content.decode()
        assert "Cẩm Phả" not in html, url
    assert "BHXH Hạ Long" in client.get("/plans/?as_of=2025-10-31").content.decode()
    assert client.get("/plans/forecast/?office=CP").status_code == 404


def test_an_officer_sees_their_own_line_among_officers(qn: dict[str, Any]) -> None:
    """HL's officers: hl_off (HL001, which paid nothing) and hl_off2; hl_off sees only hl_off."""
    Assignment.objects.create(year=2025, office=qn["offices"]["HL"], officer=qn["users"]["hl_off"],
                              indicator="revenue", value=30_000_000)
    html = as_user(qn, "hl_off").get("/plans/?as_of=2025-10-31&level=officer").content.decode()
    table = rows_of(html, "progress")
    assert "hl_off<" in table and "hl_off2" not in table and "30.000.000 đ" in table


def test_weekly_page_and_xlsx(qn: dict[str, Any]) -> None:
    """The week of Mon 20 Oct … Sun 26 Oct 2025: HL collected 3,200,000 of 60,000,000 × 7 / 365 = 1,150,685."""
    client = as_user(qn, "prov")
    html = client.get("/plans/weekly/?as_of=2025-10-26").content.decode()
    assert "20/10/2025" in html and "1.150.685 đ" in html
    resp = client.get("/plans/weekly.xlsx?as_of=2025-10-26")
    sheet = load_workbook(BytesIO(resp.content)).active
    assert [sheet.cell(r, 1).value for r in (3, 4, 5)] == ["QN", "CP", "HL"]
    assert (sheet.cell(5, 3).value, sheet.cell(5, 4).value) == (3_200_000, 1_150_685)
    assert client.get("/plans/weekly.pdf").status_code == 404


def test_forecast_and_coverage_pages_in_both_languages(qn: dict[str, Any]) -> None:
    Commune.objects.create(code="X1", name="Phường Bãi Cháy", office=qn["offices"]["HL"], population=100,
                           labour_force=50)
    client = as_user(qn, "prov")
    html = client.get("/plans/forecast/?as_of=2025-10-31").content.decode()
    assert "Dự báo cuối năm" in html and "100.000.000 đ" in html  # the province's target
    html = client.get("/coverage/?as_of=2025-10-31").content.decode()
    assert "Phường Bãi Cháy" in html and "Độ bao phủ theo xã" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Coverage by commune" in client.get("/coverage/").content.decode()
    assert "Year-end forecast" in client.get("/plans/forecast/").content.decode()


def test_evaluations_are_listed_on_the_progress_page(qn: dict[str, Any]) -> None:
    Evaluation.objects.create(kind="month", period="2025-10", level="office", as_of="2025-10-31", figures=[],
                              comment="Cẩm Phả cần đôn đốc", made_by="Giám đốc")
    assert "Cẩm Phả cần đôn đốc" in as_user(qn, "prov").get("/plans/").content.decode()
    assert "Cẩm Phả cần đôn đốc" not in as_user(qn, "hl_mgr").get("/plans/").content.decode()


def test_coverage_page_lists_development_leads_with_masked_ids(qn: dict[str, Any]) -> None:
    """A voluntary member of HL who stopped paying in August 2025 is a lead at 31 Oct (ID masked);
    CP's manager does not see it."""
    from sicollect.core.months import Month
    from sicollect.coverage.models import VoluntaryEnrolment
    from sicollect.registry.models import Person

    p = Person.objects.create(si_code="2209999999", national_id="022099123456", full_name="Lê Văn Dừng", sex="M")
    VoluntaryEnrolment.objects.create(person=p, office=qn["offices"]["HL"], income=1_500_000,
                                      from_month=Month(2025, 1), to_month=Month(2025, 8))
    html = as_user(qn, "hl_mgr").get("/coverage/?as_of=2025-10-31").content.decode()
    table = rows_of(html, "leads")
    assert html.count('id="leads"') == 1 and "<table" not in html.split("</title>")[0]  # in the page, not its title
    assert "Lê Văn Dừng" in table and "Dừng đóng BHXH tự nguyện" in table and "022099123456" not in table
    assert "Lê Văn Dừng" not in as_user(qn, "cp_mgr").get("/coverage/?as_of=2025-10-31").content.decode()
