"""Defects found trying the app as a new user would (issue 20), each pinned by a test, on the
hand-built province of helpers.py (closed through Oct 2025; late debt 900,000 + 450,000 = 1,350,000
against a plan of 100,000,000: 1,35 %, under the 3 % ceiling)."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string

from sicollect.plans.models import PlanTarget
from sicollect.web.plan_views import weekly_default

from .helpers import as_user

pytestmark = pytest.mark.django_db


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)  # type: ignore[union-attr]


def test_the_persons_title_is_a_title_not_the_export_form(qn: dict[str, Any]) -> None:
    page = as_user(qn, "prov").get("/persons/?q=Lan").content.decode()
    t = title(page)
    assert "<" not in t and "csrf" not in t and t.startswith("Người") and "· Lan ·" in t


def test_the_late_debt_card_is_red_only_over_the_ceiling(qn: dict[str, Any]) -> None:
    card = as_user(qn, "prov").get("/").content.decode().split('id="kpi-debt"')[1][:300]
    assert 'class="v ok"' in card and "1.350.000 đ" in card
    PlanTarget.objects.filter(indicator="debt_ratio_ceiling_bp").update(value=100)  # 1 %: now over it
    cache.clear()
    card = as_user(qn, "prov").get("/").content.decode().split('id="kpi-debt"')[1][:300]
    assert 'class="v bad"' in card


def test_the_forecast_says_why_no_month_is_left(qn: dict[str, Any]) -> None:
    c = as_user(qn, "prov")
    open_year = c.get("/plans/forecast/").content.decode()
    assert 'id="needed-empty"' not in open_year and "<tr><td>11</td>" in open_year.split('id="needed"')[1][:400]
    year_end = c.get("/plans/forecast/?as_of=2025-12-31").content.decode()
    assert 'id="needed-empty"' in year_end and "31/12/2025" in year_end.split('id="needed-empty"')[1][:300]


def test_the_weekly_summary_does_not_open_on_a_week_across_the_year() -> None:
    assert weekly_default(date(2025, 12, 31)) == date(2025, 12, 28)  # Mon 29 Dec – Sun 4 Jan: the week before
    assert weekly_default(date(2025, 12, 28)) == date(2025, 12, 28)  # Sunday: its week is in 2025
    assert weekly_default(date(2025, 10, 31)) == date(2025, 10, 31)


def test_the_weekly_page_opens_on_the_last_closed_day_within_its_year(qn: dict[str, Any]) -> None:
    r = as_user(qn, "prov").get("/plans/weekly/")
    assert r.context["as_of"] == date(2025, 10, 31)


def test_coverage_above_100_percent_is_flagged() -> None:
    over = render_to_string("web/_coverage_pct.html", {"v": 127.55})
    assert 'class="n flag"' in over and "127,55 % ⚠" in over
    under = render_to_string("web/_coverage_pct.html", {"v": 99.5})
    assert "flag" not in under and "99,50 %" in under and "⚠" not in under


def test_the_chart_axis_prints_percents_as_the_tables_do() -> None:
    from pathlib import Path

    import sicollect.web

    js = (Path(sicollect.web.__file__).parent / "static/web/dashboard.js").read_text()
    assert 'toLocaleString("vi-VN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " %"' in js
    assert 'return v + " %"' not in js


def test_codes_are_words_in_vietnamese_and_the_data_labels_english_in_english(qn: dict[str, Any]) -> None:
    from django.conf import settings

    c = as_user(qn, "prov")
    page = c.get("/units/HL001/").content.decode()
    ledger = page.split('id="ledger"')[1].split("</table>")[0]
    assert "<td>BHYT</td>" in ledger and "<td>HI</td>" not in ledger
    table = c.get("/worklist/").content.decode().split('id="worklist"')[-1]
    assert "1 – &lt; 3 tháng" in table and "<td>1-3</td>" not in table
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = c.get("/units/HL001/").content.decode()
    assert "B. Assessed this period" in page and "B. Phát sinh trong kỳ" not in page
    assert "<dd>Active</dd>" in page and "health insurance" in page
    assert "Đang hoạt động" not in page and "Phải đóng" not in page


def test_suspense_reasons_and_inspection_headers_in_vietnamese(qn: dict[str, Any]) -> None:
    from django.utils import translation

    from sicollect.web.labels import suspense_reason

    with translation.override("vi"):
        assert suspense_reason("no unit named like 'CTY ABC'") == "không có đơn vị nào tên giống 'CTY ABC'"
        assert suspense_reason("payer name 'X' is not a clear match (best 80, next 78)") == (
            "tên người nộp 'X' không khớp rõ ràng (cao nhất 80, kế tiếp 78)")
    head = as_user(qn, "prov").get("/arrears/inspection/").content.decode().split("<thead>")[1].split("</thead>")[0]
    assert "số tháng chậm (≤ 35)" in head and "months (" not in head and "trend" not in head and "floor" not in head


def test_the_favicon_and_print_styles_exist(client: Any) -> None:
    from pathlib import Path

    import sicollect.web

    r = client.get("/favicon.ico")  # no login needed: browsers fetch it on the login page too
    assert r.status_code == 200 and r["Content-Type"] == "image/x-icon" and r.content[:4] == b"\x00\x00\x01\x00"
    css = (Path(sicollect.web.__file__).parent / "static/web/app.css").read_text()
    assert "@media print" in css and "header.top, form, .pager" in css
