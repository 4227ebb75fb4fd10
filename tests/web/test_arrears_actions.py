"""The arrears actions a manager had only on the command line, now in the app (issue 20): working groups
(form, members, dissolve), disclosure (propose one unit or every qualifying one, remove a published one)
and the day's notices as one PDF.

The hand-built province of :mod:`tests.web.helpers` plus HL003 (Hạ Long, one person, HI only from
Jan 2025, never pays). Worked figures on 31 Oct 2025: HI is 450,000 a month; January–August are past
their deadlines, 8 × 450,000 = 3,600,000 late, the oldest deadline (31 Jan) 273 days = 9 whole months
back: 9 ≥ 6 months, so HL003 qualifies for disclosure. HL001 is 2 months late (900,000): it does not.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from sicollect.arrears import ladder
from sicollect.arrears.models import CaseStep, Disclosure, LadderStep, Notice, Visit, WorkingGroup, WorkingGroupMember
from sicollect.core.models import AuditEvent
from sicollect.registry.models import Unit

from .. import factories as f
from .helpers import as_user, build
from .test_views import needs_pdf

pytestmark = pytest.mark.django_db
OCT31 = date(2025, 10, 31)


def add_hl003(units: dict[str, Any]) -> None:
    u = f.unit("HL003", office=units["HL001"].office, tax_code="5700100003")
    f.participation(u, f.person("2201000003"), "2025-01", None, 10_000_000, "HI")
    units["HL003"] = u


@pytest.fixture
def qn(settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    data = build(add_hl003)
    office = data["offices"]["QN"]
    office.bank_bin, office.bank_account = "970415", "113366668888"
    office.save()
    return data


def text(resp: Any, status: int = 200) -> str:
    assert resp.status_code == status, (resp.status_code, resp.content[:500])
    return resp.content.decode()


STAFF = ["prov", "hl_mgr", "hl_off", "hl_off2", "hl_view", "cp_mgr", "cp_off"]


def ours() -> Any:
    """The audit rows the users wrote (the build's close writes its own)."""
    return AuditEvent.objects.filter(actor__in=STAFF)


def audit_actions() -> list[tuple[str, str, str]]:
    return list(ours().order_by("id").values_list("action", "actor", "unit_code"))


GROUP = {"name": "Đoàn liên ngành số 7", "chair": "Phó Giám đốc BHXH Hạ Long", "office": "HL",
         "agencies": ["Sở Nội vụ", "Công an tỉnh"], "formed_on": "2025-11-01"}


# --------------------------------------------------------------------------- working groups


def test_a_manager_forms_a_group_manages_its_members_plans_a_visit_and_dissolves_it(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    r = c.post("/arrears/groups/new/", GROUP)
    g = WorkingGroup.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/arrears/groups/{g.pk}/"
    assert (g.name, g.office.code, g.chair, g.agencies, g.formed_on) == (
        "Đoàn liên ngành số 7", "HL", "Phó Giám đốc BHXH Hạ Long", ["Sở Nội vụ", "Công an tỉnh"], date(2025, 11, 1))
    ev = AuditEvent.objects.get(action="form_working_group")
    assert ev.actor == "hl_mgr" and ev.detail["after"]["agencies"] == ["Sở Nội vụ", "Công an tỉnh"]
    assert ev.detail["source"] == "web POST /arrears/groups/new/"

    r = c.post(f"/arrears/groups/{g.pk}/members/", {"name": "Trần Văn An", "agency": "Công an tỉnh",
                                                     "position": "Phó trưởng phòng PC03"})
    assert r.status_code == 302
    c.post(f"/arrears/groups/{g.pk}/members/", {"name": "Lê Thị Hoa", "agency": "Bảo hiểm xã hội", "position": ""})
    page = text(c.get(f"/arrears/groups/{g.pk}/"))
    members = page.split('id="group-members"')[1].split("</table>")[0]
    assert "Trần Văn An" in members and "Phó trưởng phòng PC03" in members and "Lê Thị Hoa" in members
    assert "Thành viên" in page and "Giải thể đoàn" in page  # Vietnamese first

    # visits are reached from the group page and come back to it
    r = c.post(f"/arrears/groups/{g.pk}/plan/", {"unit": "HL003", "planned_on": "2025-11-12",
                                                  "next": f"/arrears/groups/{g.pk}/"})
    assert r["Location"] == f"/arrears/groups/{g.pk}/"
    v = Visit.objects.get(unit__code="HL003")
    page = text(c.get(f"/arrears/groups/{g.pk}/"))
    assert "HL003" in page.split(f'id="group-{g.pk}-visits"')[1] and "12/11/2025" in page
    r = c.post(f"/arrears/visits/{v.pk}/", {"done_on": "2025-11-12", "outcome": "refused", "minutes": "Giám đốc vắng",
                                            "next": f"/arrears/groups/{g.pk}/"})
    assert r["Location"] == f"/arrears/groups/{g.pk}/"
    assert Visit.objects.get(pk=v.pk).outcome == "refused"

    an = WorkingGroupMember.objects.get(name="Trần Văn An")
    assert c.post(f"/arrears/groups/{g.pk}/members/{an.pk}/remove/").status_code == 302
    assert list(g.members.values_list("name", flat=True)) == ["Lê Thị Hoa"]
    removed = AuditEvent.objects.get(action="remove_group_member")
    assert removed.detail["before"]["name"] == "Trần Văn An" and removed.object_id == str(g.pk)

    assert c.post(f"/arrears/groups/{g.pk}/dissolve/", {"dissolved_on": "2025-10-31"}).status_code == 400  # < formed
    assert c.post(f"/arrears/groups/{g.pk}/dissolve/", {"dissolved_on": "2025-12-31"}).status_code == 302
    g.refresh_from_db()
    assert g.dissolved_on == date(2025, 12, 31)
    # a dissolved group plans no more visits and takes no more members
    page = text(c.post(f"/arrears/groups/{g.pk}/plan/", {"unit": "HL001", "planned_on": "2026-01-05"}), 400)
    assert "đã giải thể ngày 31/12/2025" in page
    assert c.post(f"/arrears/groups/{g.pk}/members/", {"name": "X", "agency": "Sở Nội vụ"}).status_code == 400
    assert Visit.objects.count() == 1 and g.members.count() == 1
    assert [a for a, _, _ in audit_actions()] == ["form_working_group", "add_group_member", "add_group_member",
                                                  "remove_group_member", "dissolve_working_group"]


BAD_GROUPS = [
    ({"name": "  "}, "Tên", "bắt buộc"),
    ({"chair": ""}, "Trưởng đoàn", "bắt buộc"),
    ({"agencies": ["Sở Nội vụ", "Sở Ma"]}, "Cơ quan tham gia", "không có cơ quan Sở Ma"),
    ({"agencies": []}, "Cơ quan tham gia", "ít nhất một cơ quan phối hợp"),
    ({"formed_on": "01/11/2025"}, "Ngày thành lập", "YYYY-MM-DD"),
    ({"office": "CP"}, "Cơ quan BHXH", "không có cơ quan CP"),  # another office: out of scope
]


def test_a_bad_group_is_a_400_naming_the_field_and_writes_nothing(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    for change, field, reason in BAD_GROUPS:
        page = text(c.post("/arrears/groups/new/", {**GROUP, **change}), 400)
        errors = page.split('id="form-errors"')[1].split("</ul>")[0]
        assert f"<strong>{field}</strong>" in errors and reason in errors, (change, errors)
    assert not WorkingGroup.objects.exists() and not ours().exists()


def test_only_managers_of_the_groups_office_change_it(qn: dict[str, Any]) -> None:
    for name in ("hl_off", "hl_view"):
        assert as_user(qn, name).post("/arrears/groups/new/", GROUP).status_code == 403
    c = as_user(qn, "hl_mgr")
    c.post("/arrears/groups/new/", GROUP)
    g = WorkingGroup.objects.get()
    page = text(c.post(f"/arrears/groups/{g.pk}/members/", {"name": "An", "agency": "Thuế tỉnh"}), 400)
    assert "không có cơ quan Thuế tỉnh" in page  # not one of this group's agencies
    cp = as_user(qn, "cp_mgr")
    assert cp.get(f"/arrears/groups/{g.pk}/").status_code == 404
    assert cp.post(f"/arrears/groups/{g.pk}/members/", {"name": "An", "agency": "Sở Nội vụ"}).status_code == 404
    assert cp.post(f"/arrears/groups/{g.pk}/dissolve/", {"dissolved_on": "2025-12-31"}).status_code == 404
    assert as_user(qn, "hl_off").post(f"/arrears/groups/{g.pk}/dissolve/", {"dissolved_on": "2025-12-31"}
                                      ).status_code == 403
    # a unit of another office cannot be planned: 400 naming it
    assert "CP001" in text(c.post(f"/arrears/groups/{g.pk}/plan/", {"unit": "CP001", "planned_on": "2025-11-12"}), 400)
    m = WorkingGroupMember.objects.create(group=g, name="Phạm Văn Bình", agency="Sở Nội vụ", added_on=OCT31)
    assert cp.post(f"/arrears/groups/{g.pk}/members/{m.pk}/remove/").status_code == 404
    assert as_user(qn, "hl_view").post(f"/arrears/groups/{g.pk}/members/{m.pk}/remove/").status_code == 403
    assert list(WorkingGroupMember.objects.values_list("name", flat=True)) == ["Phạm Văn Bình"]
    assert not Visit.objects.exists() and WorkingGroup.objects.get().dissolved_on is None
    assert [a for a, _, _ in audit_actions()] == ["form_working_group"]


def test_a_province_group_visiting_my_unit_is_shown_but_not_mine_to_change(qn: dict[str, Any]) -> None:
    from sicollect.arrears import groups

    g = groups.do_form_group("Đoàn liên ngành tỉnh", qn["offices"]["QN"], "Giám đốc BHXH tỉnh", ["Sở Nội vụ"],
                             date(2025, 10, 1))
    groups.do_plan_visit(g, Unit.objects.get(code="HL003"), date(2025, 11, 12))
    page = text(as_user(qn, "hl_mgr").get(f"/arrears/groups/{g.pk}/"))
    assert "HL003" in page and 'id="member-add-form"' not in page and "plan-form" not in page
    assert 'id="group-dissolve-form"' not in page
    assert as_user(qn, "hl_mgr").post(f"/arrears/groups/{g.pk}/dissolve/", {"dissolved_on": "2025-12-31"}
                                      ).status_code == 404
    assert as_user(qn, "cp_mgr").get(f"/arrears/groups/{g.pk}/").status_code == 404
    assert 'id="member-add-form"' in text(as_user(qn, "prov").get(f"/arrears/groups/{g.pk}/"))


# --------------------------------------------------------------------------- disclosure


def test_a_manager_proposes_one_qualifying_unit_with_its_figures(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    r = c.post("/arrears/disclosure/nominate/", {"unit": "HL003", "on": "2025-10-31"}, follow=True)
    page = text(r)
    d = Disclosure.objects.get()
    assert (d.unit.code, d.status, d.months_late, d.late_amount, d.proposed_on) == (
        "HL003", "candidate", 9, 3_600_000, OCT31)
    assert "HL003 đã được đề xuất công khai: chậm đóng 9 tháng, 3.600.000 đ" in page
    assert "HL003" in page.split('id="disclosure-candidates"')[1].split("</table>")[0]
    ev = AuditEvent.objects.get(action="nominate_disclosure")
    assert (ev.actor, ev.unit_code, ev.detail["after"]["months_late"], ev.detail["after"]["late_amount"]) == (
        "hl_mgr", "HL003", 9, 3_600_000)


REFUSED = [
    ("hl_mgr", "HL001", 400, "HL001: chậm đóng 2 tháng, chưa đủ 6 tháng"),  # not late long enough
    ("hl_mgr", "HL002", 400, "HL002: không có hồ sơ nợ đang mở"),  # paid on time
    ("hl_mgr", "CP001", 400, "không có đơn vị CP001"),  # another office: as if it did not exist
    ("hl_mgr", "", 400, "không có đơn vị —"),
    ("hl_off", "HL003", 403, ""),  # an officer does not propose
    ("hl_view", "HL003", 403, ""),
]


def test_a_unit_that_cannot_be_proposed_is_refused_with_the_reason(qn: dict[str, Any]) -> None:
    for user, code, status, reason in REFUSED:
        page = text(as_user(qn, user).post("/arrears/disclosure/nominate/", {"unit": code}), status)
        assert reason in page, (user, code)
    assert not Disclosure.objects.exists() and not ours().exists()


def test_a_unit_already_on_the_list_is_refused(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    c.post("/arrears/disclosure/nominate/", {"unit": "HL003"})
    assert "HL003: đã có trong danh sách (Đề xuất công khai)" in text(
        c.post("/arrears/disclosure/nominate/", {"unit": "HL003"}), 400)
    assert Disclosure.objects.count() == 1


def test_propose_every_qualifying_unit_of_my_offices(qn: dict[str, Any]) -> None:
    """With the ladder's disclosure step at 1 month, Hạ Long's manager proposes HL001 and HL003, never CP001;
    the province manager's run then adds CP001."""
    LadderStep.objects.filter(code="DISCLOSURE").update(min_months_late=1)
    page = text(as_user(qn, "hl_mgr").post("/arrears/disclosure/nominate/", {"on": "2025-10-31"}, follow=True))
    assert "2 đơn vị đã được đề xuất công khai" in page
    assert sorted(Disclosure.objects.values_list("unit__code", flat=True)) == ["HL001", "HL003"]
    assert sorted(AuditEvent.objects.filter(action="nominate_disclosure").values_list("unit_code", flat=True)) == [
        "HL001", "HL003"]
    as_user(qn, "prov").post("/arrears/disclosure/nominate/", {"on": "2025-10-31"})
    assert sorted(Disclosure.objects.values_list("unit__code", flat=True)) == ["CP001", "HL001", "HL003"]


def test_the_province_manager_removes_a_published_unit_with_a_reason(qn: dict[str, Any]) -> None:
    from sicollect.arrears import disclosure

    hl = as_user(qn, "hl_mgr")
    hl.post("/arrears/disclosure/nominate/", {"unit": "HL003"})
    d = Disclosure.objects.get()
    disclosure.do_review([d.pk], "prov", date(2025, 11, 3))
    disclosure.do_publish(date(2025, 11, 5), "prov")
    assert hl.post(f"/arrears/disclosure/{d.pk}/delist/", {"reason": "x", "removed_on": "2025-11-20"}
                   ).status_code == 403
    assert as_user(qn, "cp_mgr").post(f"/arrears/disclosure/{d.pk}/delist/", {"reason": "x"}).status_code == 403
    prov = as_user(qn, "prov")
    page = text(prov.post(f"/arrears/disclosure/{d.pk}/delist/", {"reason": " ", "removed_on": "2025-11-20"}), 400)
    assert "HL003: cần ghi lý do" in page
    page = text(prov.post(f"/arrears/disclosure/{d.pk}/delist/", {"reason": "Sai", "removed_on": "2025-11-01"}), 400)
    assert "trước ngày công khai (05/11/2025)" in page
    d.refresh_from_db()
    assert d.status == "published" and not ours().filter(action="delist_disclosure").exists()
    r = prov.post(f"/arrears/disclosure/{d.pk}/delist/", {"reason": "Đơn vị đã ký cam kết trả nợ",
                                                         "removed_on": "2025-11-20"}, follow=True)
    page = text(r)
    d.refresh_from_db()
    assert (d.status, d.removed_on, d.reason) == ("removed", date(2025, 11, 20), "Đơn vị đã ký cam kết trả nợ")
    assert "HL003" not in page.split('id="disclosure-published"')[1].split("</table>")[0]
    assert "Đơn vị đã ký cam kết trả nợ" in page.split('id="disclosure-closed"')[1]
    ev = AuditEvent.objects.get(action="delist_disclosure")
    assert (ev.actor, ev.unit_code, ev.detail["before"]["status"], ev.detail["after"]["removed_on"]) == (
        "prov", "HL003", "published", "2025-11-20")
    assert "HL003: không có trong danh sách đã công khai" in text(
        prov.post(f"/arrears/disclosure/{d.pk}/delist/", {"reason": "lại", "removed_on": "2025-11-21"}), 400)


def test_the_case_page_offers_the_proposal_to_managers_only(qn: dict[str, Any]) -> None:
    assert 'id="case-nominate-form"' in text(as_user(qn, "hl_mgr").get("/arrears/cases/HL003/"))
    assert 'id="case-nominate-form"' not in text(as_user(qn, "hl_off").get("/arrears/cases/HL001/"))


# --------------------------------------------------------------------------- the day's notices as one PDF


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


@needs_pdf
def test_the_notices_of_a_day_as_one_pdf_scoped_and_filtered(qn: dict[str, Any]) -> None:
    ids = list(CaseStep.objects.filter(step__code="NOTICE").values_list("pk", flat=True))
    ladder.do_confirm_steps(ids, "prov", "test", date(2025, 11, 3))
    notices = {n.unit.code: n for n in Notice.objects.select_related("unit")}
    assert sorted(notices) == ["CP001", "HL001", "HL003"]
    hl = as_user(qn, "hl_mgr")
    one = {code: pages(hl.get(f"/arrears/notices/{n.pk}.pdf").content) for code, n in notices.items() if code != "CP001"}
    r = hl.get("/arrears/notices/batch.pdf?issued_on=2025-11-03")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert "thong-bao-20251103.pdf" in r["Content-Disposition"]
    assert pages(r.content) == one["HL001"] + one["HL003"]  # Hạ Long's two notices, never CP001's
    # the worklist's filters: at least 3 months late is HL003 alone
    r = hl.get("/arrears/notices/batch.pdf?issued_on=2025-11-03&min_months=3&office=HL")
    assert pages(r.content) == one["HL003"] and "thong-bao-HL-20251103.pdf" in r["Content-Disposition"]
    assert hl.get("/arrears/notices/batch.pdf?issued_on=2025-11-03&office=CP").status_code == 404
    assert "04/11/2025" in text(hl.get("/arrears/notices/batch.pdf?issued_on=2025-11-04"), 404)
    assert "YYYY-MM-DD" in text(hl.get("/arrears/notices/batch.pdf?issued_on=3/11/2025"), 400)
    assert pages(as_user(qn, "hl_off").get("/arrears/notices/batch.pdf?issued_on=2025-11-03").content) == one["HL001"]
    page = text(hl.get("/arrears/?min_months=3"))
    form = page.split('id="notice-batch-form"')[1].split("</form>")[0]
    assert 'name="min_months" value="3"' in form
