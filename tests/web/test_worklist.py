"""The worklist's columns (interest owed, last payment, last contact, case step, pending promise), its sorts by a
column's header, the saved filters, and the xlsx export of what is on screen (issue 20).

The province of :func:`tests.web.helpers.build` (HI 4.5 %, interest 0.03 % a day), with two more payments and
one more unit, all before the October 2025 close; seen on 31 Oct 2025:

* HL001 (wage 10 M: 450,000 a month from Jul) pays 450,000 on 10 Oct. It first pays September's interest
  (July 450,000 × 30 days of Sep × 0.03 % = 4,050), then 445,950 of July. October's interest: July 450,000 ×
  9 days (1–9 Oct) = 1,215, August 450,000 × 31 days = 4,185, and July's remaining 4,050 × 22 days (10–31 Oct)
  = 26.73: 5,426.73 → **5,427 đ owed** (4,050 charged − 4,050 paid + 5,427). Late 454,050 (4,050 of July and
  August), 2 months. Last payment **10/10/2025, 450,000 đ**.
* CP001 (450,000 a month from Aug) never pays: August late from 1 Oct: interest 450,000 × 31 × 0.03 % =
  **4,185 đ**; late 450,000, 1 month; no payment.
* CP002 (wage 20 M: 900,000 a month from Jul) pays 900,000 on 20 Sep, July's: September's interest 900,000 ×
  19 days (1–19 Sep) = 5,130, October's August 900,000 × 31 days = 8,370: **13,500 đ**; late 900,000, 1 month.
  Last payment 20/09/2025, 900,000 đ.

Contacts: HL001 called on 5 Oct 2025, promising 454,050 by 30 Nov; CP001 visited on 20 Oct, promising 450,000
by 15 Nov. Steps: the close proposed NOTICE to each open case; HL001's and CP002's are confirmed on 31 Oct,
and HL001's LATE_NOTICE too.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from sicollect.arrears.followups import Entry, do_log_followup
from sicollect.arrears.ladder import do_confirm_steps
from sicollect.arrears.models import Case, CaseStep, LadderStep, StepStatus
from sicollect.core.models import AuditEvent
from sicollect.web.models import SavedFilter

from .. import factories as f
from .helpers import as_user, build

pytestmark = pytest.mark.django_db


def _more(u: dict[str, Any]) -> None:
    f.payment(u["HL001"], date(2025, 10, 10), 450_000, "HL-PAY-1")
    cp2 = f.unit("CP002", office=u["CP001"].office, tax_code="5700200002")
    f.participation(cp2, f.person("2202000004"), "2025-07", None, 20_000_000, "HI")
    f.payment(cp2, date(2025, 9, 20), 900_000, "CP-PAY-1")


@pytest.fixture
def qn() -> dict[str, Any]:
    qn = build(_more)
    units = {u.code: u for u in qn["units"].values()}
    do_log_followup(units["HL001"], qn["users"]["hl_off"],
                    Entry("call", date(2025, 10, 5), "promised", promise_amount=454_050,
                          promise_date=date(2025, 11, 30)), "test")
    do_log_followup(units["CP001"], qn["users"]["cp_off"],
                    Entry("visit", date(2025, 10, 20), "promised", promise_amount=450_000,
                          promise_date=date(2025, 11, 15)), "test")
    hl_case = Case.objects.get(unit__code="HL001", closed_on__isnull=True)
    CaseStep.objects.create(case=hl_case, step=LadderStep.objects.get(code="LATE_NOTICE"), proposed_on=date(2025, 10, 31))
    ids = list(CaseStep.objects.filter(case__unit__code__in=["HL001", "CP002"], status=StepStatus.PROPOSED)
               .values_list("pk", flat=True))
    do_confirm_steps(ids, "prov", "test", on=date(2025, 10, 31))
    return qn


def rows_of(page: str) -> list[str]:
    return re.findall(r'<td><a href="/units/([A-Z0-9]+)/">', page.split('id="worklist-table"')[1])


def cells_of(page: str, code: str) -> list[str]:
    row = page.split(f'<a href="/units/{code}/">{code}</a></td>')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


CALL_EN = "Call"


def english(qn: dict[str, Any]) -> Any:
    c = as_user(qn, "prov")
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return c


def get(qn: dict[str, Any], query: str = "", who: str = "prov") -> str:
    resp = as_user(qn, who).get(f"/worklist/?{query}")
    assert resp.status_code == 200, resp.content.decode()[:500]
    return resp.content.decode()


def test_the_new_columns_with_worked_numbers(qn: dict[str, Any]) -> None:
    page = get(qn)
    assert rows_of(page) == ["CP002", "HL001", "CP001"]  # most late debt first: 900,000, 454,050, 450,000
    # name, office, officer, months, age, class, late, outstanding, interest, last payment, contact, step, promise
    assert cells_of(page, "HL001")[6:] == ["454.050 đ", "1.354.050 đ", "5.427 đ", "10/10/2025 · 450.000 đ",
                                           "05/10/2025 · Gọi điện", "Thông báo chậm đóng", "454.050 đ · 30/11/2025"]
    assert cells_of(page, "CP001")[8:] == ["4.185 đ", "—", "20/10/2025 · Đến làm việc", "—", "450.000 đ · 15/11/2025"]
    assert cells_of(page, "CP002")[8:] == ["13.500 đ", "20/09/2025 · 900.000 đ", "—",
                                           "Thông báo kết quả đóng, nhắc nợ", "—"]
    assert "lãi chậm đóng còn nợ 23.112 đ" in page  # 5,427 + 4,185 + 13,500
    # in English, the headers and the contact's kind follow the language
    en = english(qn).get("/worklist/").content.decode()
    assert ">Interest owed</a>" in en and ">Last payment</a>" in en and ">Pending promise</a>" in en
    assert cells_of(en, "HL001")[10] == f"05/10/2025 · {CALL_EN}"


def test_the_facts_respect_the_date(qn: dict[str, Any]) -> None:
    """On 30 Sep 2025 HL001 had not paid yet and owed September's 4,050 đ of interest; it had no contact yet."""
    page = get(qn, "as_of=2025-09-30")
    assert rows_of(page) == ["HL001"]  # the Augusts are late only from 1 Oct; CP002 paid its July
    assert cells_of(page, "HL001")[6:] == ["450.000 đ", "1.350.000 đ", "4.050 đ", "—", "—", "—", "—"]


