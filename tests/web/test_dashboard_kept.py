"""The dashboard at a closed month end reads what the close kept (reports.summary, coverage.CoverageCount): a
fixed, small number of queries whatever the office, nothing cached, and the same page as from the rows."""
from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sicollect.coverage.models import CoverageCount
from sicollect.reports.models import SummaryDay

from .helpers import as_user

#: The dashboard at a closed month end: 32 queries for a grassroots office, 35 for the province with its
#: ranking, 37 for a top office, the session, the user and the page frame (8) included; none of them grows
#: with the units or persons.
BOUND = 40


def queries(client: Any, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200
    return len(ctx.captured_queries), resp.content.decode(errors="replace")


def figures(page: str) -> str:
    """The page's figures and charts (the part the kept figures fill), after the line that says which they are."""
    return page.split('<script id="charts-data" type="application/json">')[1].split("</script>")[0] + \
        page.split('id="figures-basis"', 1)[1].split("</p>", 1)[1].split('<script id="charts-data"', 1)[0]


def test_the_dashboard_of_any_office_at_a_closed_month_end_takes_a_bounded_number_of_queries(qn: dict[str, Any]) -> None:
    """31 Oct 2025 (closed): the province with its ranking, each office, and a grassroots manager's own page take
    no more than BOUND queries each and the same number for each grassroots office; the process's cache holds
    nothing afterwards (the figures are read, not computed and kept)."""
    prov = as_user(qn, "prov")
    found = {}
    for url in ("/", "/?office=HL", "/?office=CP", "/?office=QN"):
        cache.clear()
        found[url], _ = queries(prov, url)
        assert not cache._cache, url  # type: ignore[attr-defined]  # LocMemCache: nothing written by a read
    n_mgr, _ = queries(as_user(qn, "hl_mgr"), "/")
    assert max([*found.values(), n_mgr]) <= BOUND, found
    assert found["/?office=HL"] == found["/?office=CP"]
    # the KPI report as xlsx reads the same kept figures
    xlsx = {url: queries(prov, url)[0] for url in ("/kpi.xlsx", "/kpi.xlsx?office=HL", "/kpi.xlsx?office=CP")}
    assert max(xlsx.values()) <= BOUND and xlsx["/kpi.xlsx?office=HL"] == xlsx["/kpi.xlsx?office=CP"], xlsx


def test_the_dashboard_from_the_kept_figures_equals_the_one_from_the_rows(qn: dict[str, Any]) -> None:
    """The same figures and charts for the province and each office once the kept figures are set aside
    (the page then computes them from the payments, the ledger's debts and the participations)."""
    prov = as_user(qn, "prov")
    urls = ("/", "/?office=HL", "/?office=CP")
    pages = {url: queries(prov, url)[1] for url in urls}
    assert all("Tháng đã khóa sổ: số liệu chính thức" in page for page in pages.values())
    SummaryDay.objects.all().delete()
    CoverageCount.objects.all().delete()
    cache.clear()
    for url in urls:
        page = queries(prov, url)[1]
        assert "Tạm tính: tính từ dữ liệu hiện tại" in page and "Tháng đã khóa sổ" not in page
        assert figures(page) == figures(pages[url]), url
