"""Vietnamese mode speaks Vietnamese: every main page, as the province manager and as an officer, read in a
real browser (the text a person sees), holds none of a list of English words that the English catalogue
uses. A word left untranslated, a code shown raw (``NOTICE``, ``opened``), a month name: each is caught."""
from __future__ import annotations

import re
from typing import Any

import pytest

from .helpers import build
from .test_browser import PAGES, _skip_reason, browser_page, log_in  # noqa: F401 (the fixture)
from ..tools import missing_tool

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_skip_reason() is not None, reason=missing_tool(_skip_reason()) or ""),
]

#: English words of the interface (the msgids of the catalogue and the codes of the data); Vietnamese
#: never spells them so, and codes and names of people and places do not either.
ENGLISH = """dashboard worklist unit units search save cancel submit total amount status date office case cases
notice notices step steps proposed confirmed cancelled opened closed payment payments interest month months
filter export next previous page officer officers late debt plan plans forecast coverage audit logout open
none yes no active missing dissolving suspended call visit letter promised refused reached outcome contact
region monthly quarterly revenue target targets progress weekly compulsory voluntary household point points
january february march april may june july august september october november december
closed_through amounts entries contacted_on contact_name promise_amount promise_date promise_status
next_action next_action_on confirmed_on notice_number""".split()
WORD = re.compile(r"\b(" + "|".join(ENGLISH) + r")\b", re.IGNORECASE)


def english_words(text: str) -> list[str]:
    return sorted({m.group(0) for m in WORD.finditer(text)})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_english_word_on_any_page_in_vietnamese(live_server: Any, browser_page: Any) -> None:
    from django.db import connections

    connections.close_all()  # see test_browser: start on a fresh session
    build()
    page, base = browser_page, live_server.url
    found: dict[str, list[str]] = {}
    for user, home, pages in (("prov", "/", PAGES), ("hl_off", "/work/", ["/work/", "/worklist/", "/units/HL001/",
                                                                           "/arrears/cases/HL001/"])):
        log_in(page, base, user, home)
        for url in pages:
            page.goto(f"{base}{url}")
            words = english_words(page.inner_text("body"))
            if words:
                found[f"{user} {url}"] = words
        page.context.clear_cookies()
    assert found == {}