SORTED = [
    ("", ["CP002", "HL001", "CP001"]),
    ("sort=late&dir=asc", ["CP001", "HL001", "CP002"]),
    ("sort=months", ["HL001", "CP002", "CP001"]),  # 2 months; then 1 month, the larger late debt first
    ("sort=code", ["CP001", "CP002", "HL001"]),
    ("sort=code&dir=desc", ["HL001", "CP002", "CP001"]),
    ("sort=office", ["CP001", "CP002", "HL001"]),
    ("sort=officer", ["CP001", "HL001", "CP002"]),  # cp_off, hl_off; CP002 has none: last
    ("sort=interest", ["CP002", "HL001", "CP001"]),  # 13,500, 5,427, 4,185
    ("sort=interest&dir=asc", ["CP001", "HL001", "CP002"]),
    ("sort=last_payment", ["CP002", "HL001", "CP001"]),  # 20 Sep, 10 Oct; CP001 never paid: last
    ("sort=last_payment&dir=desc", ["HL001", "CP002", "CP001"]),  # never paid stays last
    ("sort=last_contact", ["HL001", "CP001", "CP002"]),  # 5 Oct, 20 Oct; CP002 never contacted
    ("sort=last_contact&dir=desc", ["CP001", "HL001", "CP002"]),
    ("sort=step", ["HL001", "CP002", "CP001"]),  # LATE_NOTICE (20), NOTICE (10); CP001's is only proposed
    ("sort=step&dir=asc", ["CP002", "HL001", "CP001"]),
    ("sort=promise", ["CP001", "HL001", "CP002"]),  # by 15 Nov, by 30 Nov; CP002 promised nothing
    ("sort=promise&dir=desc", ["HL001", "CP001", "CP002"]),
    ("sort=interest&office=CP", ["CP002", "CP001"]),
]


