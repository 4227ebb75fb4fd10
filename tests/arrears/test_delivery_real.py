"""The providers' delivery reports as eSMS.vn publishes them (tests/data/real/esms/, see SOURCES), read back
onto the deliveries of the SMS and Zalo outbox (arrears.delivery.import_report), and a report as a spreadsheet
leaves it: adversarial values, each refused by file, line and field with nothing written.

Three notices of 1,812,420 đ by 15/11/2025 (tests/arrears/test_notices.py), to the numbers of eSMS's samples:
TA0001 0901888484 (Viettel), TB0002 0918238965 (Vinaphone), TD0004 0765418062 (Mobifone).
"""
from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.test import override_settings

from sicollect.arrears import delivery
from sicollect.arrears.models import CaseEvent, Notice, NoticeDelivery
from sicollect.core.models import AuditEvent
from sicollect.exchange.rows import ImportErrors
from sicollect.registry.models import Office, Unit

from .. import factories as f
from .test_cases import hi_unit, post
from .test_notices import issue_notices

pytestmark = pytest.mark.django_db

REAL = Path(__file__).resolve().parents[1] / "data" / "real" / "esms"
PHONES = {"TA0001": "0901888484", "TB0002": "0918238965", "TD0004": "0765418062"}


def province() -> dict[str, Notice]:
    qn = f.office("QN")
    qn.bank_bin, qn.bank_account = "970415", "113366668888"
    qn.save()
    hl = Office.objects.create(code="HL", name="BHXH Hạ Long", parent=qn)
    hi_unit("TA0001")
    hi_unit("TB0002", office=hl)
    hi_unit("TD0004")
    post("2025-10")
    for code, phone in PHONES.items():
        Unit.objects.filter(code=code).update(phone=phone)
    issue_notices()
    return {n.unit.code: n for n in Notice.objects.select_related("unit")}


def statuses() -> dict[tuple[str, str], str]:
    return {(d.notice.unit.code, d.channel): d.status for d in NoticeDelivery.objects.select_related("notice__unit")}


def copy(tmp_path: Path, *names: str, as_name: str = "report.txt") -> Path:
    """Real files as one report: a webhook's log of eSMS callbacks is their lines one after another."""
    out = tmp_path / as_name
    out.write_text("".join((REAL / n).read_text("utf-8") for n in names), encoding="utf-8")
    return out


def errors_of(path: Path) -> list[str]:
    before = (statuses(), CaseEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ImportErrors) as exc:
        delivery.import_report(path, "can.bo.thu")
    assert (statuses(), CaseEvent.objects.count(), AuditEvent.objects.count()) == before  # nothing written
    return [str(e) for e in exc.value.errors]


def test_esms_per_number_status_sets_each_notices_sms(tmp_path: Path) -> None:
    """GetSmsReceiverStatus_get's sample: Viettel's SentResult true → delivered; Vinaphone's and Mobifone's
    false → failed; each change is an audit row and an event on the notice's case."""
    n = province()
    r = delivery.send(delivery.notices_for(), "sms", "can.bo.thu", "test", outbox=tmp_path)
    assert len(r.sent) == 3 and statuses() == {(c, "sms"): "queued" for c in PHONES}
    events = CaseEvent.objects.count()
    result = delivery.import_report(REAL / "receiver-status-100.json", "can.bo.thu")
    assert (result.updated, result.unchanged) == (3, 0)
    assert statuses() == {("TA0001", "sms"): "delivered", ("TB0002", "sms"): "failed", ("TD0004", "sms"): "failed"}
    d = NoticeDelivery.objects.get(notice=n["TA0001"])
    assert d.detail == "report receiver-status-100.json: eSMS Viettel"
    assert CaseEvent.objects.count() == events + 3
    ev = CaseEvent.objects.filter(case=n["TB0002"].case_step.case, kind="notice_delivery").latest("id")
    assert (ev.data["before"], ev.data["status"]) == ("queued", "failed")
    assert AuditEvent.objects.filter(action="notice_delivery", unit_code="TA0001").count() == 2  # queued, delivered
    again = delivery.import_report(REAL / "receiver-status-100.json", "can.bo.thu")
    assert (again.updated, again.unchanged) == (0, 3)


def test_esms_per_number_status_of_a_number_never_sent_to_or_an_error_answer(tmp_path: Path) -> None:
    province()
    Unit.objects.filter(code="TD0004").update(phone="")  # Mobifone's number: no SMS went to it
    delivery.send(delivery.notices_for(), "sms", "can.bo.thu", "test", outbox=tmp_path)
    assert errors_of(REAL / "receiver-status-100.json") == [
        "receiver-status-100.json:21: Phone: no notice was sent to *******062 by SMS"]
    assert errors_of(REAL / "receiver-status-101.json") == [
        "receiver-status-101.json:2: CodeResult: 101 (Authorize Failed): eSMS answered with an error, no status"]


