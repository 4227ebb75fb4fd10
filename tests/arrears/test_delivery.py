"""Delivering notices: e-mail with the PDF, the SMS and Zalo outbox files, the delivery status, the
providers' delivery report, the contacts' domain and the registry import of them."""
from __future__ import annotations

import csv
import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from sicollect.arrears import delivery
from sicollect.arrears.models import CaseEvent, Notice, NoticeDelivery
from sicollect.core import domain
from sicollect.core.models import AuditEvent
from sicollect.core.privacy import mask_contact, mask_personal_numbers
from sicollect.exchange.registry_import import import_dir
from sicollect.exchange.rows import ImportErrors
from sicollect.registry.models import Unit

from .test_notices import issue_notices, setup_province

pytestmark = pytest.mark.django_db


def province() -> tuple[Notice, Notice]:
    """TA0001 (office QN) with an e-mail and a mobile; TB0002 (office HL) with neither. Each owes
    1,812,420 đồng by 15/11/2025 (tests/arrears/test_notices.py)."""
    setup_province()
    Unit.objects.filter(code="TA0001").update(email="ketoan@congty.vn", phone="0912345678")
    a, b = issue_notices()
    return Notice.objects.select_related("unit", "office").get(pk=a.pk), b


def test_the_email_carries_the_pdf_and_names_the_notice_and_the_unit_and_a_unit_without_email_is_skipped() -> None:
    a, b = province()
    r = delivery.send(delivery.notices_for(), "email", "can.bo.thu", "test")
    assert len(mail.outbox) == 1
    m = mail.outbox[0]
    assert m.to == ["ketoan@congty.vn"]
    assert m.subject == f"Thông báo {a.number} — TA0001 Công ty TA0001"
    assert "1.812.420 đồng, hạn nộp 15/11/2025" in m.body and "BHXH TA0001 T10/2025" in m.body
    (name, content, mimetype), = m.attachments
    assert name == f"thong-bao-TA0001-20251031-{a.pk}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF") and len(content) > 5_000
    assert r.sent == [f"{a.number} TA0001 → k*****@congty.vn"]
    assert r.skipped == [f"{b.number} TB0002: the unit has no e-mail address"]
    d = NoticeDelivery.objects.get()
    assert (d.notice_id, d.channel, d.status, d.address, d.address_masked, d.actor) == (
        a.pk, "email", "sent", "ketoan@congty.vn", "k*****@congty.vn", "can.bo.thu")
    ev = CaseEvent.objects.get(kind="notice_delivery")
    assert ev.case_id == a.case_step.case_id and ev.text.startswith(f"E-mail {a.number} → k*****@congty.vn: Đã gửi")
    au = AuditEvent.objects.get(action="notice_delivery")
    assert au.unit_code == "TA0001" and au.detail["after"]["address"] == "k*****@congty.vn"
    assert "ketoan@" not in str(au.detail)


def test_sending_twice_sends_once_unless_resend() -> None:
    province()
    delivery.send(delivery.notices_for(), "email", "a", "test")
    again = delivery.send(delivery.notices_for(), "email", "a", "test")
    assert len(mail.outbox) == 1 and again.sent == []
    assert len(again.skipped) == 2 and any("TA0001: already sent on" in s and s.endswith("(resend to send again)")
                                           for s in again.skipped)
    delivery.send(delivery.notices_for(), "email", "a", "test", resend=True)
    assert len(mail.outbox) == 2 and NoticeDelivery.objects.count() == 2


def test_a_mail_the_backend_refuses_is_failed_and_tried_again_next_time() -> None:
    province()
    with override_settings(EMAIL_BACKEND="tests.arrears.test_delivery.Refusing"):
        r = delivery.send(delivery.notices_for(), "email", "a", "test")
    assert r.sent == [] and r.failed[0].endswith(": ConnectionRefusedError")
    d = NoticeDelivery.objects.get()
    assert d.status == "failed" and "ConnectionRefusedError: relay 0912345678 down" not in d.detail
    assert d.detail == "ConnectionRefusedError: relay *******678 down"  # masked like a national ID
    assert delivery.send(delivery.notices_for(), "email", "a", "test").sent != []  # failed: not "already sent"


class Refusing:
    def __init__(self, *args: object, **kw: object) -> None:
        pass

    def open(self) -> None:
        raise ConnectionRefusedError("relay down")

    def close(self) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("relay 0912345678 down")


