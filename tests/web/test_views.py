"""Every page of the staff app on the hand-built province of :mod:`tests.web.helpers`:
the worked numbers on screen, and a user of one grassroots office seeing nothing of another."""
from __future__ import annotations

import json
import re
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from sicollect.core.models import AuditEvent

from sicollect.exchange.models import BankEntry, ImportBatch, SuspenseItem
from sicollect.registry.models import Unit

from ..tools import missing_tool
from .helpers import PASSWORD, as_user

pytestmark = pytest.mark.django_db


def _weasyprint_missing() -> str | None:
    try:
        import weasyprint  # noqa: F401  (loads pango)
    except (ImportError, OSError) as e:
        return f"WeasyPrint cannot load ({e}); scripts/test.sh installs Debian's pango and fonts-dejavu-core"
    return None


needs_pdf = pytest.mark.skipif(_weasyprint_missing() is not None, reason=missing_tool(_weasyprint_missing()) or "")


def text(resp: Any) -> str:
    return resp.content.decode()


# --------------------------------------------------------------------------- login, language


def test_pages_need_a_login_and_the_login_page_is_vietnamese(qn: dict[str, Any]) -> None:
    c = Client()
    resp = c.get("/worklist/")
    assert resp.status_code == 302 and resp["Location"] == "/login/?next=/worklist/"
    page = text(c.get("/login/"))
    assert "Đăng nhập" in page and "Tên đăng nhập" in page
    resp = c.post("/login/", {"username": "hl_off", "password": PASSWORD, "next": "/worklist/"})
    assert resp.status_code == 302 and resp["Location"] == "/worklist/"
    assert "HL001" in text(c.get("/worklist/"))
    assert "Sai tên đăng nhập" in text(c.post("/login/", {"username": "hl_off", "password": "wrong"}))


