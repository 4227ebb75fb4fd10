"""The suspense box (issue 20): tied candidates are listed to choose from, none is chosen for the officer,
and a unit no candidate names is found by code or name among the user's own units."""
from __future__ import annotations

import re
from typing import Any

import pytest

from sicollect.exchange.bank import ranked_candidates
from sicollect.exchange.models import SuspenseItem
from sicollect.registry.models import Unit

from .. import factories as f
from .helpers import as_user
from .test_views import suspense_item, text

pytestmark = pytest.mark.django_db


def test_ranking_merges_a_units_lines_and_names_a_leader_only_when_alone() -> None:
    ranked, clear = ranked_candidates([{"unit": "A", "score": 90, "via": "tax_code"}, {"unit": "B", "score": 95, "via": "account"},
                                       {"unit": "A", "score": 100, "via": "message"}])
    assert [(c["unit"], c["score"], c["via"], c["tied"]) for c in ranked] == [
        ("A", 100, ["tax_code", "message"], False), ("B", 95, ["account"], False)]
    assert clear == "A"
    ranked, clear = ranked_candidates([{"unit": u, "score": 71, "via": "name"} for u in ("D", "C", "B", "A")]
                                      + [{"unit": "E", "score": 64, "via": "name"}])
    assert [c["unit"] for c in ranked] == ["A", "B", "C", "D", "E"] and clear == ""
    assert [c["tied"] for c in ranked] == [True, True, True, True, False]
    assert ranked_candidates([]) == ([], "") and ranked_candidates(None) == ([], "")


def tied_units(qn: dict[str, Any]) -> list[Unit]:
    hl = qn["offices"]["HL"]
    return [named(f.unit(f"HL1{n:02d}", office=hl), f"Công ty TNHH Thái Bình {n}") for n in range(1, 5)]


def named(unit: Unit, name: str) -> Unit:
    unit.name = name
    unit.save(update_fields=["name"])
    return unit


def box(page: str, item: SuspenseItem) -> str:
    return page.split(f'id="item-{item.pk}"')[1].split("</tr>")[0]


def test_a_tie_of_four_lists_them_and_fills_nothing(qn: dict[str, Any]) -> None:
    tied_units(qn)
    item = suspense_item(7, [{"unit": f"HL1{n:02d}", "score": 71, "via": "name"} for n in (4, 2, 3, 1)]
                         + [{"unit": "CP001", "score": 62, "via": "name"}])
    clear = suspense_item(8, [{"unit": "HL001", "score": 88, "via": "name"}, {"unit": "HL002", "score": 70, "via": "name"}])
    page = as_user(qn, "prov").get("/suspense/").content.decode()
    row = box(page, item)
    assert "4 đơn vị ngang điểm: chọn một" in row
    assert re.findall(r'name="pick" value="(\w+)"', row) == ["HL101", "HL102", "HL103", "HL104", "CP001"]
    assert " checked" not in row and re.search(r'name="unit"[^>]*value=""', row)
    assert "HL101 Công ty TNHH Thái Bình 1 · 71 · tên người nộp" in row and "CP001 Công ty CP001 · 62" in row
    assert row.count('class="candidate tied"') == 4
    other = box(page, clear)  # one leads alone: it is ticked, nothing said of a tie
    assert 'name="pick" value="HL001" checked' in other and 'value="HL002" checked' not in other
    assert "ngang điểm" not in other
    # a grassroots manager sees the four of Hạ Long, not Cẩm Phả's CP001, and the tie still fills nothing
    row = box(as_user(qn, "hl_mgr").get("/suspense/").content.decode(), item)
    assert re.findall(r'name="pick" value="(\w+)"', row) == ["HL101", "HL102", "HL103", "HL104"]
    assert " checked" not in row and "CP001" not in row and "cơ quan khác" not in row
    # Cẩm Phả's manager sees CP001 alone, not ticked: it scored under the four, and a tie of two of
    # Hạ Long's units with one of theirs is said, the other office's units unnamed
    row = box(as_user(qn, "cp_mgr").get("/suspense/").content.decode(), item)
    assert re.findall(r'name="pick" value="(\w+)"', row) == ["CP001"] and " checked" not in row
    assert "cơ quan khác" not in row
    tie = suspense_item(12, [{"unit": "HL101", "score": 95, "via": "account"}, {"unit": "CP001", "score": 95, "via": "account"},
                             {"unit": "HL102", "score": 95, "via": "account"}])
    row = box(as_user(qn, "cp_mgr").get("/suspense/").content.decode(), tie)
    assert re.findall(r'name="pick" value="(\w+)"', row) == ["CP001"] and " checked" not in row
    assert "cùng điểm: 2 đơn vị của cơ quan khác" in row and "HL10" not in row
    assert "tài khoản ngân hàng đã biết" in row


def test_choosing_a_tied_candidate_or_typing_a_searched_code_assigns_it(qn: dict[str, Any]) -> None:
    tied_units(qn)
    item = suspense_item(9, [{"unit": f"HL1{n:02d}", "score": 71, "via": "name"} for n in range(1, 5)])
    c = as_user(qn, "hl_mgr")
    c.post(f"/suspense/{item.pk}/assign/", {"pick": "HL103", "unit": ""})
    item.refresh_from_db()
    assert item.status == "assigned" and item.unit.code == "HL103" and item.payment.amount == 450_000
    other = suspense_item(10, [{"unit": "HL101", "score": 71, "via": "name"}, {"unit": "HL102", "score": 71, "via": "name"}])
    c.post(f"/suspense/{other.pk}/assign/", {"pick": "HL101", "unit": "HL002"})  # the typed box wins
    other.refresh_from_db()
    assert other.unit.code == "HL002"


def test_the_unit_search_finds_by_name_or_code_only_in_scope(qn: dict[str, Any]) -> None:
    tied_units(qn)
    named(f.unit("CP101", office=qn["offices"]["CP"]), "Công ty Thái Bình Cẩm Phả")
    suspense_item(11, [{"unit": "HL101", "score": 71, "via": "name"}])

    def found(user: str, q: str) -> list[str]:
        page = as_user(qn, user).get("/suspense/", {"q": q}).content.decode()
        return re.findall(r'<option value="(\w+)">', page.split('id="units-found-list"')[1].split("</datalist>")[0])

    assert found("hl_mgr", "Thái Bình") == ["HL101", "HL102", "HL103", "HL104"]
    assert found("prov", "Thái Bình") == ["CP101", "HL101", "HL102", "HL103", "HL104"]
    assert found("cp_mgr", "Thái Bình") == ["CP101"]
    assert found("hl_mgr", "cp1") == [] and found("hl_mgr", "hl00") == ["HL001", "HL002"]
    page = text(as_user(qn, "hl_mgr").get("/suspense/", {"q": "CP101"}))
    assert "Không có đơn vị nào của bạn khớp." in page and "Cẩm Phả" not in page.split("Không có")[1][:200]
    assert 'list="units-found-list"' in as_user(qn, "hl_mgr").get("/suspense/", {"q": "HL"}).content.decode()


def test_a_malformed_status_is_a_400(qn: dict[str, Any]) -> None:
    r = as_user(qn, "prov").get("/suspense/?status=later")
    assert r.status_code == 400 and r.context["errors"][0][0] == "status"