def test_the_sms_line_of_a_worked_notice(tmp_path: Path) -> None:
    a, b = province()
    r = delivery.send(delivery.notices_for(), "sms", "can.bo.thu", "test", outbox=tmp_path)
    assert r.skipped == [f"{b.number} TB0002: the unit has no mobile phone number"]
    assert r.outbox is not None and r.outbox.parent == tmp_path and r.outbox.name.startswith("sms-esms-")
    raw = r.outbox.read_bytes()
    assert b"\r\n" in raw
    rows = list(csv.reader(StringIO(raw.decode("utf-8"))))
    text = (f"BHXH QN thong bao {a.number}: don vi TA0001 no 1.812.420 dong, han nop 15/11/2025. "
            "Noi dung CK: BHXH TA0001 T10/2025")
    d = NoticeDelivery.objects.get()
    # RequestId: the delivery's own id, which eSMS gives back in its callbacks (developers.esms.vn)
    assert rows == [["Phone", "Content", "Brandname", "SmsType", "RequestId"],
                    ["0912345678", text, "BHXH", "2", f"SIC-{d.pk}"]]
    assert len(text) <= 160 and all(ch in delivery.GSM7 for ch in text)
    assert (d.channel, d.status, d.address_masked, d.detail) == ("sms", "queued", "*******678", f"outbox {r.outbox.name}")
    assert delivery.send(delivery.notices_for(), "sms", "a", "test", outbox=tmp_path).outbox is None  # idempotent


def test_sms_text_strips_diacritics_and_stays_within_160() -> None:
    assert delivery.ascii_vietnamese("Nộp trước ngày Đà Nẵng đồng") == "Nop truoc ngay Da Nang dong"
    assert delivery.gsm7("Hạn nộp: 15/11 ₫ [x]") == "Han nop: 15/11 ? ?x?"
    a, _ = province()
    a.unit.code = "TQN0000123456789"
    a.number = "QN-TINH/2025/000000000123"
    a.transfer_message = "TQN0000123456789 T10/2025"
    a.office.code = "BHXHTINHQUANGNINH-CN01"
    a.total = 123_456_789_012
    text = delivery.sms_text(a)
    assert len(text) <= 160 and text.startswith("BHXH TB QN-TINH/2025/000000000123: TQN0000123456789 no 123.456.789.012d")


def test_the_zalo_outbox_has_the_phone_template_and_params(tmp_path: Path) -> None:
    a, _ = province()
    with pytest.raises(delivery.DeliveryError, match="SICOLLECT_ZALO_TEMPLATE_ID"):
        delivery.send(delivery.notices_for(), "zalo", "a", "test", outbox=tmp_path)
    assert NoticeDelivery.objects.count() == 0 and list(tmp_path.iterdir()) == []
    with override_settings(SICOLLECT_ZALO_TEMPLATE_ID="248123"):
        r = delivery.send(delivery.notices_for(), "zalo", "a", "test", outbox=tmp_path)
    assert r.outbox is not None
    rows = list(csv.reader(StringIO(r.outbox.read_text("utf-8"))))
    d = NoticeDelivery.objects.get()
    assert rows == [["phone", "template_id", "unit_name", "amount", "pay_by", "notice_number", "tracking_id"],
                    ["84912345678", "248123", "Công ty TA0001", "1.812.420", "15/11/2025", a.number, f"SIC-{d.pk}"]]


def report(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "report.csv"
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


def test_the_delivery_report_sets_the_status_all_or_nothing(tmp_path: Path) -> None:
    a, _ = province()
    delivery.send(delivery.notices_for(), "sms", "a", "test", outbox=tmp_path)
    bad = report(tmp_path, f"""\
        phone,notice_number,status
        0912345678,{a.number},DELIVRD
        +84 912 345 678,{a.number},ok
        0912345678,QN/1999/000001,delivered
        """)
    with pytest.raises(ImportErrors) as exc:
        delivery.import_report(bad, "a")
    assert [str(e) for e in exc.value.errors] == [
        "report.csv:3: status: unknown status 'ok' (expected one of acceptd, bounced, delivered, delivrd, "
        "expired, failed, rejectd, sent, undeliv)",
        "report.csv:4: notice_number: no notice 'QN/1999/000001'",
    ]
    assert NoticeDelivery.objects.get().status == "queued"  # line 2 was good: nothing written all the same
    good = report(tmp_path, f"""\
        notice_number;phone;status;detail
        {a.number};84912345678;DELIVRD;handset
        """)
    r = delivery.import_report(good, "a")
    assert (r.updated, r.unchanged) == (1, 0)
    d = NoticeDelivery.objects.get()
    assert d.status == "delivered" and d.detail == "report report.csv: handset"
    ev = CaseEvent.objects.filter(kind="notice_delivery").latest("id")
    assert ev.data["before"] == "queued" and ev.data["status"] == "delivered"
    assert delivery.import_report(good, "a").unchanged == 1


def test_a_report_line_for_a_phone_the_notice_was_not_sent_to(tmp_path: Path) -> None:
    a, _ = province()
    delivery.send(delivery.notices_for(), "sms", "a", "test", outbox=tmp_path)
    p = report(tmp_path, f"phone,notice_number,status\n0987654321,{a.number},failed\n")
    with pytest.raises(ImportErrors, match=r"report.csv:2: phone: notice .* was not sent to \*\*\*\*\*\*\*321"):
        delivery.import_report(p, "a")


# --------------------------------------------------------------------------- the command


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_send_command(tmp_path: Path) -> None:
    a, b = province()
    out = run("arrears", "send", "--channel", "email", "--office", "QN", "--actor", "can.bo.thu")
    assert out.splitlines()[0] == "email: 1 sent, 0 skipped, 0 failed"
    out = run("arrears", "send", "--channel", "email", "--issued-on", "2025-10-31")
    assert out.splitlines()[0] == "email: 0 sent, 2 skipped, 0 failed"
    out = run("arrears", "send", "--channel", "sms", "--outbox", str(tmp_path))
    assert out.startswith("sms: 1 queued, 1 skipped, 0 failed; outbox ")
    with pytest.raises(CommandError, match="SICOLLECT_ZALO_TEMPLATE_ID") as exc:
        run("arrears", "send", "--channel", "zalo", "--outbox", str(tmp_path))
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="expected YYYY-MM-DD"):
        run("arrears", "send", "--channel", "sms", "--issued-on", "31/10/2025")
    p = report(tmp_path, f"phone,notice_number,status\n0912345678,{a.number},nope\n")
    with pytest.raises(CommandError, match="report.csv:2: status: unknown status 'nope'") as exc:
        run("arrears", "delivery-report", str(p))
    assert exc.value.returncode == 2