def test_sorts(qn: dict[str, Any]) -> None:
    """Every sort, both ways, on one province (one build: the cases share it)."""
    got = {query: rows_of(get(qn, query)) for query, _expected in SORTED}
    assert got == dict(SORTED)


def test_the_headers_sort_and_say_how(qn: dict[str, Any]) -> None:
    page = get(qn, "sort=interest&office=CP")
    # the sorted column's link turns the direction; the others sort in their natural direction, filters kept
    assert '<th scope="col" class="n" aria-sort="descending" data-col="interest"><a href="?office=CP&amp;sort=interest&amp;dir=asc"' in page
    assert '<a href="?office=CP&amp;sort=last_payment" class="sort">' in page
    assert page.count("aria-sort=") == 1
    page = get(qn, "sort=interest&dir=asc")
    assert 'aria-sort="ascending" data-col="interest"><a href="?sort=interest" class="sort">' in page


def test_a_bad_sort_is_a_400_naming_it(qn: dict[str, Any]) -> None:
    for query, field, value in [("sort=nope", "sort", "nope"), ("sort=interest&dir=up", "dir", "up")]:
        resp = as_user(qn, "prov").get(f"/worklist/?{query}")
        body = resp.content.decode()
        assert resp.status_code == 400 and f"<strong>{field}</strong>:" in body, query
        assert f"&#x27;{value}&#x27;" in body, query


# --------------------------------------------------------------------------- saved filters


def test_save_list_and_delete_a_filter(qn: dict[str, Any]) -> None:
    c = as_user(qn, "prov")
    resp = c.post("/worklist/filters/", {"name": " Cẩm Phả – lãi ", "query": "office=CP&sort=interest&page=3&format=xlsx&as_of=2025-10-31&x=1"})
    assert resp.status_code == 302 and resp["Location"] == "/worklist/?office=CP&sort=interest"
    saved = SavedFilter.objects.get()
    assert (saved.user.username, saved.name, saved.query) == ("prov", "Cẩm Phả – lãi", "office=CP&sort=interest")
    event = AuditEvent.objects.get(action="save_filter")
    assert (event.actor, event.object_id, event.detail["after"]["query"]) == ("prov", str(saved.pk), saved.query)
    page = get(qn)
    assert '<a href="/worklist/?office=CP&amp;sort=interest">Cẩm Phả – lãi</a>' in page
    assert rows_of(get(qn, saved.query)) == ["CP002", "CP001"]
    # the same name again replaces it
    c.post("/worklist/filters/", {"name": "Cẩm Phả – lãi", "query": "office=CP&sort=code"})
    assert list(SavedFilter.objects.values_list("query", flat=True)) == ["office=CP&sort=code"]
    # another user sees none of it and cannot delete it
    other = get(qn, who="hl_mgr")
    assert "Cẩm Phả – lãi" not in other and "Chưa có bộ lọc nào được lưu." in other
    assert as_user(qn, "hl_mgr").post(f"/worklist/filters/{saved.pk}/delete/").status_code == 404
    assert SavedFilter.objects.count() == 1
    resp = c.post(f"/worklist/filters/{saved.pk}/delete/")
    assert resp.status_code == 302 and not SavedFilter.objects.exists()
    assert AuditEvent.objects.get(action="delete_filter").detail["before"]["name"] == "Cẩm Phả – lãi"
    assert c.get(f"/worklist/filters/{saved.pk}/delete/").status_code == 405  # POST only


BAD_FILTERS = [
    ("   ", "sort=code", "required"),
    ("x" * 81, "sort=code", "longer than 80 characters (81)"),
    ("a\x07b", "sort=code", "control character U+0007"),
    ("ok", "sort=nope", "nope"),
    ("ok", "min_amount=lots", "min_amount"),
]