def test_esms_callbacks_customer_care_sms_and_zalo(tmp_path: Path) -> None:
    """The customer-care SMS callback (SendStatus 5, SendSuccess 0, SendFailed 2) and the ZNS one (TypeId 25,
    error -114) on 0901888484: TA0001's SMS and TA0001's Zalo message both failed, Zalo's reason kept."""
    n = province()
    delivery.send(delivery.notices_for(), "sms", "can.bo.thu", "test", outbox=tmp_path / "sms")
    with override_settings(SICOLLECT_ZALO_TEMPLATE_ID="2056446"):
        delivery.send(delivery.notices_for(), "zalo", "can.bo.thu", "test", outbox=tmp_path / "zalo")
    log = copy(tmp_path, "callback-cskh.txt", "callback-zalo.txt", as_name="webhook.log")
    result = delivery.import_report(log, "can.bo.thu")
    assert (result.updated, result.unchanged) == (2, 0)
    got = statuses()
    assert (got[("TA0001", "sms")], got[("TA0001", "zalo")]) == ("failed", "failed")
    assert got[("TB0002", "sms")] == got[("TB0002", "zalo")] == "queued"
    zalo = NoticeDelivery.objects.get(notice=n["TA0001"], channel="zalo")
    assert zalo.detail == ("report webhook.log: eSMS f66545d2-c7e2-4603-984e-d2238c363c8292 SendStatus 5, "
                           "Zalo -114: User is inactive, or reject the message, or using an outdated Zalo version, or "
                           "other internal errors")
    sms = NoticeDelivery.objects.get(notice=n["TA0001"], channel="sms")
    assert sms.detail == "report webhook.log: eSMS dc712784-9c5f-4c69-b9a8-ea69d56adc9a87 SendStatus 5"


def test_esms_callbacks_that_are_not_a_numbers_sms_or_zns(tmp_path: Path) -> None:
    """The advertising callback (a campaign's, no number), Viber's (TypeId 23) and Zalo by user id."""
    province()
    delivery.send(delivery.notices_for(), "sms", "can.bo.thu", "test", outbox=tmp_path)
    log = copy(tmp_path, "callback-quangcao.txt", "callback-viber.txt", "callback-zalo-uid.txt", "callback-cskh.txt")
    assert errors_of(log) == [
        "report.txt:1: phonenumber: missing: a campaign's callback, not a number's (sicollect reads one number "
        "a line)",
        "report.txt:2: TypeId: '23': sicollect sends SMS (TypeId 1, 2) and Zalo (24 to 27), not Viber (23)",
        "report.txt:3: phonenumber: 19 digits: a Zalo user id, not a phone number (sicollect sends ZNS by phone "
        "number)",
    ]


def test_the_request_id_of_the_outbox_finds_the_one_delivery_among_several_to_a_number(tmp_path: Path) -> None:
    """Two notices of TA0001 wait on 0901888484 (the second sent again to the same number by another unit
    sharing it): eSMS's sample callback names no RequestId, so it cannot say which; with the outbox's
    RequestId (eSMS echoes it) it can."""
    n = province()
    Unit.objects.filter(code="TB0002").update(phone="0901888484")
    r = delivery.send(delivery.notices_for(), "sms", "can.bo.thu", "test", outbox=tmp_path)
    assert r.outbox is not None
    rows = list(csv.DictReader(StringIO(r.outbox.read_text("utf-8"))))
    ids = {row["RequestId"] for row in rows if row["Phone"] == "0901888484"}
    tb = NoticeDelivery.objects.get(notice=n["TB0002"])
    assert f"SIC-{tb.pk}" in ids and len(ids) == 2
    assert errors_of(copy(tmp_path, "callback-cskh.txt")) == [
        f"report.txt:1: phonenumber: 2 notices wait on *******484 by SMS ({n['TB0002'].number}, "
        f"{n['TA0001'].number}) and the line names none of them (no RequestId)"]
    line = (REAL / "callback-cskh.txt").read_text("utf-8").replace("RequestId=&", f"RequestId=SIC-{tb.pk}&")
    (tmp_path / "one.txt").write_text(line, encoding="utf-8")
    assert delivery.import_report(tmp_path / "one.txt", "a").updated == 1
    assert statuses()[("TB0002", "sms")] == "failed" and statuses()[("TA0001", "sms")] == "queued"
    (tmp_path / "bad.txt").write_text(line.replace(f"SIC-{tb.pk}", "SIC-999999"), encoding="utf-8")
    assert errors_of(tmp_path / "bad.txt") == [
        "bad.txt:1: RequestId: no SMS or Zalo delivery 'SIC-999999' (sicollect's are SIC-<number>, as its outbox "
        "wrote them)"]