# --------------------------------------------------------------------------- the contacts' domain


@pytest.mark.parametrize("raw", ["0912345678", "+84 912 345 678", "84912345678", "0912.345.678", "091-234-5678"])
def test_vietnamese_mobiles_are_normalised_to_ten_digits(raw: str) -> None:
    assert domain.vn_mobile(raw) == "0912345678"


@pytest.mark.parametrize("raw,reason", [
    ("02033123456", "10 digits starting 03, 05, 07, 08 or 09"),  # a landline
    ("01662345678", "got 11 digits"),  # an old 11-digit mobile
    ("0912 34x 678", "written in digits"),
    ("0212345678", "starting 03, 05"),
])
def test_other_numbers_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(domain.DomainError, match=reason):
        domain.vn_mobile(raw)


def test_emails() -> None:
    assert domain.email(" KeToan@CongTy.VN ") == "KeToan@congty.vn"
    assert domain.email("") == ""
    with pytest.raises(domain.DomainError, match="not an e-mail address"):
        domain.email("ketoan@")
    assert mask_contact("ketoan@congty.vn") == "k*****@congty.vn" and mask_contact("0912345678") == "*******678"
    assert mask_personal_numbers("gọi 0912345678") == "gọi *******678"


UNITS = """\
    unit_code,name,tax_code,office_code,ownership,status,region,payment_cycle,registered_on{extra}
    U1,Công ty A,0101234567,HN,private,active,II,1,2020-01-15{one}
    U2,HTX B,,HN,cooperative,active,1,1,2019-06-01{two}
    """


def write_units(tmp_path: Path, extra: str = "", one: str = "", two: str = "") -> Path:
    (tmp_path / "offices.csv").write_text("office_code,name,parent_code\nHN,BHXH Hà Nội,\n", encoding="utf-8")
    (tmp_path / "units.csv").write_text(textwrap.dedent(UNITS.format(extra=extra, one=one, two=two)), encoding="utf-8")
    return tmp_path


def test_the_registry_import_takes_optional_contacts(tmp_path: Path) -> None:
    import_dir(write_units(tmp_path, ",email,phone", ",ketoan@congty.vn,+84 912 345 678", ",,"))
    assert list(Unit.objects.values_list("code", "email", "phone")) == [
        ("U1", "ketoan@congty.vn", "0912345678"), ("U2", "", "")]
    import_dir(write_units(tmp_path))  # no contact columns: the stored contacts stay
    assert Unit.objects.get(code="U1").phone == "0912345678"


def test_bad_contacts_in_the_registry_import_name_file_line_and_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(ImportErrors) as exc:
        import_dir(write_units(tmp_path, ",phone,email", ",0212345678,a@b.vn", ",0912345678,not-mail"))
    assert [str(e) for e in exc.value.errors] == [
        "units.csv:2: phone: a Vietnamese mobile number is 10 digits starting 03, 05, 07, 08 or 09 "
        "(or +84 then 9 digits), got 10 digits",
        "units.csv:3: email: not an e-mail address: 'not-mail'",
    ]
    assert Unit.objects.count() == 0


def test_the_admin_form_checks_the_contacts_through_the_domain() -> None:
    from sicollect.registry.admin import UnitForm

    from .. import factories as f

    u = f.unit("TA0009")
    data = {"code": u.code, "name": u.name, "tax_code": "", "office": u.office_id, "ownership": u.ownership,
            "status": u.status, "region": 1, "payment_cycle": 1, "registered_on": "2020-01-01",
            "bank_account": "", "email": "KeToan@CongTy.VN", "phone": "+84 912 345 678"}
    form = UnitForm(data, instance=u)
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["email"], form.cleaned_data["phone"]) == ("KeToan@congty.vn", "0912345678")
    bad = UnitForm({**data, "phone": "02033123456", "email": "x@"}, instance=u)
    assert not bad.is_valid()
    assert "10 digits starting 03" in bad.errors["phone"][0] and "not an e-mail" in bad.errors["email"][0]