def test_a_bad_filter_is_a_400_and_nothing_is_saved(qn: dict[str, Any]) -> None:
    c = as_user(qn, "prov")
    for name, query, reason in BAD_FILTERS:
        resp = c.post("/worklist/filters/", {"name": name, "query": query})
        assert resp.status_code == 400 and reason in resp.content.decode(), (name, query)
    assert not SavedFilter.objects.exists() and not AuditEvent.objects.filter(action="save_filter").exists()


def test_saving_needs_the_csrf_token(qn: dict[str, Any]) -> None:
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(qn["users"]["prov"])
    assert c.post("/worklist/filters/", {"name": "a", "query": ""}).status_code == 403
    assert not SavedFilter.objects.exists()


# --------------------------------------------------------------------------- xlsx


def test_the_xlsx_rows_are_the_screens_rows(qn: dict[str, Any]) -> None:
    for query in ["", "sort=last_payment&dir=desc", "sort=promise&office=CP", "sort=step&dir=asc&q=CP"]:
        page = get(qn, query)
        resp = as_user(qn, "prov").get(f"/worklist/?{query}&format=xlsx")
        rows = list(load_workbook(BytesIO(resp.content)).active.iter_rows(values_only=True))
        assert [r[0] for r in rows[2:-1]] == rows_of(page), query
        assert len(rows_of(page)) >= 2 and rows[-1][0] == "Tổng"


def test_the_xlsx_columns_and_figures(qn: dict[str, Any]) -> None:
    resp = as_user(qn, "prov").get("/worklist/?format=xlsx")
    rows = list(load_workbook(BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[1] == ("Mã", "Tên", "Cơ quan BHXH", "Cán bộ thu", "Số tháng nợ", "Tuổi nợ", "Phân loại",
                       "Nợ quá hạn (đ)", "Còn phải đóng (đ)", "Lãi chậm đóng còn nợ (đ)",
                       "Lần đóng gần nhất – ngày", "Lần đóng gần nhất (đ)",
                       "Liên hệ gần nhất – ngày", "Liên hệ gần nhất – hình thức", "Bước đã thực hiện",
                       "Hứa đóng đang chờ (đ)", "Hứa đóng đang chờ – ngày")
    hl = next(r for r in rows if r[0] == "HL001")
    assert hl[7:] == (454_050, 1_354_050, 5_427, datetime(2025, 10, 10), 450_000, datetime(2025, 10, 5), "Gọi điện",
                      "Thông báo chậm đóng", 454_050, datetime(2025, 11, 30))  # openpyxl reads dates as datetimes
    assert rows[-1][9] == 23_112


def test_the_xlsx_has_every_row_of_the_filter_not_only_the_page(qn: dict[str, Any], monkeypatch: Any) -> None:
    from sicollect.web import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    page = get(qn, "sort=code")
    assert rows_of(page) == ["CP001", "CP002"] and "Trang 1 / 2" in page
    resp = as_user(qn, "prov").get("/worklist/?sort=code&format=xlsx")
    rows = list(load_workbook(BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[2:-1]] == ["CP001", "CP002", "HL001"]


def test_the_xlsx_headers_follow_the_language(qn: dict[str, Any]) -> None:
    resp = english(qn).get("/worklist/?format=xlsx")
    rows = list(load_workbook(BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[1][9:12] == ("Interest owed (đ)", "Last payment – date", "Last payment (đ)")


def test_a_page_reads_only_its_own_units(qn: dict[str, Any], monkeypatch: Any) -> None:
    """The filters and the sort run over light rows; the units and their facts are read for the page alone
    (web.worklist.Rows), even when the sort is on a fact: page 2 of 2 by last payment reads CP001 only."""
    from sicollect.web import views, worklist

    loaded: list[list[str]] = []
    load = worklist.Rows._load

    def spy(self: Any, keys: list[Any]) -> Any:
        loaded.append([k.code for k in keys])
        return load(self, keys)

    monkeypatch.setattr(worklist.Rows, "_load", spy)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    page = get(qn, "sort=last_payment&page=2")
    # by last payment, oldest first: CP002 (20/09), HL001 (10/10), then CP001, which never paid
    assert rows_of(page) == ["CP001"] and "Trang 2 / 2" in page
    assert loaded == [["CP001"]]
