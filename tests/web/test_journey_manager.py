"""A grassroots manager's journey in a real browser (issue 20): form a working group with two partner
agencies and one member, plan a visit to a late unit, propose that unit for public disclosure and
find it on the disclosure list; every page without sideways scroll at 390 px and 1440 px.

The province of :mod:`tests.web.helpers` with HL003 (see :mod:`tests.web.test_arrears_actions`): on
31 Oct 2025 HL003 is 9 months late, 3,600,000 đ late, so it qualifies (≥ 6 months); HL001 (2 months)
is refused with the reason. Screenshots land in ``artifacts/``.
"""
from __future__ import annotations

from typing import Any

import pytest

from .test_arrears_actions import add_hl003
from .test_browser import ARTIFACTS, _skip_reason, browser_page, log_in, overflow  # noqa: F401 (fixture)
from .helpers import build
from ..tools import missing_tool

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_skip_reason() is not None, reason=missing_tool(_skip_reason()) or ""),
]


def check_widths(page: Any, name: str, wide: dict[str, int]) -> None:
    """The page at 1440 px and at 390 px: no sideways scroll; a screenshot of each; back to 390 px."""
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        if overflow(page) > 0:
            wide[f"{width}px {name}"] = overflow(page)
        page.screenshot(path=str(ARTIFACTS / f"manager-{name}-{width}.png"), full_page=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_manager_forms_a_group_plans_a_visit_and_proposes_a_unit_for_disclosure(live_server: Any,
                                                                                   browser_page: Any) -> None:
    from django.db import connections

    from sicollect.arrears.models import Disclosure, Visit, WorkingGroup

    connections.close_all()  # a fresh session after another browser test (see tests/web/test_browser.py)
    build(add_hl003)
    page, base = browser_page, live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    wide: dict[str, int] = {}
    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, base, "hl_mgr")

    # 1. form a working group: two partner agencies
    page.goto(f"{base}/arrears/groups/")
    check_widths(page, "groups", wide)
    form = "#group-create-form"
    page.fill(f"{form} input[name=name]", "Đoàn liên ngành số 7")
    page.fill(f"{form} input[name=chair]", "Phó Giám đốc BHXH Hạ Long")
    page.select_option(f"{form} select[name=office]", "HL")
    page.fill(f"{form} input[name=formed_on]", "2025-11-01")
    page.check(f"{form} input[name=agencies][value='Sở Nội vụ']")
    page.check(f"{form} input[name=agencies][value='Công an tỉnh']")
    page.click(f"{form} button[type=submit]")
    page.wait_for_url("**/arrears/groups/*/")
    assert "Sở Nội vụ, Công an tỉnh" in page.inner_text("#group-info")

    # 2. one member, from the police
    page.fill("#member-add-form input[name=name]", "Trần Văn An")
    page.select_option("#member-add-form select[name=agency]", "Công an tỉnh")
    page.fill("#member-add-form input[name=position]", "Phó trưởng phòng PC03")
    page.click("#member-add-form button[type=submit]")
    page.wait_for_url("**/arrears/groups/*/#members")
    members = page.inner_text("#group-members")
    assert "Trần Văn An" in members and "Công an tỉnh" in members and "Phó trưởng phòng PC03" in members

    # 3. plan a visit to HL003, 9 months late
    page.fill("form.plan-form input[name=unit]", "HL003")
    page.fill("form.plan-form input[name=planned_on]", "2025-11-12")
    page.click("form.plan-form button[type=submit]")
    page.wait_for_selector("text=HL003 Công ty HL003")
    assert "12/11/2025" in page.inner_text("table.visits")
    check_widths(page, "group", wide)

    # 4. propose HL003 for disclosure from its case page; HL001 is refused with the reason
    page.goto(f"{base}/arrears/cases/HL003/")
    page.click("#case-nominate-form button[type=submit]")
    page.wait_for_selector("text=HL003 đã được đề xuất công khai: chậm đóng 9 tháng, 3.600.000 đ.")
    check_widths(page, "case", wide)
    page.goto(f"{base}/arrears/disclosure/")
    page.fill("#nominate-unit-form input[name=unit]", "HL001")
    page.click("#nominate-unit-button")
    page.wait_for_selector("#form-errors")
    assert "HL001: chậm đóng 2 tháng, chưa đủ 6 tháng" in page.inner_text("#form-errors")
    check_widths(page, "nominate-refused", wide)

    # 5. HL003 is on the disclosure list, with its months and its late amount
    page.goto(f"{base}/arrears/disclosure/")
    row = page.inner_text("#disclosure-candidates tbody tr:has-text('HL003')")
    assert "9" in row and "3.600.000 đ" in row and "HL001" not in page.inner_text("#disclosure-candidates")
    check_widths(page, "disclosure", wide)
    assert wide == {}

    g = WorkingGroup.objects.get()
    assert (g.agencies, list(g.members.values_list("name", "agency"))) == (
        ["Sở Nội vụ", "Công an tỉnh"], [("Trần Văn An", "Công an tỉnh")])
    assert list(Visit.objects.values_list("group_id", "unit__code")) == [(g.pk, "HL003")]
    assert list(Disclosure.objects.values_list("unit__code", "months_late", "late_amount")) == [("HL003", 9, 3_600_000)]
