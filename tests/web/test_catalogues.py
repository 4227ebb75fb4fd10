"""Both catalogues complete: no empty or fuzzy msgstr in vi or en, and each compiled .mo says what its .po says."""
from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import sicollect.web

LOCALE = Path(sicollect.web.__file__).parent / "locale"


def entries(po: Path) -> list[tuple[int, str, str, bool]]:
    """(line, msgid, msgstr, fuzzy) of every entry but the header."""
    out = []
    line = 1
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        cur = None
        for raw in block.split("\n"):
            m = re.match(r'^(msgid|msgstr|msgid_plural|msgstr\[\d+\]) "(.*)"$', raw)
            if m:
                cur = m.group(1)
                fields[cur] = m.group(2)
            elif cur and raw.startswith('"'):
                fields[cur] += raw[1:-1]
            else:
                cur = None
        if fields.get("msgid"):
            unq = {k: re.sub(r"\\(.)", lambda x: {"n": "\n", "t": "\t"}.get(x.group(1), x.group(1)), v)
                   for k, v in fields.items()}
            out.append((line, unq["msgid"], unq.get("msgstr", unq.get("msgstr[0]", "")), "#, fuzzy" in block))
        line += block.count("\n") + 2
    return out


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_empty_or_fuzzy_msgstr(lang: str) -> None:
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    found = entries(po)
    assert len(found) > 500
    bad = [f"{po.name}:{line}: msgstr: empty" for line, _, s, _ in found if not s]
    bad += [f"{po.name}:{line}: fuzzy" for line, _, _, fuzzy in found if fuzzy]
    assert bad == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_compiled_catalogue_matches_its_source(lang: str) -> None:
    folder = LOCALE / lang / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = [f"django.po:{line}: {mid!r}" for line, mid, s, _ in entries(folder / "django.po") if mo.gettext(mid) != s]
    assert stale == []


def test_english_mode_shows_the_data_labels_in_english() -> None:
    from django.utils import translation

    from sicollect.web.labels import label, tr

    with translation.override("en"):
        assert (tr("Đã đóng"), tr("Đang hoạt động"), tr("≥ 12 tháng")) == ("Paid", "Active", "≥ 12 months")
        assert tr("B. Phát sinh trong kỳ – phải đóng") == "B. Assessed this period"
        assert label("opened", "event") == "case opened" and label("HI", "fund") == "health insurance"
    with translation.override("vi"):
        assert (tr("Đã đóng"), label("opened", "event"), label("HI", "fund")) == ("Đã đóng", "mở hồ sơ", "BHYT")
        assert label("confirm_case_step", "audit") == "duyệt bước" and label("whatever", "audit") == "whatever"
