"""Accessibility: axe-core (vendored, tests/data/vendor/axe-core/SOURCES) run through Playwright on every
main page, as the province manager, in Vietnamese, on a phone (390 px) and a desk (1440 px): no serious or
critical violation (WCAG 2.1 A and AA)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sicollect.web.models import SavedFilter

from .helpers import build
from .test_browser import ARTIFACTS, PAGES, _skip_reason, browser_page, log_in  # noqa: F401 (the fixture)
from ..tools import missing_tool

AXE = Path(__file__).resolve().parents[1] / "data" / "vendor" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_skip_reason() is not None, reason=missing_tool(_skip_reason()) or ""),
]


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page now shown (axe is injected into
    every document by an init script: the app's CSP refuses inline scripts, rightly)."""
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return list(result)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_main_page_has_no_serious_or_critical_accessibility_violation(live_server: Any,
                                                                            browser_page: Any) -> None:
    from django.db import connections

    connections.close_all()  # see test_browser: start on a fresh session
    qn = build()
    # a saved filter, so that the worklist's list of them (a link and a delete button each) is checked too
    SavedFilter.objects.create(user=qn["users"]["prov"], name="Cẩm Phả – lãi", query="office=CP&sort=interest")
    page, base = browser_page, live_server.url
    page.add_init_script(path=str(AXE))
    log_in(page, base, "prov")
    found: dict[str, list[dict[str, Any]]] = {}
    for width in (390, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        for url in ["/login/", *PAGES]:
            page.goto(f"{base}{url}")
            bad = serious_violations(page)
            if bad:
                found[f"{width}px {url}"] = bad
    assert found == {}, "\n".join(f"{url}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
                                  for url, vs in found.items() for v in vs)
