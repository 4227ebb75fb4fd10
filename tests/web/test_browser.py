"""The staff app in a real browser: Playwright driving the system Chromium (Debian ``chromium``,
installed by ``scripts/test.sh``; never a Playwright browser download).

Screenshots of the dashboard, the worklist and the unit page land in ``artifacts/`` (not
committed) for a reviewer to look at.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from ..tools import missing_tool
from .helpers import PASSWORD, build

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def chromium_path() -> str | None:
    for name in (os.environ.get("SICOLLECT_CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install -r requirements-test.txt)"
    if chromium_path() is None:
        return "no Chromium on PATH: install the Debian package 'chromium' (scripts/test.sh does, as root or with sudo)"
    return None


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_skip_reason() is not None, reason=missing_tool(_skip_reason()) or ""),
]


@pytest.fixture
def browser_page(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"])
        # an English browser: the app still opens in Vietnamese (web.middleware.VietnameseFirstMiddleware)
        context = browser.new_context(locale="en-US", accept_downloads=True, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
    _close_live_server_sessions()


def _close_live_server_sessions() -> None:
    """The live server answers in threads of its own; a keep-alive one can hold a PostgreSQL session
    past the test, and the test database then cannot be dropped at the end of the run."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def log_in(page: Any, base: str, username: str, home: str = "/") -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base}{home}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_officer_works_through_the_app_and_another_office_gets_404(live_server: Any, browser_page: Any) -> None:
    from django.db import connections

    connections.close_all()  # see the test below: a fresh session when another browser test ran first
    build()
    page, base = browser_page, live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    log_in(page, base, "hl_off", "/work/")  # an officer lands on "my work" (issue 20)
    page.goto(f"{base}/")
    assert "Tổng quan" in page.inner_text("h1")
    assert "900.000 đ" in page.inner_text("#kpi-debt")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-revenue') && Chart.getChart('chart-debt')")
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    page.click("text=Đơn vị nợ")
    page.select_option("select[name=class]", "II")
    page.fill("input[name=min_months]", "2")
    page.click("#filter-button")  # HTMX swaps the table and pushes the filtered URL
    page.wait_for_url("**/worklist/?*class=II*")
    assert page.inner_text("#worklist-count") == "1"
    assert "900.000 đ" in page.inner_text("#worklist-table")
    page.screenshot(path=str(ARTIFACTS / "worklist.png"), full_page=True)

    page.click("#worklist-table >> text=HL001")
    page.wait_for_url("**/units/HL001/")
    assert "450.000 đ" in page.inner_text("#statement-table")
    assert "1.800.000 đ" in page.inner_text("#statement-table")
    # every interest charge explains itself: October's 8,370 is July and August, 450,000 late 31 days each
    interest = page.inner_text("#interest")
    assert interest.count("4.185 đ") == 2 and "450.000 đ" in interest and "31" in interest
    page.screenshot(path=str(ARTIFACTS / "unit.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#statement-pdf")
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and info.value.suggested_filename == "C12-TS-HL001-2025-10.pdf"

    page.select_option("#language-form select", "en")
    page.wait_for_selector("text=Statement (C12-TS)")
    assert "Interest detail" in page.content()

    page.click("header.top form button:has-text('Log out')")
    page.wait_for_url("**/login/")
    log_in(page, base, "cp_off", "/work/")
    response = page.goto(f"{base}/units/HL001/")
    assert response is not None and response.status == 404
    page.goto(f"{base}/worklist/")
    assert "CP001" in page.inner_text("#worklist-table") and "HL001" not in page.content()


PAGES = ["/", "/work/", "/worklist/", "/units/", "/units/HL001/", "/persons/?q=Lan", "/suspense/", "/arrears/",
         "/arrears/cases/HL001/", "/arrears/groups/", "/arrears/disclosure/", "/arrears/inspection/",
         "/arrears/numbers/", "/plans/", "/plans/?level=officer", "/plans/?level=point", "/plans/weekly/",
         "/plans/forecast/", "/coverage/", "/audit/", "/plans/upload/", "/plans/cascade/?office=HL",
         "/plans/evaluations/", "/coverage/leads/", "/taxsync/",
         # the other pages a person opens (issue 20 "every page"): a person, the reward list, two-step login
         "/persons/2201000001/", "/arrears/reward/", "/account/otp/"]


def overflow(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_page_scrolls_sideways_at_390_and_1440_px(live_server: Any, browser_page: Any) -> None:
    """As the province manager, every main page at a phone's 390 px and a desk's 1440 px: no sideways
    scroll (tables scroll in their own box, the menu folds)."""
    from django.db import connections

    # on PostgreSQL the previous browser test's teardown ends every other session of the test database,
    # possibly the one this thread's ORM holds inside Playwright's event loop: start on a fresh one
    connections.close_all()
    build()
    page, base = browser_page, live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, base, "prov")
    wide: dict[str, int] = {}
    for width in (390, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        for url in PAGES:
            response = page.goto(f"{base}{url}")
            assert response is not None and response.status == 200, url  # not a 404's page, vacuously narrow
            if overflow(page) > 0:
                wide[f"{width}px {url}"] = overflow(page)
        page.goto(f"{base}/")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{width}.png"))
    assert wide == {}
    # on the phone the menu is folded behind its button
    page.set_viewport_size({"width": 390, "height": 900})
    assert not page.is_visible("#main-nav") and page.is_visible("label.nav-button")
    page.click("label.nav-button")
    assert page.is_visible("#main-nav >> text=Việc của tôi")


def pdf_text(data: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(BytesIO(data)).pages)


@pytest.mark.parametrize("width", [390, 1440])
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_officers_journey(live_server: Any, browser_page: Any, width: int) -> None:
    """The officer of HL001 on a phone and at a desk (issue 20): log in → my work → the unit's case → log a
    call with a promise → confirm the proposed notice and print it (a PDF naming the unit) → the promise
    is on my work. Screenshots ``case-<width>.png``, ``notice-<width>.pdf`` and ``my-work-<width>.png``."""
    from django.db import connections

    connections.close_all()  # see above: a fresh session
    build()
    page, base = browser_page, live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})

    log_in(page, base, "hl_off", "/work/")
    page.click("#work-units >> text=HL001")
    page.wait_for_url("**/arrears/cases/HL001/")
    page.select_option("form.followup-form select[name=kind]", "call")
    page.select_option("form.followup-form select[name=outcome]", "promised")
    page.fill("form.followup-form input[name=contacted_on]", "2025-11-03")
    page.fill("form.followup-form input[name=contact_name]", "Kế toán trưởng")
    page.fill("form.followup-form input[name=promise_amount]", "900.000")
    page.fill("form.followup-form input[name=promise_date]", "2025-11-05")
    page.click("form.followup-form button[type=submit]")
    page.wait_for_url("**/arrears/cases/HL001/**")
    assert "900.000 đ · 05/11/2025" in page.inner_text("#followup-log")
    assert overflow(page) <= 0

    # print the notice: the proposed reminder is confirmed, the notice it issues opens as a PDF from the case page
    page.click("form.inline button:has-text('Thông báo kết quả đóng, nhắc nợ')")
    page.wait_for_url("**/arrears/?q=HL001")
    page.goto(f"{base}/arrears/cases/HL001/")
    # confirmed today, Vietnam's day (not the close's 31/10/2025), and the notice's deadline 15 days on
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    steps = page.inner_text("#case-steps")
    assert f"{today:%d/%m/%Y} hl_off" in steps and f"hạn nộp {today + timedelta(days=15):%d/%m/%Y}" in steps
    link = page.locator("#case-steps a[href*='/arrears/notices/']")
    assert link.count() == 1
    with page.expect_download() as info:
        link.click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and info.value.suggested_filename.startswith("thong-bao-HL001-")
    words = " ".join(pdf_text(pdf).split())
    # the notice names the unit, its code and what it owes: 4 months × 450,000 and the interest (test_arrears_pages)
    assert "HL001" in words and "Công ty HL001" in words and "1.812.420" in words
    (ARTIFACTS / f"notice-{width}.pdf").write_bytes(pdf)
    page.screenshot(path=str(ARTIFACTS / f"case-{width}.png"), full_page=True)

    page.goto(f"{base}/work/?today=2025-11-03")
    assert "900.000 đ" in page.inner_text("#work-promises-table") and overflow(page) <= 0
    page.screenshot(path=str(ARTIFACTS / f"my-work-{width}.png"), full_page=True)
