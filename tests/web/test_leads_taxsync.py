"""Development leads and tax-sync decisions in the web app, on the province of :mod:`tests.web.helpers`.

Leads at 31 Oct 2025: Phạm Văn Dũng (HL) paid voluntary SI to June 2025 and Lê Thị Cúc (CP) to May 2025:
each is a ``voluntary_lapsed`` lead of their office. HL's officer moves Dũng new → contacted → enrolled
(final: he cannot become refused after), adds Ngô Văn Bình by hand, and never reaches Cúc (404).

The tax list (3 enterprises): 5700100001 (HL001) "Tạm ngừng kinh doanh" proposes suspended, 5700200001
(CP001) "Đã giải thể" proposes dissolved, 5700100002 (HL002) active like its unit: 2 proposals. HL's
manager confirms HL001's (now suspended, audited) and gets a 404 on CP001's; CP's manager must give a
reason to reject.
"""
from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from sicollect.core.models import AuditEvent
from sicollect.core.months import Month
from sicollect.coverage.models import Lead, VoluntaryEnrolment
from sicollect.exchange.models import ImportBatch, UnitStatusProposal
from sicollect.registry.models import Unit

from .. import factories as f
from .helpers import as_user

pytestmark = pytest.mark.django_db


def lapsed(qn: dict[str, Any]) -> None:
    for si, name, office, last in (("2201000099", "Phạm Văn Dũng", "HL", Month(2025, 6)),
                                   ("2202000099", "Lê Thị Cúc", "CP", Month(2025, 5))):
        p = f.person(si)
        p.full_name = name
        p.save()
        VoluntaryEnrolment.objects.create(person=p, office=qn["offices"][office], income=5_000_000,
                                          from_month=Month(2024, 1), to_month=last)


def test_an_officer_works_a_lead_of_their_office(qn: dict[str, Any]) -> None:
    lapsed(qn)
    client = as_user(qn, "hl_off")
    html = client.get("/coverage/leads/?as_of=2025-10-31").content.decode()
    assert "Phạm Văn Dũng" in html and "Lê Thị Cúc" not in html and "paid to 2025-06" in html
    assert "Dừng đóng BHXH tự nguyện" in html and ">Mới<" in html  # kind and status in words
    body = {"kind": "voluntary_lapsed", "si_code": "2201000099", "as_of": "2025-10-31", "status": "contacted",
            "note": "gọi điện 05/11"}
    assert client.post("/coverage/leads/status/", body).status_code == 302
    lead = Lead.objects.get()
    assert (lead.status, lead.office.code, lead.note, lead.created_by) == ("contacted", "HL", "gọi điện 05/11", "hl_off")
    assert client.post("/coverage/leads/status/", {"lead": lead.pk, "status": "enrolled"}).status_code == 302
    r = client.post("/coverage/leads/status/", {"lead": lead.pk, "status": "refused"}, follow=True)
    assert "it cannot become refused" in r.content.decode()
    lead.refresh_from_db()
    assert lead.status == "enrolled"
    assert [(e.action, e.detail["before"], e.detail["after"])
            for e in AuditEvent.objects.filter(object_type="lead").order_by("id")] == [
        ("track_lead", None, {"status": "new"}), ("set_lead_status", "new", "contacted"),
        ("set_lead_status", "contacted", "enrolled")]
    html = client.get("/coverage/leads/?as_of=2025-10-31&status=enrolled").content.decode()
    assert "Phạm Văn Dũng" in html
    # Cúc is CP's: neither found nor, once kept by CP, reachable by id
    cuc = {**body, "si_code": "2202000099"}
    assert client.post("/coverage/leads/status/", cuc).status_code == 404
    assert as_user(qn, "cp_off").post("/coverage/leads/status/", cuc).status_code == 302
    cp_lead = Lead.objects.get(si_code="2202000099")
    assert client.post("/coverage/leads/status/", {"lead": cp_lead.pk, "status": "refused"}).status_code == 404
    assert as_user(qn, "hl_view").post("/coverage/leads/status/", {"lead": lead.pk, "status": "refused"}).status_code == 403