def test_the_language_switches_to_english_and_back(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    assert "Đơn vị nợ" in text(c.get("/worklist/"))
    c.post("/i18n/setlang/", {"language": "en", "next": "/worklist/"})
    page = text(c.get("/worklist/"))
    assert "Debtors" in page and "Months late" in page and "Đơn vị nợ" not in page
    assert "900.000 đ" in page  # amounts keep the Vietnamese form in English too
    c.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "Số tháng nợ" in text(c.get("/worklist/"))


def test_an_english_browser_still_gets_vietnamese_until_the_user_switches(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    assert "Đơn vị nợ" in text(c.get("/worklist/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    c.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="en-US")
    assert "Debtors" in text(c.get("/worklist/", HTTP_ACCEPT_LANGUAGE="en-US"))


def test_logout_is_a_post_and_lands_on_the_login_page(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_off")
    resp = c.post("/logout/")
    assert resp.status_code == 302 and resp["Location"] == "/login/"
    assert c.get("/").status_code == 302


def test_a_user_without_a_profile_sees_nothing(qn: dict[str, Any]) -> None:
    from django.contrib.auth.models import User

    c = Client()
    c.force_login(User.objects.create_user("nobody", password=PASSWORD))
    assert c.get("/units/HL001/").status_code == 404
    assert "HL001" not in text(c.get("/units/?q=HL"))
    assert "HL001" not in text(c.get("/worklist/"))
    assert c.get("/").status_code == 404


# --------------------------------------------------------------------------- units


def test_unit_page_shows_the_statement_interest_and_history_with_worked_numbers(qn: dict[str, Any]) -> None:
    """HL001 in Oct 2025: 450,000 HI assessed, 1,350,000 carried from Jul–Sep, 1,800,000 to carry on;
    interest 0.03 % a day for 31 days on July's and August's 450,000: 2 × 4,185 = 8,370."""
    page = text(as_user(qn, "hl_off").get("/units/HL001/"))
    assert "Công ty HL001" in page and "5700100001" in page and "BHXH Hạ Long" in page
    table = page.split('id="statement-table"')[1].split("</table>")[0]
    assert "B. Phát sinh trong kỳ – phải đóng" in table
    assert "450.000 đ" in table and "1.350.000 đ" in table and "1.800.000 đ" in table
    assert "8.370 đ" in table and "4.050 đ" in table and "12.420 đ" in table
    interest = page.split('id="interest"')[1].split("</table>")[0]
    assert interest.count("theo ngày") == 2 and interest.count("0.03%") == 2 and "31" in interest
    assert "2025-07" in interest and "2025-08" in interest and "01/10/2025" in interest and "31/10/2025" in interest
    history = page.split('id="debt-history"')[1].split("</table>")[0]
    assert "II" in history and "1-3" in history
    assert "Nguyễn Thị Lan" in page and "*********234" in page and "022085001234" not in page
    assert "10.000.000 đ" in page  # the wage


def test_unit_page_shows_any_month(qn: dict[str, Any]) -> None:
    page = text(as_user(qn, "hl_mgr").get("/units/HL001/?month=2025-07"))
    table = page.split('id="statement-table"')[1].split("</table>")[0]
    assert "450.000 đ" in table and "4.050" not in table  # July: assessed, no interest yet
    assert "022085001234" in page  # a manager sees the full national ID


def test_unit_pages_are_scoped(qn: dict[str, Any]) -> None:
    assert as_user(qn, "cp_mgr").get("/units/HL001/").status_code == 404
    assert as_user(qn, "hl_off2").get("/units/HL001/").status_code == 404  # not their unit
    assert as_user(qn, "hl_off").get("/units/HL002/").status_code == 404
    assert as_user(qn, "hl_mgr").get("/units/CP001/").status_code == 404
    assert as_user(qn, "prov").get("/units/CP001/").status_code == 200
    assert as_user(qn, "cp_mgr").get("/units/HL001/statement.pdf").status_code == 404
    assert as_user(qn, "cp_mgr").get("/units/HL001/statement.xlsx").status_code == 404


def test_unit_search_by_code_name_and_tax_code_is_scoped(qn: dict[str, Any]) -> None:
    page = text(as_user(qn, "hl_mgr").get("/units/?q=57001"))
    assert "HL001" in page and "HL002" in page and "CP001" not in page
    page = text(as_user(qn, "prov").get("/units/?q=5700"))
    assert "HL001" in page and "CP001" in page
    assert "CP001" not in text(as_user(qn, "hl_mgr").get("/units/?q=CP"))
    assert "HL00" not in text(as_user(qn, "cp_mgr").get("/units/?q=HL"))
    assert "HL002" not in text(as_user(qn, "hl_off").get("/units/?q=HL"))
    fragment = as_user(qn, "hl_mgr").get("/units/?q=Công ty HL002", HTTP_HX_REQUEST="true")
    assert "<html" not in text(fragment) and "HL002" in text(fragment) and "HL001" not in text(fragment)


@needs_pdf
def test_statement_pdf(qn: dict[str, Any]) -> None:
    pdf = as_user(qn, "hl_off").get("/units/HL001/statement.pdf?month=2025-10")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"C12-TS-HL001-2025-10.pdf" in pdf["Content-Disposition"].encode()


def test_statement_xlsx(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_off")
    xlsx = c.get("/units/HL001/statement.xlsx?month=2025-10")
    ws = load_workbook(BytesIO(xlsx.content)).active
    rows = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert rows["B. Phát sinh trong kỳ – phải đóng"] == (0, 450_000, 0, 0, 450_000)
    assert rows["D. Chuyển kỳ sau – số phải đóng"][-1] == 1_800_000
    assert rows["B. Lãi chậm đóng phát sinh"][-1] == 8_370
    assert c.get("/units/HL001/statement.doc").status_code == 404


# --------------------------------------------------------------------------- worklist


def rows_of(page: str) -> list[str]:
    return re.findall(r'<td><a href="/units/([A-Z0-9]+)/">', page.split('id="worklist-table"')[1])


def test_worklist_shows_late_debt_as_of_the_last_closed_month(qn: dict[str, Any]) -> None:
    page = text(as_user(qn, "prov").get("/worklist/"))
    assert "31/10/2025" in page
    assert rows_of(page) == ["HL001", "CP001"]  # most late debt first
    assert "900.000 đ" in page and "450.000 đ" in page and "1.350.000 đ" in page  # the total
    assert "HL002" not in page


def test_worklist_is_scoped(qn: dict[str, Any]) -> None:
    assert rows_of(text(as_user(qn, "hl_mgr").get("/worklist/"))) == ["HL001"]
    assert rows_of(text(as_user(qn, "cp_mgr").get("/worklist/"))) == ["CP001"]
    assert rows_of(text(as_user(qn, "hl_off").get("/worklist/"))) == ["HL001"]
    assert rows_of(text(as_user(qn, "hl_off2").get("/worklist/"))) == []
    assert rows_of(text(as_user(qn, "cp_off").get("/worklist/"))) == ["CP001"]
    assert as_user(qn, "cp_off").get("/units/HL001/").status_code == 404
    assert as_user(qn, "hl_mgr").get("/worklist/?office=CP").status_code == 404
    page = text(as_user(qn, "cp_mgr").get("/worklist/"))
    assert "hl_off" not in page and ">HL<" not in page and "HL001" not in page


@pytest.mark.parametrize(("query", "expected"), [
    ("office=CP", ["CP001"]),
    ("officer=none", []),
    ("min_amount=500.000", ["HL001"]),
    ("min_months=2", ["HL001"]),
    ("bucket=3-6", []),
    ("class=II", ["HL001", "CP001"]),
    ("sort=code", ["CP001", "HL001"]),
    ("q=cp0", ["CP001"]),
    ("as_of=2025-09-30", ["HL001"]),  # CP001's August is late only from 1 Oct
])
def test_worklist_filters_and_sorts(qn: dict[str, Any], query: str, expected: list[str]) -> None:
    assert rows_of(text(as_user(qn, "prov").get(f"/worklist/?{query}"))) == expected


def test_worklist_filters_by_officer(qn: dict[str, Any]) -> None:
    officer = qn["users"]["hl_off"]
    assert rows_of(text(as_user(qn, "prov").get(f"/worklist/?officer={officer.pk}"))) == ["HL001"]


def test_worklist_exports_what_it_shows(qn: dict[str, Any]) -> None:
    resp = as_user(qn, "hl_mgr").get("/worklist/?format=xlsx")
    ws = load_workbook(BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    # the columns of the page (issue 20): late debt and outstanding, then interest, last payment, … (test_worklist)
    assert rows[2][:2] == ("HL001", "Công ty HL001") and rows[2][7:9] == (900_000, 1_800_000)
    assert rows[2][2:7] == ("HL", "hl_off", 2, "1 – < 3 tháng", "II")
    assert rows[-1][0] == "Tổng" and len(rows) == 4  # title, header, HL001, total: nothing of CP


def test_bulk_assign_over_htmx(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    other = qn["users"]["hl_off2"]
    resp = c.post("/worklist/assign/", {"unit": ["HL001", "CP001"], "officer_id": other.pk, "next": "sort=code"},
                  HTTP_HX_REQUEST="true")
    page = text(resp)
    assert resp.status_code == 200 and "<html" not in page and "hl_off2" in page
    assert "Đã giao 1 đơn vị." in page  # CP001 is not theirs: untouched
    assert Unit.objects.get(code="HL001").officer == other and Unit.objects.get(code="CP001").officer.username == "cp_off"
    event = AuditEvent.objects.get(action="assign_officer")
    assert (event.actor, event.object_id, event.detail["after"]["officer"]) == ("hl_mgr", "HL001", other.pk)
    # the previous officer no longer sees the unit, the new one does
    assert as_user(qn, "hl_off").get("/units/HL001/").status_code == 404
    assert as_user(qn, "hl_off2").get("/units/HL001/").status_code == 200


def test_bulk_assign_needs_a_manager_and_an_officer_of_their_offices(qn: dict[str, Any]) -> None:
    assert as_user(qn, "hl_off").post("/worklist/assign/", {"unit": ["HL001"], "officer_id": ""}).status_code == 403
    assert as_user(qn, "hl_view").post("/worklist/assign/", {"unit": ["HL001"]}).status_code == 403
    cp_user = qn["users"]["cp_mgr"]
    resp = as_user(qn, "hl_mgr").post("/worklist/assign/", {"unit": ["HL001"], "officer_id": cp_user.pk})
    assert resp.status_code == 404
    assert Unit.objects.get(code="HL001").officer == qn["users"]["hl_off"]


# --------------------------------------------------------------------------- persons


def test_person_search_masks_ids_unless_the_role_may_see_them(qn: dict[str, Any]) -> None:
    page = text(as_user(qn, "hl_off").get("/persons/?q=Nguyễn"))
    assert "2201000001" in page and "*********234" in page and "022085001234" not in page
    assert "022085001234" in text(as_user(qn, "hl_mgr").get("/persons/?q=Nguyễn"))
    assert "022085001234" not in text(as_user(qn, "hl_view").get("/persons/?q=Nguyễn"))
    # a masked user finds a person by the whole number only
    assert "2201000001" not in text(as_user(qn, "hl_off").get("/persons/?q=0850"))
    assert "2201000001" in text(as_user(qn, "hl_off").get("/persons/?q=022085001234"))
    assert "2201000001" in text(as_user(qn, "hl_mgr").get("/persons/?q=0850"))


def test_persons_are_scoped(qn: dict[str, Any]) -> None:
    assert "Nguyễn Thị Lan" not in text(as_user(qn, "cp_mgr").get("/persons/?q=Nguyễn"))
    assert "Trần Văn Cẩm" not in text(as_user(qn, "hl_mgr").get("/persons/"))
    assert as_user(qn, "cp_mgr").get("/persons/2201000001/").status_code == 404
    page = text(as_user(qn, "hl_mgr").get("/persons/2201000001/"))
    assert "HL001" in page and "2025-07" in page and "10.000.000 đ" in page and "HI" in page


# --------------------------------------------------------------------------- dashboard and KPI


def charts_of(page: str) -> dict[str, Any]:
    return json.loads(page.split('<script id="charts-data" type="application/json">')[1].split("</script>")[0])


def test_dashboard_of_the_province(qn: dict[str, Any]) -> None:
    """Received in 2025: HL002's 3,200,000 in October, of a 100,000,000 plan (3.20 %). Late debt on
    31 Oct: 900,000 + 450,000 = 1,350,000, 1.35 % of the plan, against a 3 % ceiling."""
    page = text(as_user(qn, "prov").get("/"))
    assert "Toàn tỉnh" in page and "31/10/2025" in page
    assert "3.200.000 đ" in page and "3,20 %" in page
    assert "1.350.000 đ" in page and "1,35 %" in page and "3,00 %" in page
    charts = charts_of(page)
    assert charts["revenue"]["this_year"][-1] == 3_200_000 and len(charts["revenue"]["this_year"]) == 10
    assert charts["revenue"]["plan"][-1] == 100_000_000
    assert charts["debt_ratio"]["values"][-3:] == [0.0, 0.45, 1.35] and charts["debt_ratio"]["target"] == 3.0
    assert charts["aging"]["amounts"][1] == 1_350_000 and charts["aging"]["units"][1] == 2
    assert charts["ranking"]["labels"] == ["BHXH Cẩm Phả", "BHXH Hạ Long"]  # lower late-debt ratio first
    ranking = page.split('id="ranking"')[1].split("</table>")[0]
    assert "1,13 %" in ranking and "1,50 %" in ranking  # 450,000 / 40 M and 900,000 / 60 M
    assert "chart.umd.min.js" in page and "dashboard.js" in page
    assert '/worklist/?bucket=1-3&as_of=2025-10-31"' in page  # each aging bucket opens its debtors


def test_dashboard_of_a_grassroots_office_shows_nothing_of_another(qn: dict[str, Any]) -> None:
    page = text(as_user(qn, "hl_mgr").get("/"))
    assert "BHXH Hạ Long" in page and "900.000 đ" in page and "1,50 %" in page
    assert "Cẩm Phả" not in page and "1.350.000" not in page and "ranking" not in charts_of(page)
    assert as_user(qn, "hl_mgr").get("/?office=CP").status_code == 404
    assert as_user(qn, "hl_mgr").get("/kpi.xlsx?office=CP").status_code == 404
    assert "BHXH Cẩm Phả" in text(as_user(qn, "prov").get("/?office=CP"))


def test_kpi_xlsx(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    wb = load_workbook(BytesIO(c.get("/kpi.xlsx").content))
    rows = list(wb["debt"].iter_rows(values_only=True))
    debt = {r[0]: r[1] for r in rows if r and r[0]}
    assert rows[0][2:] == ("office", "HL") and debt["interest_bearing"] == 900_000
    assert "ranking" not in wb.sheetnames
    assert "ranking" in load_workbook(BytesIO(as_user(qn, "prov").get("/kpi.xlsx").content)).sheetnames


@needs_pdf
def test_kpi_pdf(qn: dict[str, Any]) -> None:
    pdf = as_user(qn, "hl_mgr").get("/kpi.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert as_user(qn, "hl_mgr").get("/kpi.pdf?office=CP").status_code == 404


# --------------------------------------------------------------------------- suspense queue


def suspense_item(n: int, candidates: list[dict[str, Any]], amount: int = 450_000) -> SuspenseItem:
    batch = ImportBatch.objects.get_or_create(kind="bank", sha256="x" * 64, defaults={"file_name": "s.xml"})[0]
    entry = BankEntry.objects.create(batch=batch, statement_id="S1", entry_id=f"E{n}", booked_on=date(2025, 10, 28),
                                     amount=amount, direction="credit", state="suspense",
                                     message=f"NOP BHXH T10 {n}", counterparty_name=f"CONG TY {n}")
    return SuspenseItem.objects.create(entry=entry, reason="no unit code", candidates=candidates)


def test_suspense_queue_is_scoped_and_an_item_is_assigned_to_a_unit(qn: dict[str, Any]) -> None:
    mine = suspense_item(1, [{"unit": "HL001", "score": 80, "via": "name"}, {"unit": "CP001", "score": 60, "via": "name"}])
    theirs = suspense_item(2, [{"unit": "CP001", "score": 90, "via": "name"}])
    page = text(as_user(qn, "hl_mgr").get("/suspense/"))
    assert "NOP BHXH T10 1" in page and "NOP BHXH T10 2" not in page and "CP001" not in page
    assert "28/10/2025" in page and "450.000 đ" in page
    prov_page = text(as_user(qn, "prov").get("/suspense/"))
    assert "NOP BHXH T10 1" in prov_page and "NOP BHXH T10 2" in prov_page
    c = as_user(qn, "hl_mgr")
    assert c.post(f"/suspense/{theirs.pk}/assign/", {"unit": "CP001"}).status_code == 404
    c.post(f"/suspense/{mine.pk}/assign/", {"unit": "CP001"})  # a unit they do not see
    mine.refresh_from_db()
    assert mine.status == "open"
    resp = c.post(f"/suspense/{mine.pk}/assign/", {"unit": "HL001", "note": "called them"}, follow=True)
    mine.refresh_from_db()
    assert mine.status == "assigned" and mine.unit.code == "HL001" and mine.decided_by == "hl_mgr"
    assert mine.payment.amount == 450_000 and "Đã gán cho đơn vị HL001." in text(resp)
    assert as_user(qn, "hl_off").post(f"/suspense/{theirs.pk}/dismiss/", {"note": "x"}).status_code == 403


def test_suspense_dismiss_needs_a_reason(qn: dict[str, Any]) -> None:
    item = suspense_item(3, [{"unit": "HL001", "score": 50, "via": "name"}])
    c = as_user(qn, "prov")
    page = text(c.post(f"/suspense/{item.pk}/dismiss/", {"note": " "}, follow=True))
    item.refresh_from_db()
    assert item.status == "open" and "say why" in page
    c.post(f"/suspense/{item.pk}/dismiss/", {"note": "returned to the sender"})
    item.refresh_from_db()
    assert item.status == "dismissed" and item.entry.state == "dismissed"


def test_the_admin_edits_a_users_office_and_role(qn: dict[str, Any]) -> None:
    from django.contrib.auth.models import User

    c = Client()
    c.force_login(User.objects.create_superuser("root", password=PASSWORD))
    page = text(c.get("/admin/auth/user/"))
    assert "hl_off" in page and "HL BHXH Hạ Long" in page
    page = text(c.get(f"/admin/auth/user/{qn['users']['hl_off'].pk}/change/"))
    assert 'name="staff-0-role"' in page and 'value="officer" selected' in page
