"""The arrears pages on the hand-built province of :mod:`tests.web.helpers` (closed through Oct 2025).

Worked figures on 31 Oct 2025 (the close's arrears step opened the cases and proposed NOTICE):

* HL001 (Hạ Long, HI 450,000 a month from July, never pays): July and August late, 900,000, the
  oldest 2 whole months (61 days), outstanding 4 × 450,000 = 1,800,000, class II. Its notice on
  31 Oct: principal 1,800,000 + interest 12,420 (September: July 30 days × 135 = 4,050; October:
  July and August 31 days each, 2 × 4,185) = 1,812,420.
* CP001 (Cẩm Phả, from August): August late, 450,000, 1 month (31 days), outstanding 1,350,000.

A Hạ Long user never sees CP001's case, notices, notes, visits or disclosure entry.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from sicollect.arrears import disclosure, groups, ladder
from sicollect.arrears.models import Case, CaseNote, CaseStep, Commitment, Disclosure, Notice, Visit
from sicollect.core.models import AuditEvent

from .. import factories as f
from .helpers import as_user, build
from .test_views import needs_pdf

pytestmark = pytest.mark.django_db
OCT31 = date(2025, 10, 31)
AGENCIES = ["Sở Nội vụ", "Công an tỉnh", "Thanh tra tỉnh", "Liên đoàn Lao động tỉnh"]


@pytest.fixture
def qn(settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    data = build()
    office = data["offices"]["QN"]
    office.bank_bin, office.bank_account = "970415", "113366668888"
    office.save()
    return data


def text(resp: Any) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.content.decode()


def step_of(code: str) -> CaseStep:
    return CaseStep.objects.get(case__unit__code=code, step__code="NOTICE")


def confirm_hl001() -> Notice:
    ladder.do_confirm_steps([step_of("HL001").pk], "hl_off", "test")
    return Notice.objects.get(unit__code="HL001")


# --------------------------------------------------------------------------- the cases worklist


def test_the_cases_worklist_shows_the_figures_and_the_proposals_in_scope(qn: dict[str, Any]) -> None:
    page = text(as_user(qn, "hl_mgr").get("/arrears/"))
    table = page.split('id="cases-table"')[1].split("</table>")[0]
    assert "HL001" in table and "CP001" not in page
    assert "900.000 đ" in table and "Thông báo" in table and "31/10/2025" in table
    assert re.search(r'id="cases-count">1<', page)
    assert "Hồ sơ nợ đọng" in page and "Bước đề xuất tiếp theo" in page  # Vietnamese first
    prov = as_user(qn, "prov")
    page = text(prov.get("/arrears/"))
    assert re.search(r'id="cases-count">2<', page)
    # HL001 (900,000) before CP001 (450,000)
    assert page.index("HL001") < page.index("CP001")
    assert "CP001" not in text(prov.get("/arrears/?min_amount=500.000"))
    assert "HL001" not in text(prov.get("/arrears/?office=CP"))
    assert "CP001" not in text(prov.get("/arrears/?min_months=2"))
    assert re.search(r'id="cases-count">2<', text(prov.get("/arrears/?step=none&proposed=NOTICE")))
    assert re.search(r'id="cases-count">0<', text(prov.get("/arrears/?step=NOTICE")))
    off = qn["users"]["cp_off"].pk
    assert "HL001" not in text(prov.get(f"/arrears/?officer={off}"))
    assert as_user(qn, "hl_mgr").get("/arrears/?office=CP").status_code == 404


def test_bulk_confirm_issues_the_notice_writes_the_audit_and_ignores_other_offices(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_off")
    hl, cp = step_of("HL001"), step_of("CP001")
    r = c.post("/arrears/confirm/", {"step": [hl.pk, cp.pk], "next": ""}, HTTP_HX_REQUEST="true")
    page = text(r)
    assert "1 bước đã duyệt, 1 văn bản đã phát hành" in page
    hl.refresh_from_db()
    cp.refresh_from_db()
    # confirmed on the day the officer confirms (Vietnam's day), not the close's: the deadline is 15 days on
    today = timezone.localdate()
    assert (hl.status, hl.confirmed_by, hl.confirmed_on) == ("confirmed", "hl_off", today)
    assert cp.status == "proposed"  # CP001 is not hl_off's: untouched
    n = Notice.objects.get()
    assert (n.issued_on, n.pay_by, n.period) == (today, today + timedelta(days=15), "2025-10")
    assert (n.unit.code, n.total, n.figures["principal"], n.figures["interest"]) == ("HL001", 1_812_420, 1_800_000,
                                                                                      12_420)
    audit = AuditEvent.objects.get(action="confirm_case_step")
    assert (audit.actor, audit.object_id, audit.detail["unit"], audit.detail["notice"]) == (
        "hl_off", str(hl.pk), "HL001", n.number)
    assert audit.detail["source"] == "web POST /arrears/confirm/"
    # cases by step reached: the step's name, not its code (issue 20)
    assert re.search(r"Thông báo kết quả đóng, nhắc nợ <strong>1</strong>", page) and "NOTICE <strong>" not in page
    # confirming again adds nothing
    text(c.post("/arrears/confirm/", {"step": [hl.pk]}, follow=True))
    assert Notice.objects.count() == 1 and AuditEvent.objects.filter(action="confirm_case_step").count() == 1
    assert as_user(qn, "hl_view").post("/arrears/confirm/", {"step": [hl.pk]}).status_code == 403


# --------------------------------------------------------------------------- the case page


def test_the_case_page_shows_steps_documents_notes_and_history(qn: dict[str, Any]) -> None:
    n = confirm_hl001()
    c = as_user(qn, "hl_mgr")
    page = text(c.get("/arrears/cases/HL001/"))
    assert "900.000 đ" in page.split('id="case-late"')[1][:40]
    assert "1.800.000 đ" in page.split('id="case-outstanding"')[1][:40]
    assert "2 (61 ngày)" in page and "II" in page
    steps = page.split('id="case-steps"')[1].split("</table>")[0]
    assert n.number in steps and "1.812.420 đ" in steps and "15/11/2025" in steps and "BHXH HL001 T10/2025" in steps
    assert f"/arrears/notices/{n.pk}.pdf" in steps
    history = page.split('id="case-history"')[1].split("</table>")[0]
    # events and steps in words, not codes (issue 20)
    assert history.count("31/10/2025") == 3 and "mở hồ sơ" in history and "duyệt bước" in history
    assert "opened" not in history and "NOTICE" not in history and "Thông báo kết quả đóng, nhắc nợ" in history
    assert "Lịch sử hồ sơ" in page and "Bản ghi nhớ" not in page  # not Django admin's "History"
    # a note with an attachment, downloaded back
    upload = SimpleUploadedFile("bien-ban.txt", "Biên bản làm việc".encode(), content_type="text/plain")
    r = c.post("/arrears/cases/HL001/note/", {"text": "Đã gọi điện cho kế toán", "attachment": upload})
    assert r.status_code == 302
    note = CaseNote.objects.get()
    page = text(c.get("/arrears/cases/HL001/"))
    assert "Đã gọi điện cho kế toán" in page and f"/arrears/attachments/{note.pk}/" in page
    got = c.get(f"/arrears/attachments/{note.pk}/")
    assert b"".join(got.streaming_content).decode() == "Biên bản làm việc"
    # the unit page links the case
    unit_page = text(c.get("/units/HL001/"))
    assert 'href="/arrears/cases/HL001/"' in unit_page.split('id="unit-case"')[1][:200]


def test_the_case_pages_of_another_office_are_404(qn: dict[str, Any]) -> None:
    ladder.do_confirm_steps([step_of("CP001").pk], "cp_off", "test")
    notice = Notice.objects.get(unit__code="CP001")
    cp_case = Case.objects.get(unit__code="CP001")
    CaseNote.objects.create(case=cp_case, author="cp_off", text="x",
                            attachment=SimpleUploadedFile("a.txt", b"secret"))
    note = CaseNote.objects.get()
    hl = as_user(qn, "hl_mgr")
    assert hl.get("/arrears/cases/CP001/").status_code == 404
    assert hl.get(f"/arrears/cases/HL001/?case={cp_case.pk}").status_code == 404
    assert hl.post("/arrears/cases/CP001/note/", {"text": "x"}).status_code == 404
    assert hl.get(f"/arrears/attachments/{note.pk}/").status_code == 404
    assert hl.get(f"/arrears/notices/{notice.pk}.pdf").status_code == 404
    assert as_user(qn, "hl_off").get("/arrears/cases/HL001/").status_code == 200
    assert as_user(qn, "hl_off2").get("/arrears/cases/HL001/").status_code == 404  # not their unit


@needs_pdf
def test_the_notice_pdf_downloads(qn: dict[str, Any]) -> None:
    n = confirm_hl001()
    r = as_user(qn, "hl_off").get(f"/arrears/notices/{n.pk}.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert f"thong-bao-HL001-20251031-{n.pk}.pdf" in r["Content-Disposition"]


# --------------------------------------------------------------------------- working groups and visits


def test_plan_and_record_a_visit_with_a_commitment(qn: dict[str, Any]) -> None:
    hl_group = groups.do_form_group("Đoàn liên ngành số 3", qn["offices"]["HL"], "Phó Giám đốc BHXH Hạ Long",
                                    AGENCIES, date(2025, 10, 1))
    cp_group = groups.do_form_group("Đoàn liên ngành số 5", qn["offices"]["CP"], "BHXH Cẩm Phả", AGENCIES,
                                    date(2025, 10, 1))
    cp_visit = groups.do_plan_visit(cp_group, qn["units"]["CP001"], date(2025, 11, 10))
    c = as_user(qn, "hl_mgr")
    r = c.post(f"/arrears/groups/{hl_group.pk}/plan/", {"unit": "HL001", "planned_on": "2025-11-12"})
    assert r.status_code == 302
    visit = Visit.objects.get(unit__code="HL001")
    page = text(c.get("/arrears/groups/"))
    assert "Đoàn liên ngành số 3" in page and "Công an tỉnh" in page and "12/11/2025" in page
    assert "Đoàn liên ngành số 5" not in page and "CP001" not in page
    r = c.post(f"/arrears/visits/{visit.pk}/", {"done_on": "2025-11-12", "outcome": "committed",
                                                "minutes": "Đơn vị cam kết trả 2 đợt",
                                                "schedule": "2025-11-30 900.000\n2025-12-31 900.000"})
    assert r.status_code == 302
    commitment = Commitment.objects.get()
    assert commitment.schedule == [{"due_on": "2025-11-30", "amount": 900_000},
                                   {"due_on": "2025-12-31", "amount": 900_000}]
    page = text(c.get("/arrears/cases/HL001/"))
    commitments = page.split('id="case-commitments"')[1].split("</table>")[0]
    assert "30/11/2025: 900.000 đ; 31/12/2025: 900.000 đ" in commitments and "1.800.000 đ" in commitments
    assert "Đơn vị cam kết trả 2 đợt" in page.split('id="case-visits"')[1]
    # a bad schedule line is named and changes nothing
    v2 = groups.do_plan_visit(hl_group, qn["units"]["HL001"], date(2025, 11, 20))
    page = text(c.post(f"/arrears/visits/{v2.pk}/", {"done_on": "2025-11-20", "outcome": "committed",
                                                     "schedule": "2025-12-31 900000\n31/12/2025 5"}, follow=True))
    assert "dòng lịch trả 2" in page and Commitment.objects.count() == 1
    # another office's group and visit are out of reach
    assert c.post(f"/arrears/groups/{cp_group.pk}/plan/", {"unit": "HL001", "planned_on": "2025-11-12"}
                  ).status_code == 404
    assert c.post(f"/arrears/visits/{cp_visit.pk}/", {"done_on": "2025-11-12", "outcome": "paid"}).status_code == 404
    assert Visit.objects.get(pk=cp_visit.pk).done_on is None


# --------------------------------------------------------------------------- disclosure


def test_disclosure_needs_the_province_managers_approval_and_exports_the_list(qn: dict[str, Any]) -> None:
    assert disclosure.nominate(OCT31, min_months=1) == 2  # HL001 (2 months), CP001 (1 month)
    hl = as_user(qn, "hl_mgr")
    page = text(hl.get("/arrears/disclosure/"))
    assert "HL001" in page and "CP001" not in page and 'id="review-button"' not in page
    ids = list(Disclosure.objects.values_list("pk", flat=True))
    assert hl.post("/arrears/disclosure/review/", {"entry": ids}).status_code == 403
    assert hl.post("/arrears/disclosure/publish/", {}).status_code == 403
    prov = as_user(qn, "prov")
    assert prov.post("/arrears/disclosure/publish/", {"on": "2025-11-05"}).status_code == 302
    assert not Disclosure.objects.filter(status="published").exists()  # nothing approved yet
    prov.post("/arrears/disclosure/review/", {"entry": ids, "on": "2025-11-03"})
    assert set(Disclosure.objects.values_list("status", "approved_by")) == {("approved", "prov")}
    prov.post("/arrears/disclosure/publish/", {"on": "2025-11-05"})
    page = text(prov.get("/arrears/disclosure/?as_of=2025-11-05"))
    published = page.split('id="disclosure-published"')[1].split("</table>")[0]
    assert "HL001" in published and "CP001" in published and "05/11/2025" in published and "900.000 đ" in published
    wb = load_workbook(BytesIO(prov.get("/arrears/disclosure.xlsx?as_of=2025-11-05").content))
    rows = [r for r in wb.active.iter_rows(min_row=3, values_only=True)]
    assert [(r[1], r[5], r[6]) for r in rows] == [("HL001", 2, 900_000), ("CP001", 1, 450_000)]
    wb = load_workbook(BytesIO(hl.get("/arrears/disclosure.xlsx?as_of=2025-11-05").content))
    assert [r[1] for r in wb.active.iter_rows(min_row=3, values_only=True)] == ["HL001"]


@needs_pdf
def test_the_published_list_as_pdf(qn: dict[str, Any]) -> None:
    r = as_user(qn, "prov").get("/arrears/disclosure.pdf?as_of=2025-11-05")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


# --------------------------------------------------------------------------- reward, inspection, figures


def test_the_reward_check_one_code_and_an_uploaded_list(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    page = text(c.get("/arrears/reward/?code=5700100001&as_of=2025-10-31"))
    assert "HL001" in page and "không được xét" in page
    assert "còn nợ chậm đóng 900.000 đồng, 2 tháng, đến ngày 31/10/2025" in page
    page = text(c.get("/arrears/reward/?code=HL002&as_of=2025-10-31"))
    assert "không nợ chậm đóng, không có hành vi trốn đóng trong năm" in page
    upload = SimpleUploadedFile("ds-khen-thuong.csv", b"ma\n5700100001\nHL002\nCP001\n", content_type="text/csv")
    page = text(c.post("/arrears/reward/", {"file": upload, "as_of": "2025-10-31"}))
    rows = page.split('id="reward-answers"')[1].split("</table>")[0]
    assert rows.count("<tr class=") == 3 and "<strong>2</strong>" in page
    assert "CP001" in rows and "không tìm thấy đơn vị" in rows  # another office's unit is not shown
    bad = SimpleUploadedFile("ds.csv", b"HL001\n\xff\xfe\n", content_type="text/csv")
    page = text(c.post("/arrears/reward/", {"file": bad}))
    assert "ds.csv: dòng 2: không phải văn bản UTF-8" in page


def test_the_inspection_ranking_shows_the_score_parts(qn: dict[str, Any]) -> None:
    """HL001: months 35 × 2/12 = 5.83; amount 25 × 900,000 / 500,000,000 = 0.05; trend 15 (nothing late
    three months earlier); floor 0 (wage 10,000,000); headcount 0: 20.88. CP001: 2.92 + 0.02 + 15 = 17.94."""
    page = text(as_user(qn, "prov").get("/arrears/inspection/?as_of=2025-10-31"))
    table = page.split('id="inspection-table"')[1].split("</table>")[0]
    assert table.index("HL001") < table.index("CP001")
    assert "20,88" in table and "5,83" in table and "17,94" in table
    page = text(as_user(qn, "hl_mgr").get("/arrears/inspection/?as_of=2025-10-31"))
    assert "HL001" in page and "CP001" not in page


def test_the_enforcement_figures_page(qn: dict[str, Any]) -> None:
    """NOTICE confirmed for HL001 on 31 Oct; HL001 pays 900,000 on 5 Nov: recovered after NOTICE 900,000."""
    confirm_hl001()
    f.payment(qn["units"]["HL001"], date(2025, 11, 5), 900_000)
    c = as_user(qn, "hl_mgr")
    page = text(c.get("/arrears/numbers/?from=2025-10-01&to=2025-11-30"))
    assert re.search(r'id="n-notices">1<', page)
    recovered = page.split('id="recovered"')[1].split("</table>")[0]
    assert "Thông báo" in recovered and "900.000 đ" in recovered
    by_step = page.split('id="cases-by-step-table"')[1].split("</table>")[0]
    assert "Thông báo" in by_step and ">1<" in by_step
    page = text(as_user(qn, "prov").get("/arrears/numbers/?from=2025-10-01&to=2025-11-30&office=CP"))
    assert re.search(r'id="n-notices">0<', page) and "900.000 đ" not in page
    assert c.get("/arrears/numbers/?office=CP").status_code == 404


def test_an_english_user_gets_english_labels(qn: dict[str, Any]) -> None:
    c = as_user(qn, "hl_mgr")
    c.post("/i18n/setlang/", {"language": "en", "next": "/arrears/"})
    page = text(c.get("/arrears/"))
    assert "Arrears cases" in page and "Proposed next step" in page and "900.000 đ" in page


def test_no_inline_script_on_the_arrears_pages(qn: dict[str, Any]) -> None:
    c = as_user(qn, "prov")
    for url in ("/arrears/", "/arrears/cases/HL001/", "/arrears/groups/", "/arrears/disclosure/",
                "/arrears/reward/?code=HL001", "/arrears/inspection/", "/arrears/numbers/"):
        page = text(c.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert not re.search(r"\son[a-z]+=", page), url



def test_confirm_every_proposal_of_the_filtered_cases(qn: dict[str, Any]) -> None:
    """The province manager confirms all proposals of the cases at least 2 months late: HL001 only."""
    c = as_user(qn, "prov")
    page = text(c.post("/arrears/confirm/", {"all": "1", "next": "min_months=2"}, HTTP_HX_REQUEST="true"))
    assert "1 bước đã duyệt" in page
    assert list(CaseStep.objects.filter(status="confirmed").values_list("case__unit__code", flat=True)) == ["HL001"]
    # a grassroots manager's "all" never reaches another office
    text(as_user(qn, "hl_mgr").post("/arrears/confirm/", {"all": "1", "next": ""}, follow=True))
    assert CaseStep.objects.get(case__unit__code="CP001").status == "proposed"


def test_a_visit_that_finds_no_unit_proposes_missing_and_a_manager_applies_it(qn: dict[str, Any]) -> None:
    """HL001 not found at its address: the visit proposes status ``missing``; once applied, the next sync
    closes the case as class IV."""
    from sicollect.arrears.cases import sync

    g = groups.do_form_group("Đoàn liên ngành số 3", qn["offices"]["HL"], "BHXH Hạ Long", AGENCIES, date(2025, 10, 1))
    v = groups.do_plan_visit(g, qn["units"]["HL001"], date(2025, 11, 12))
    cp_g = groups.do_form_group("Đoàn số 5", qn["offices"]["CP"], "BHXH Cẩm Phả", AGENCIES, date(2025, 10, 1))
    cp_v = groups.do_plan_visit(cp_g, qn["units"]["CP001"], date(2025, 11, 12))
    groups.do_record_visit(cp_v, date(2025, 11, 12), "not_found", "", "cp_mgr")
    c = as_user(qn, "hl_off")
    c.post(f"/arrears/visits/{v.pk}/", {"done_on": "2025-11-12", "outcome": "not_found", "minutes": "Trụ sở đóng cửa"})
    assert as_user(qn, "hl_off").post(f"/arrears/visits/{v.pk}/status/").status_code == 403  # a manager decides
    mgr = as_user(qn, "hl_mgr")
    assert "missing" in text(mgr.get("/arrears/groups/"))
    assert mgr.post(f"/arrears/visits/{cp_v.pk}/status/").status_code == 404
    assert mgr.post(f"/arrears/visits/{v.pk}/status/").status_code == 302
    qn["units"]["HL001"].refresh_from_db()
    assert qn["units"]["HL001"].status == "missing"
    assert sync(OCT31).closed_class_iv == 1
    assert Case.objects.get(unit__code="HL001").close_reason == "class_iv"