def test_add_a_lead_by_hand_and_move_it_from_the_cli(qn: dict[str, Any]) -> None:
    client = as_user(qn, "hl_off")
    r = client.post("/coverage/leads/add/", {"office": "HL", "full_name": "Ngô Văn Bình", "detail": "bán hàng chợ Hạ Long"})
    assert r.status_code == 302
    lead = Lead.objects.get()
    assert (lead.kind, lead.status, lead.office.code) == ("manual", "new", "HL")
    assert "Ngô Văn Bình" in client.get("/coverage/leads/").content.decode()
    assert "Ngô Văn Bình" not in as_user(qn, "cp_mgr").get("/coverage/leads/").content.decode()
    assert client.post("/coverage/leads/add/", {"office": "CP", "full_name": "X"}).status_code == 404
    assert as_user(qn, "hl_view").post("/coverage/leads/add/", {"office": "HL", "full_name": "X"}).status_code == 403
    out = io.StringIO()
    call_command("coverage", "lead", "status", str(lead.pk), "refused", "--note", "không có nhu cầu", stdout=out)
    assert out.getvalue().strip() == f"lead #{lead.pk} Ngô Văn Bình: refused"
    with pytest.raises(CommandError, match="expected one of new, contacted, enrolled, refused"):
        call_command("coverage", "lead", "status", str(lead.pk), "maybe")
    assert AuditEvent.objects.filter(action="set_lead_status", actor__startswith="cli:").count() == 1
    call_command("coverage", "lead", "add", "--office", "CP", "--name", "Trần Thị Hoa", stdout=out)
    assert Lead.objects.get(full_name="Trần Thị Hoa").office.code == "CP"
    with pytest.raises(CommandError, match="--office: unknown office 'XX'"):
        call_command("coverage", "lead", "add", "--office", "XX", "--name", "Y")


TAX_LIST = ("tax_code,name,status\n5700100001,Công ty HL một,Tạm ngừng kinh doanh\n"
            "5700200001,Công ty CP một,Đã giải thể\n5700100002,Công ty HL hai,Đang hoạt động\n")


def upload(client: Any, text: str, name: str = "thue.csv") -> Any:
    return client.post("/taxsync/upload/", {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def test_upload_the_tax_list_then_confirm_and_reject(qn: dict[str, Any]) -> None:
    prov = as_user(qn, "prov")
    assert upload(as_user(qn, "hl_mgr"), TAX_LIST).status_code == 403
    r = upload(prov, TAX_LIST)
    assert r.status_code == 302
    batch = ImportBatch.objects.latest("id")  # its number is the row's id: 1 alone, more after other tests (PostgreSQL)
    assert (f"thue.csv: danh sách số {batch.pk}, 3 doanh nghiệp, 2 đề xuất trạng thái đơn vị"
            in prov.get(r["Location"]).content.decode())
    hl_p = UnitStatusProposal.objects.get(unit__code="HL001")
    cp_p = UnitStatusProposal.objects.get(unit__code="CP001")
    assert (hl_p.to_status, cp_p.to_status) == ("suspended", "dissolved")

    hl = as_user(qn, "hl_mgr")
    html = hl.get("/taxsync/").content.decode()
    assert "HL001" in html and "CP001" not in html
    assert hl.post(f"/taxsync/{cp_p.pk}/confirm/", {}).status_code == 404
    assert as_user(qn, "hl_off").post(f"/taxsync/{hl_p.pk}/confirm/", {}).status_code == 403
    assert hl.post(f"/taxsync/{hl_p.pk}/confirm/", {"note": "đã xác minh"}).status_code == 302
    assert Unit.objects.get(code="HL001").status == "suspended"
    event = AuditEvent.objects.get(action="confirm_unit_status")
    assert (event.actor, event.unit_code, event.detail["before"], event.detail["after"]) == (
        "hl_mgr", "HL001", "active", "suspended")
    assert hl.post(f"/taxsync/{hl_p.pk}/confirm/", {}).status_code == 400  # no longer open

    cp = as_user(qn, "cp_mgr")
    r = cp.post(f"/taxsync/{cp_p.pk}/reject/", {"note": "  "})
    assert r.status_code == 400 and UnitStatusProposal.objects.get(pk=cp_p.pk).status == "open"
    assert cp.post(f"/taxsync/{cp_p.pk}/reject/", {"note": "đơn vị vẫn hoạt động"}).status_code == 302
    assert UnitStatusProposal.objects.get(pk=cp_p.pk).status == "rejected"
    assert Unit.objects.get(code="CP001").status == "active"
    assert hl.post(f"/taxsync/{hl_p.pk}/undo/", {}).status_code == 404


def test_a_bad_tax_list_names_file_and_line_and_writes_nothing(qn: dict[str, Any]) -> None:
    prov = as_user(qn, "prov")
    r = upload(prov, TAX_LIST.replace("5700200001", "57002"))
    assert r.status_code == 400
    assert "thue.csv:3: tax_code: must be 10 digits, or 10-3 for a branch, got &#x27;57002&#x27;" in r.content.decode()
    assert not ImportBatch.objects.exists() and not UnitStatusProposal.objects.exists()
    assert upload(prov, TAX_LIST).status_code == 302
    r = upload(prov, TAX_LIST)  # the same file again
    assert r.status_code == 400 and "thue.csv:1: file: already imported as list #" in r.content.decode()