def test_a_callback_log_keeps_the_last_word_of_a_delivery(tmp_path: Path) -> None:
    """SendStatus 7 (sent, awaiting the operator) then 5 with SendSuccess 1: delivered."""
    province()
    delivery.send(delivery.notices_for(), "sms", "can.bo.thu", "test", outbox=tmp_path)
    real = (REAL / "callback-cskh.txt").read_text("utf-8")
    waiting = real.replace("SendStatus=5", "SendStatus=7")
    done = real.replace("SendFailed=2", "SendFailed=0").replace("SendSuccess=0", "SendSuccess=1")
    (tmp_path / "log.txt").write_text(waiting + done, encoding="utf-8")
    assert delivery.import_report(tmp_path / "log.txt", "a").updated == 1
    assert statuses()[("TA0001", "sms")] == "delivered"


# --------------------------------------------------------------------------- a report through a spreadsheet


def csv_report(tmp_path: Path, body: str | bytes, name: str = "report.csv") -> Path:
    p = tmp_path / name
    if isinstance(body, str):
        p.write_text(body, encoding="utf-8")
    else:
        p.write_bytes(body)
    return p


@pytest.fixture
def sent(tmp_path: Path) -> dict[str, Notice]:
    n = province()
    delivery.send(delivery.notices_for(), "sms", "can.bo.thu", "test", outbox=tmp_path / "outbox")
    return n


def test_an_excel_saved_report_bom_semicolons_crlf_and_a_dropped_leading_zero(tmp_path: Path,
                                                                              sent: dict[str, Notice]) -> None:
    """Excel's "CSV UTF-8": a BOM, ``;``, CRLF, the phone as a number (its 0 gone), and a Vietnamese status
    written decomposed (NFD): read as 0901888484, Đã nhận = delivered."""
    import unicodedata

    status = unicodedata.normalize("NFD", "Đã nhận")
    body = f"\ufeffphone;notice_number;status\r\n901888484;{sent['TA0001'].number};{status}\r\n"
    assert delivery.import_report(csv_report(tmp_path, body), "a").updated == 1
    assert statuses()[("TA0001", "sms")] == "delivered"


@pytest.mark.parametrize(("cells", "error"), [
    ("0901888484,{n},delivered\x00", "report.csv:2: row: a NUL character: not a text report (a binary file, or "
                                     "a spreadsheet saved as one)"),
    ("9223372036854775808,{n},delivered", "report.csv:2: phone: a Vietnamese mobile number is 10 digits starting "
                                          "03, 05, 07, 08 or 09 (or +84 then 9 digits), got 19 digits"),
    ("8.49019E+10,{n},delivered", "report.csv:2: phone: '8.49019E+10' is a number in scientific notation, as a "
                                  "spreadsheet writes one: its digits are lost (save the column as text)"),
    ('0901888484,"=HYPERLINK(""http://x.example"",""x"")",delivered',
     "report.csv:2: notice_number: a spreadsheet formula ('=HYPERLINK(\"http://x.example\",\"x\")'), not a value"),
    ("0901888484,{n},=1+1", "report.csv:2: status: a spreadsheet formula ('=1+1'), not a value"),
    ("0901888484,{n},9223372036854775808", "report.csv:2: status: unknown status '9223372036854775808' (expected "
                                           "one of acceptd, bounced, delivered, delivrd, expired, failed, "
                                           "rejectd, sent, undeliv)"),
    ("0901888484,{n},delivered,\x07bell", "report.csv:2: detail: control character U+0007 at position 1"),
    ("0901888484,{n}", "report.csv:2: row: expected 3 fields, got 2"),
])
def test_adversarial_values_name_file_line_field_and_write_nothing(tmp_path: Path, sent: dict[str, Notice],
                                                                   cells: str, error: str) -> None:
    width = len(next(csv.reader([cells])))
    header = "phone,notice_number,status" + (",detail" if width == 4 else "")
    p = csv_report(tmp_path, f"{header}\n{cells.format(n=sent['TA0001'].number)}\n")
    assert errors_of(p) == [error]


def test_an_xlsx_or_an_empty_file_is_refused_by_name(tmp_path: Path, sent: dict[str, Notice]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["phone", "notice_number", "status"])
    wb.save(tmp_path / "report.xlsx")
    assert errors_of(tmp_path / "report.xlsx") == [
        "report.xlsx:1: file: an xlsx workbook: save the sheet as CSV UTF-8 (comma delimited) and read that"]
    assert errors_of(csv_report(tmp_path, "phone,notice_number,status\n")) == [
        "report.csv:1: file: no delivery status in the file"]
    assert errors_of(csv_report(tmp_path, '{"CodeResult": "100", "ReceiverList": [[[[' + "[" * 5000, "r.json")) == [
        "r.json:1: json: nested too deeply"]

