"""Sending notices from the web: the case page's button and the worklist's, roles and scope, the
delivery status on the case page and in the case history, the API's case detail.

The province of :mod:`tests.web.helpers`: HL001's notice (confirmed on 31 Oct 2025) asks 1,812,420
đồng; HL001 gets an e-mail and a mobile, CP001 (Cẩm Phả) neither.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from sicollect.api.models import ApiToken
from sicollect.arrears import ladder
from sicollect.arrears.models import CaseEvent, CaseStep, Notice, NoticeDelivery
from sicollect.core.models import AuditEvent
from sicollect.registry.models import Unit

from .helpers import as_user, build
from .test_views import needs_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def qn(settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.SICOLLECT_OUTBOX = tmp_path / "outbox"
    data = build()
    Unit.objects.filter(code="HL001").update(email="ketoan@hl001.vn", phone="0912345678")
    steps = CaseStep.objects.filter(step__code="NOTICE", case__unit__code__in=["HL001", "CP001"])
    ladder.do_confirm_steps(list(steps.values_list("pk", flat=True)), "prov", "test")
    return data


@needs_pdf
def test_the_case_page_button_mails_the_notice_and_shows_its_status(qn: dict[str, Any]) -> None:
    n = Notice.objects.get(unit__code="HL001")
    c = as_user(qn, "hl_off")
    page = c.get("/arrears/cases/HL001/").content.decode()
    assert 'action="/arrears/cases/HL001/send/"' in page and "Gửi thông báo qua" in page
    r = c.post("/arrears/cases/HL001/send/", {"channel": "email"}, follow=True)
    assert r.status_code == 200
    page = r.content.decode()
    assert "E-mail: đã gửi 1 thông báo." in page
    assert "E-mail k*****@hl001.vn: Đã gửi" in page and "ketoan@hl001.vn" not in page
    assert "gửi thông báo" in page  # the case history's event
    (m,) = mail.outbox
    assert m.subject == f"Thông báo {n.number} — HL001 Công ty HL001" and m.attachments[0][1].startswith(b"%PDF")
    d = NoticeDelivery.objects.get()
    assert (d.channel, d.status, d.actor) == ("email", "sent", "hl_off")
    assert CaseEvent.objects.filter(case=n.case_step.case, kind="notice_delivery").count() == 1
    assert AuditEvent.objects.filter(action="notice_delivery", actor="hl_off", unit_code="HL001").count() == 1
    again = c.post("/arrears/cases/HL001/send/", {"channel": "email"}, follow=True).content.decode()
    assert f"HL001, thông báo {n.number} bỏ qua: đã gửi rồi" in again and len(mail.outbox) == 1


def test_the_worklist_button_writes_the_sms_outbox_for_the_filtered_cases(qn: dict[str, Any],
                                                                          tmp_path: Path) -> None:
    c = as_user(qn, "prov")
    assert 'id="cases-send"' in c.get("/arrears/").content.decode()
    page = c.post("/arrears/send/", {"channel": "sms", "next": "office="}, follow=True).content.decode()
    assert "SMS: đã ghi 1 thông báo vào tệp gửi sms-esms-" in page
    cp = Notice.objects.get(unit__code="CP001")
    assert f"CP001, thông báo {cp.number} bỏ qua: đơn vị chưa có địa chỉ liên hệ" in page
    (out,) = (tmp_path / "outbox").iterdir()
    assert out.read_text("utf-8").splitlines()[1].startswith("0912345678,\"BHXH HL thong bao ")
    assert NoticeDelivery.objects.get().status == "queued"


def test_the_worklist_button_sends_only_the_cases_in_scope(qn: dict[str, Any], tmp_path: Path) -> None:
    Unit.objects.filter(code="CP001").update(phone="0987654321")
    page = as_user(qn, "hl_mgr").post("/arrears/send/", {"channel": "sms", "next": ""}, follow=True)
    assert "SMS: đã ghi 1 thông báo" in page.content.decode()
    assert list(NoticeDelivery.objects.values_list("notice__unit__code", flat=True)) == ["HL001"]
    (out,) = (tmp_path / "outbox").iterdir()
    assert "0987654321" not in out.read_text("utf-8")


def test_viewers_other_offices_and_bad_channels_are_refused(qn: dict[str, Any]) -> None:
    assert as_user(qn, "hl_view").post("/arrears/cases/HL001/send/", {"channel": "sms"}).status_code == 403
    assert as_user(qn, "hl_view").post("/arrears/send/", {"channel": "sms"}).status_code == 403
    assert as_user(qn, "cp_off").post("/arrears/cases/HL001/send/", {"channel": "sms"}).status_code == 404
    assert as_user(qn, "hl_off").post("/arrears/cases/HL001/send/", {"channel": "fax"}).status_code == 400
    assert as_user(qn, "hl_off").get("/arrears/cases/HL001/send/").status_code == 405
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(qn["users"]["hl_off"])
    assert csrf.post("/arrears/cases/HL001/send/", {"channel": "sms"}).status_code == 403
    assert NoticeDelivery.objects.count() == 0


def test_a_zalo_send_without_a_template_says_so_and_sends_nothing(qn: dict[str, Any]) -> None:
    page = as_user(qn, "hl_off").post("/arrears/cases/HL001/send/", {"channel": "zalo"}, follow=True)
    assert "Chưa gửi: no Zalo ZNS template id" in page.content.decode()
    assert NoticeDelivery.objects.count() == 0


def test_the_api_case_detail_shows_the_deliveries_masked(qn: dict[str, Any]) -> None:
    as_user(qn, "hl_off").post("/arrears/cases/HL001/send/", {"channel": "sms"})
    _, raw = ApiToken.issue(qn["users"]["hl_off"], "test")
    r = Client().get("/api/arrears/cases/HL001", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200, r.content
    n = Notice.objects.get(unit__code="HL001")
    (notice,) = r.json()["notices"]
    assert notice["deliveries"] == [{"channel": "sms", "address": "*******678", "status": "queued",
                                     "at": notice["deliveries"][0]["at"], "detail": notice["deliveries"][0]["detail"]}]
    assert notice["number"] == n.number and "0912345678" not in r.content.decode()
