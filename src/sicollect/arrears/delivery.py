"""Delivering notices: by e-mail with the PDF attached, by SMS and Zalo ZNS through the providers'
bulk-upload files (the outbox), by post; the delivery status of each, and the providers' delivery
reports read back.

- **E-mail**: Django's mail backend (``settings.EMAIL_BACKEND``: files in ``SICOLLECT_VAR/mail`` by
  default, so the demo sends nothing; SMTP with ``SICOLLECT_EMAIL_HOST``), one message a notice, its
  PDF attached (:func:`arrears.notices.pdf_of`). ``sent`` when the backend took it, ``failed`` with the
  reason when it did not.
- **SMS**: one CSV a run in ``SICOLLECT_OUTBOX`` (default ``SICOLLECT_VAR/outbox``), one message a row,
  for a Vietnamese brandname-SMS provider's bulk send. The columns are named after eSMS.vn's brandname
  API fields (``Phone``, ``Content``, ``Brandname``, ``SmsType`` 2 = customer care, the type a
  transactional notice takes): https://developers.esms.vn/en/esms-api/other-apis/send-customer-care-message-using-post-text
  (the portal's own spreadsheet template was not among the pages searched: check the column names
  against it before the first upload). The text is GSM 03.38 without Vietnamese diacritics, at most
  160 characters: one SMS, not a 70-character unicode one.
- **Zalo ZNS**: one CSV a run of ``phone`` (``84xxxxxxxxx``, the form the ZNS API takes), ``template_id``
  (``SICOLLECT_ZALO_TEMPLATE_ID``, the approved template) and the template's parameters ``unit_name``
  (at most 30 characters, ZNS's limit for a name parameter), ``amount``, ``pay_by`` (dd/mm/yyyy) and
  ``notice_number`` — the fields of ZNS's ``POST business.openapi.zalo.me/message/template``
  (``phone``, ``template_id``, ``template_data``): https://developers.zalo.me/docs/zalo-notification-service/
- Each outbox row carries the delivery's own id, ``SIC-<id>``: eSMS's ``RequestId`` (the partner's id of a
  message, at most 50 characters, echoed in its callbacks) and ZNS's ``tracking_id`` (echoed in Zalo's
  ``user_received_message`` event), so that a report line finds its delivery exactly.
- Rows written to the outbox are ``queued``; the provider's delivery report (:func:`import_report`) moves
  them to ``sent``, ``delivered``, ``failed`` or ``bounced``. Three forms are read, told apart by their
  content: our CSV (``phone,notice_number,status[,detail][,RequestId]``); eSMS's callbacks, one a line, as its
  webhook receives them (``…?SMSID=…&SendFailed=…&SendStatus=5&SendSuccess=…&RequestId=…&TypeId=2&
  phonenumber=…&error_info=…``: developers.esms.vn, "Callback Url"); and eSMS's per-number status of an SMS
  (``GetSmsReceiverStatus_get``: ``{"CodeResult": "100", "ReceiverList": [{"Phone", "IsSent",
  "SentResult", …}]}``). The samples in tests/data/real/esms/ are eSMS's own, from its documentation.
  A spreadsheet's doings are undone or refused by name: an xlsx, a NUL, a phone whose leading 0 it dropped
  (taken back) or that it rounded to ``8,49E+10`` (refused), a formula (``=HYPERLINK(…``, refused).

Every sending and every status change writes a :class:`NoticeDelivery` row, an audit row
(``core.audit.record``) and a :class:`CaseEvent` on the notice's case, in one transaction. Sending
twice the same notice on the same channel sends once: a second call skips it (``resend=True`` sends
again); a ``failed`` one is tried again. Addresses are shown masked (``core.privacy.mask_contact``).
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from urllib.parse import parse_qs, unquote
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sicollect.core import audit, domain
from sicollect.core.money import format_vnd
from sicollect.core.privacy import mask_contact, mask_personal_numbers
from sicollect.exchange.encodings import EncodingError, decode
from sicollect.exchange.rows import ImportError_, ImportErrors, read_csv

from .models import CaseEvent, Channel, DeliveryStatus, Notice, NoticeDelivery
from .notices import pdf_of

SMS_MAX = 160  # GSM 03.38 characters in one SMS (70 when a single character needs UCS-2)
ZNS_NAME_MAX = 30
SMS_TYPE_CUSTOMER_CARE = "2"
SMS_COLUMNS = ("Phone", "Content", "Brandname", "SmsType", "RequestId")
ZALO_COLUMNS = ("phone", "template_id", "unit_name", "amount", "pay_by", "notice_number", "tracking_id")
REPORT_COLUMNS = ("phone", "notice_number", "status")
REQUEST_ID = re.compile(r"SIC-([0-9]{1,12})")
REPORT_MAX_BYTES = 20 * 1024 * 1024
#: eSMS's TypeId (developers.esms.vn, "Callback Url"): 1 advertising, 2 customer care SMS; 24 priority and
#: 25 normal Zalo ZNS, 26 and 27 other Zalo messages; 23 Viber, which sicollect does not send
ESMS_TYPES = {"1": Channel.SMS, "2": Channel.SMS, "24": Channel.ZALO, "25": Channel.ZALO, "26": Channel.ZALO,
              "27": Channel.ZALO}
#: the statuses a delivery report may give: ours, and the SMPP delivery-receipt words (``stat:``)
REPORT_STATUSES: dict[str, str] = {
    "sent": DeliveryStatus.SENT, "delivered": DeliveryStatus.DELIVERED, "failed": DeliveryStatus.FAILED,
    "bounced": DeliveryStatus.BOUNCED, "delivrd": DeliveryStatus.DELIVERED, "undeliv": DeliveryStatus.FAILED,
    "rejectd": DeliveryStatus.FAILED, "expired": DeliveryStatus.FAILED, "acceptd": DeliveryStatus.SENT,
}
#: the GSM 03.38 default alphabet (no escape characters): what one 160-character SMS may hold
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


class DeliveryError(ValueError):
    """A sending that cannot start (no template id for Zalo, an unknown channel); nothing written."""


@dataclass
class SendReport:
    channel: str
    sent: list[str] = field(default_factory=list)  # "QN/2025/000001 TA0001 → k*****@congty.vn"
    skipped: list[str] = field(default_factory=list)  # "… : reason"
    failed: list[str] = field(default_factory=list)
    outbox: Path | None = None
    #: why each skipped one was: ``(notice number, unit code, "no_address" | "already")`` (for the pages)
    reasons: list[tuple[str, str, str]] = field(default_factory=list)

    def text(self) -> str:
        verb = "queued" if self.channel in (Channel.SMS, Channel.ZALO) else "sent"
        head = f"{self.channel}: {len(self.sent)} {verb}, {len(self.skipped)} skipped, {len(self.failed)} failed"
        if self.outbox:
            head += f"; outbox {self.outbox}"
        return "\n".join([head, *(f"  {verb} {s}" for s in self.sent), *(f"  skipped {s}" for s in self.skipped),
                          *(f"  failed {s}" for s in self.failed)])


# --------------------------------------------------------------------------- texts


def ascii_vietnamese(text: str) -> str:
    """``"Nộp trước ngày"`` → ``"Nop truoc ngay"``: the diacritics off, ``đ``/``Đ`` as ``d``/``D``."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def gsm7(text: str) -> str:
    """The text in the GSM default alphabet: Vietnamese diacritics stripped, anything else as ``?``."""
    return "".join(ch if ch in GSM7 else "?" for ch in ascii_vietnamese(text))


def sms_text(notice: Notice) -> str:
    """The SMS of a notice, at most 160 GSM characters: who, how much, by when, and the transfer message."""
    unit = notice.unit
    amount, pay_by = format_vnd(notice.total), f"{notice.pay_by:%d/%m/%Y}"
    forms = (
        f"BHXH {notice.office.code} thong bao {notice.number}: don vi {unit.code} no {amount} dong, "
        f"han nop {pay_by}. Noi dung CK: {notice.transfer_message}",
        f"BHXH TB {notice.number}: {unit.code} no {amount}d, han {pay_by}. CK: {notice.transfer_message}",
        f"BHXH TB {notice.number}: {unit.code} no {amount}d, han {pay_by}",
    )
    for text in forms:
        if len(gsm7(text)) <= SMS_MAX:
            return gsm7(text)
    return gsm7(forms[-1])[:SMS_MAX]


def email_subject(notice: Notice) -> str:
    return f"Thông báo {notice.number} — {notice.unit.code} {notice.unit.name}"[:250]


def email_body(notice: Notice) -> str:
    unit = notice.unit
    return (
        f"Kính gửi {unit.name} (mã đơn vị {unit.code}),\n\n"
        f"{notice.office.name} gửi kèm thông báo số {notice.number} ngày {notice.issued_on:%d/%m/%Y}.\n"
        f"Số tiền phải nộp: {format_vnd(notice.total)} đồng, hạn nộp {notice.pay_by:%d/%m/%Y}.\n"
        f"Nội dung chuyển khoản: {notice.transfer_message} (mã QR trong thông báo).\n\n"
        "Thư này được gửi tự động; xin liên hệ cán bộ thu phụ trách đơn vị nếu có sai sót.\n"
    )


def pdf_name(notice: Notice) -> str:
    return f"thong-bao-{notice.unit.code}-{notice.issued_on:%Y%m%d}-{notice.pk}.pdf"


# --------------------------------------------------------------------------- which notices


def notices_for(*, office: str | None = None, issued_on: date | None = None,
                cases: Iterable[int] | QuerySet[Any] | None = None) -> QuerySet[Notice]:
    """Notices to send: of an office (its code), issued on a day, of some cases."""
    qs = Notice.objects.select_related("unit", "office", "case_step__case").order_by("office__code", "unit__code", "id")
    if office:
        qs = qs.filter(office__code=office)
    if issued_on:
        qs = qs.filter(issued_on=issued_on)
    if cases is not None:
        qs = qs.filter(case_step__case__in=cases)
    return qs


def address_of(notice: Notice, channel: str) -> str:
    unit = notice.unit
    return {Channel.EMAIL: unit.email, Channel.SMS: unit.phone, Channel.ZALO: unit.phone}.get(channel, "")


def _already(notice: Notice, channel: str) -> NoticeDelivery | None:
    return (NoticeDelivery.objects.filter(notice=notice, channel=channel).exclude(status=DeliveryStatus.FAILED)
            .order_by("-id").first())


# --------------------------------------------------------------------------- recording


def _record(notice: Notice, channel: str, address: str, status: str, actor: str, source: str,
            detail: str = "") -> NoticeDelivery:
    """The delivery row, its audit row and the case's event (call inside a transaction)."""
    now = timezone.now()
    detail = mask_personal_numbers(detail)[:500]
    d = NoticeDelivery.objects.create(notice=notice, channel=channel, address=address, status=status, at=now,
                                      detail=detail, actor=actor)
    _event(d, actor, source, before=None)
    return d


def _event(d: NoticeDelivery, actor: str, source: str, before: str | None) -> None:
    notice = d.notice
    shown = d.address_masked or "—"
    label = Channel(d.channel).label
    status = DeliveryStatus(d.status).label
    audit.record("notice_delivery", actor, "arrears.NoticeDelivery", d.pk, unit_code=notice.unit.code,
                 before=before, after={"notice": notice.number, "channel": d.channel, "address": shown,
                                       "status": d.status}, source=source, detail_text=d.detail)
    CaseEvent.objects.create(
        case_id=notice.case_step.case_id, on=timezone.localdate(), kind="notice_delivery", actor=actor,
        text=f"{label} {notice.number} → {shown}: {status}" + (f" ({d.detail})" if d.detail else ""),
        data={"delivery": d.pk, "notice": notice.number, "channel": d.channel, "status": d.status,
              "before": before},
    )


# --------------------------------------------------------------------------- sending


def send(notices: Iterable[Notice], channel: str, actor: str, source: str, *, resend: bool = False,
         outbox: Path | None = None, template_id: str | None = None) -> SendReport:
    """Send ``notices`` on ``channel`` (email, sms, zalo or post); see the module's text."""
    if channel not in Channel.values:
        raise DeliveryError(f"channel: one of {', '.join(Channel.values)}, got {domain.safe_text(channel)!r}")
    if channel == Channel.ZALO:
        template_id = template_id or settings.SICOLLECT_ZALO_TEMPLATE_ID
        if not template_id:
            raise DeliveryError("no Zalo ZNS template id: set SICOLLECT_ZALO_TEMPLATE_ID (the approved template)")
    report = SendReport(channel)
    todo: list[tuple[Notice, str]] = []
    for n in notices:
        who = f"{n.number} {n.unit.code}"
        address = address_of(n, channel)
        if channel != Channel.POST and not address:
            what = "e-mail address" if channel == Channel.EMAIL else "mobile phone number"
            report.skipped.append(f"{who}: the unit has no {what}")
            report.reasons.append((n.number, n.unit.code, "no_address"))
            continue
        if not resend and (prior := _already(n, channel)) is not None:
            report.skipped.append(f"{who}: already {prior.status} on {prior.at:%Y-%m-%d %H:%M} "
                                  f"(resend to send again)")
            report.reasons.append((n.number, n.unit.code, "already"))
            continue
        todo.append((n, address))
    if channel == Channel.EMAIL:
        _send_emails(todo, actor, source, report)
    elif channel == Channel.POST:
        with transaction.atomic():
            for n, _ in todo:
                _record(n, channel, "", DeliveryStatus.SENT, actor, source, "printed and posted")
                report.sent.append(f"{n.number} {n.unit.code}")
    elif todo:
        _write_outbox(todo, channel, actor, source, report, outbox, template_id or "")
    return report


def _send_emails(todo: list[tuple[Notice, str]], actor: str, source: str, report: SendReport) -> None:
    if not todo:
        return
    connection = get_connection(fail_silently=False)
    try:  # one SMTP session for the run
        connection.open()
    except Exception:  # noqa: BLE001, S110 (each message's send below reports the failure, per notice)
        pass
    try:
        _send_each(todo, connection, actor, source, report)
    finally:
        connection.close()


def _send_each(todo: list[tuple[Notice, str]], connection: Any, actor: str, source: str,
               report: SendReport) -> None:
    for n, address in todo:
        who = f"{n.number} {n.unit.code} → {mask_contact(address)}"
        message = EmailMessage(subject=email_subject(n), body=email_body(n), to=[address], connection=connection)
        message.attach(pdf_name(n), pdf_of([n]), "application/pdf")
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001 (SMTP, socket, file: any failure is this notice's, recorded)
            with transaction.atomic():
                _record(n, Channel.EMAIL, address, DeliveryStatus.FAILED, actor, source,
                        f"{type(exc).__name__}: {exc}")
            report.failed.append(f"{who}: {type(exc).__name__}")
            continue
        with transaction.atomic():
            _record(n, Channel.EMAIL, address, DeliveryStatus.SENT, actor, source, settings.EMAIL_BACKEND.rsplit(".", 2)[-2])
        report.sent.append(who)


def request_id(d: NoticeDelivery) -> str:
    """The delivery's id as the provider gets it and gives it back (eSMS ``RequestId``, ZNS ``tracking_id``)."""
    return f"SIC-{d.pk}"


def sms_rows(queued: list[NoticeDelivery]) -> list[list[str]]:
    brand = settings.SICOLLECT_SMS_BRANDNAME
    return [[d.address, sms_text(d.notice), brand, SMS_TYPE_CUSTOMER_CARE, request_id(d)] for d in queued]


def zalo_rows(queued: list[NoticeDelivery], template_id: str) -> list[list[str]]:
    return [[domain.international_mobile(d.address), template_id, d.notice.unit.name[:ZNS_NAME_MAX],
             format_vnd(d.notice.total), f"{d.notice.pay_by:%d/%m/%Y}", d.notice.number, request_id(d)]
            for d in queued]


def _write_outbox(todo: list[tuple[Notice, str]], channel: str, actor: str, source: str, report: SendReport,
                  outbox: Path | None, template_id: str) -> None:
    """One CSV for the run; the rows ``queued`` in the same transaction (a file that cannot be written
    leaves no delivery behind)."""
    folder = Path(outbox or settings.SICOLLECT_OUTBOX)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    prefix = "sms-esms" if channel == Channel.SMS else "zalo-zns"
    path = folder / f"{prefix}-{stamp}.csv"
    i = 1
    while path.exists():
        i += 1
        path = folder / f"{prefix}-{stamp}-{i}.csv"
    with transaction.atomic():
        queued = [_record(n, channel, phone, DeliveryStatus.QUEUED, actor, source, f"outbox {path.name}")
                  for n, phone in todo]
        report.sent += [f"{n.number} {n.unit.code} → {mask_contact(phone)}" for n, phone in todo]
        header, rows = ((SMS_COLUMNS, sms_rows(queued)) if channel == Channel.SMS
                        else (ZALO_COLUMNS, zalo_rows(queued, template_id)))
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(buf.getvalue(), encoding="utf-8")  # UTF-8, CRLF: what spreadsheet uploads expect
        tmp.replace(path)
    report.outbox = path


# --------------------------------------------------------------------------- the providers' reports


@dataclass
class ReportResult:
    updated: int = 0
    unchanged: int = 0


@dataclass
class ReportLine:
    """One line of a delivery report, read: which delivery (the id given back, or the notice's number and the
    phone, or the phone alone) and its new status."""

    line: int
    field: str  # the report's own name of the phone field, for the errors: phone, phonenumber, Phone
    phone: str
    status: str
    detail: str = ""
    number: str = ""  # the notice's number (our CSV)
    request: str = ""  # the id given back (eSMS RequestId, ZNS tracking_id): SIC-<delivery id>
    channel: str = ""  # sms or zalo when the report says which, "" when not


def import_report(path: Path, actor: str, source: str = "") -> ReportResult:
    """Read a provider's delivery report (any of the module's three forms) and set the status of the matching
    SMS/Zalo deliveries: all or nothing, every bad line named ``file:line: field: reason``
    (:class:`ImportErrors`)."""
    path = Path(path)
    errors: list[ImportError_] = []
    lines, later_wins = _read_report(path, errors)
    if not errors and not lines:
        errors.append(ImportError_(path.name, 1, "file", "no delivery status in the file"))
    changes = _resolve(path.name, lines, later_wins, errors)
    if errors:
        raise ImportErrors(sorted(errors, key=lambda e: e.line))
    result = ReportResult()
    source = source or str(path)
    with transaction.atomic():
        for d, status, detail in changes:
            if d.status == status:
                result.unchanged += 1
                continue
            before = d.status
            d.status, d.at = status, timezone.now()
            d.detail = mask_personal_numbers(f"report {path.name}" + (f": {detail}" if detail else ""))[:500]
            d.save(update_fields=["status", "at", "detail"])
            _event(d, actor, source, before=before)
            result.updated += 1
    return result


def _read_report(path: Path, errors: list[ImportError_]) -> tuple[list[ReportLine], bool]:
    """The report's lines, and whether a later line for the same delivery replaces an earlier one (a log of
    callbacks: "sent, awaiting the report" then "delivered"; elsewhere the same delivery twice is an error)."""
    name = path.name

    def fail(line: int, field: str, reason: str) -> tuple[list[ReportLine], bool]:
        errors.append(ImportError_(name, line, field, reason))
        return [], False

    try:
        size = path.stat().st_size
    except OSError as exc:
        return fail(1, "file", f"cannot be read: {exc.strerror or exc}")
    if size > REPORT_MAX_BYTES:
        return fail(1, "file", f"{size:,} bytes: a delivery report is at most {REPORT_MAX_BYTES:,}")
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        return fail(1, "file", "an xlsx workbook: save the sheet as CSV UTF-8 (comma delimited) and read that")
    try:
        text, _ = decode(data)
    except EncodingError as exc:
        return fail(exc.line, "encoding", exc.reason)
    if "\x00" in text:
        return fail(text.count("\n", 0, text.index("\x00")) + 1, "row",
                    "a NUL character: not a text report (a binary file, or a spreadsheet saved as one)")
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith(("{", "[")):
        return _esms_status(name, text, errors), False
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "SMSID=" in first:
        return _esms_callbacks(name, text, errors), True
    return _csv_report(path, errors), False


def _report_phone(raw: str) -> str:
    """A report's phone number: :func:`domain.vn_mobile`, after what a spreadsheet does to one (fullwidth
    digits as digits; 9 digits whose leading 0 it dropped); digits it rounded (``8,49E+10``) are refused."""
    clean = unicodedata.normalize("NFKC", raw).strip()
    if re.fullmatch(r"[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+", clean):
        raise domain.DomainError(f"{domain.safe_text(clean)!r} is a number in scientific notation, as a "
                                 f"spreadsheet writes one: its digits are lost (save the column as text)")
    if re.fullmatch(r"[35789][0-9]{8}", clean):
        clean = "0" + clean  # the leading 0 a spreadsheet drops from a number
    return domain.vn_mobile(clean, required=True)


def _report_status(raw: str) -> str | None:
    """Our status, one of the SMPP words (``DELIVRD``…) or our status's Vietnamese label (``Đã nhận``)."""
    word = unicodedata.normalize("NFKC", raw).strip().lower()
    labels = {str(label).lower(): value for value, label in DeliveryStatus.choices}
    return REPORT_STATUSES.get(word) or labels.get(word)


def _formula(value: str) -> bool:
    return value.lstrip().startswith(("=", "@"))


def _csv_report(path: Path, errors: list[ImportError_]) -> list[ReportLine]:
    """Our CSV: ``phone,notice_number,status`` [``,detail``] [``,RequestId``], any order, ``;`` or ``,``."""
    name = path.name
    records = read_csv(path, errors)
    if errors:
        return []
    if not records:
        errors.append(ImportError_(name, 1, "header", "no header row on line 1"))
        return []
    header = [unicodedata.normalize("NFKC", h).strip().lower().lstrip("\ufeff") for h in records[0][1]]
    missing = [c for c in REPORT_COLUMNS if c not in header]
    if missing:
        errors += [ImportError_(name, 1, c, "missing column") for c in missing]
        return []
    col = {n: header.index(n) for n in (*REPORT_COLUMNS, "detail", "requestid", "tracking_id") if n in header}
    out = []
    for line, cells in records[1:]:
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(ImportError_(name, line, "row", f"expected {len(header)} fields, got {len(cells)}"))
            continue
        before = len(errors)

        def err(field: str, reason: str, line: int = line) -> None:
            errors.append(ImportError_(name, line, field, reason))

        for field_name, i in col.items():
            if _formula(cells[i]):
                err(field_name, f"a spreadsheet formula ({domain.safe_text(cells[i].strip())!r}), not a value")
        if len(errors) > before:
            continue
        try:
            phone = _report_phone(cells[col["phone"]])
        except domain.DomainError as exc:
            err("phone", str(exc))
        status = _report_status(cells[col["status"]])
        if status is None:
            err("status", f"unknown status {domain.safe_text(cells[col['status']].strip())!r} (expected one of "
                          f"{', '.join(sorted(REPORT_STATUSES))})")
        values = {}
        for field_name in ("notice_number", "detail", "requestid", "tracking_id"):
            try:
                values[field_name] = domain.text(cells[col[field_name]], max_length=200,
                                                 required=field_name == "notice_number") if field_name in col else ""
            except domain.DomainError as exc:
                err(field_name, str(exc))
        if len(errors) > before or status is None:
            continue
        number, detail = values["notice_number"], values["detail"]
        request = values["requestid"] or values["tracking_id"]
        out.append(ReportLine(line, "phone", phone, status, detail, number, request))
    return out


def _int_field(q: dict[str, str], key: str) -> int:
    raw = q.get(key, "").strip()
    if not raw:
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7:
        raise domain.DomainError(f"a count of messages (0 to 9,999,999), got {domain.safe_text(raw)!r}")
    return int(raw)


def _zalo_detail(raw: str) -> str:
    """``error_info`` of a Zalo callback (JSON, URL-encoded once or twice, sometimes ``____`` and a time
    after it) as ``Zalo -114: User is inactive…``."""
    text = raw
    for _ in range(2):
        if "%" in text:
            text = unquote(text)
    text = text.split("____")[0].strip()
    try:
        value: Any = json.loads(text)
        if isinstance(value, str):
            value = json.loads(value)
    except (ValueError, RecursionError):
        return _shown(text)
    if not isinstance(value, dict):
        return _shown(text)
    status = value.get("data", {}).get("message") if isinstance(value.get("data"), dict) else None
    return _shown(f"Zalo {value.get('error')}: {status or value.get('message', '')}")


def _shown(text: str, limit: int = 160) -> str:
    """Someone else's text kept in a detail: control characters escaped, at most ``limit`` characters."""
    shown = "".join(ch if ch >= " " and ch != "\x7f" else f"\\x{ord(ch):02x}" for ch in text)
    return shown[:limit] + ("…" if len(shown) > limit else "")


def _esms_callbacks(name: str, text: str, errors: list[ImportError_]) -> list[ReportLine]:
    """eSMS's callbacks, one a line (the URL its webhook was called with, or the query string alone)."""
    out = []
    for line, raw in enumerate(text.splitlines(), start=1):
        raw = raw.strip().strip("'\"")
        if not raw:
            continue

        def err(field: str, reason: str, line: int = line) -> None:
            errors.append(ImportError_(name, line, field, reason))

        query = raw.split("?", 1)[1] if "?" in raw else raw
        try:
            q = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True, max_num_fields=40).items()}
        except ValueError as exc:
            err("row", f"not an eSMS callback: {exc}")
            continue
        if not q.get("SMSID"):
            err("SMSID", "missing: not an eSMS callback (…?SMSID=…&SendStatus=…&phonenumber=…)")
            continue
        if any("\x00" <= ch < " " for value in q.values() for ch in value):
            err("row", "a control character in a value")
            continue
        sms_id = q["SMSID"]
        type_id = q.get("TypeId", "").strip()
        channel = ESMS_TYPES.get(type_id)
        if channel is None:
            err("TypeId", f"{domain.safe_text(type_id)!r}: sicollect sends SMS (TypeId 1, 2) and Zalo (24 to 27), "
                          f"not {'Viber (23)' if type_id == '23' else 'this'}")
            continue
        raw_phone = q.get("phonenumber", "").strip()
        if not raw_phone:
            err("phonenumber", "missing: a campaign's callback, not a number's (sicollect reads one number a line)")
            continue
        if channel == Channel.ZALO and raw_phone.isdigit() and len(raw_phone) > 11:
            err("phonenumber", f"{len(raw_phone)} digits: a Zalo user id, not a phone number (sicollect sends ZNS "
                               "by phone number)")
            continue
        try:
            phone = _report_phone(raw_phone)
        except domain.DomainError as exc:
            err("phonenumber", str(exc))
            continue
        try:
            success, failed = _int_field(q, "SendSuccess"), _int_field(q, "SendFailed")
        except domain.DomainError as exc:
            err("SendSuccess/SendFailed", str(exc))
            continue
        send_status = q.get("SendStatus", "").strip()
        detail = f"eSMS {domain.safe_text(sms_id)} SendStatus {domain.safe_text(send_status)}"
        if send_status in ("1", "2"):
            status = DeliveryStatus.QUEUED  # awaiting eSMS's approval, or waiting to be sent
        elif send_status == "4":
            status = DeliveryStatus.FAILED  # refused by eSMS
        elif send_status == "7":
            status = DeliveryStatus.SENT  # sent, awaiting the operator's report
        elif send_status == "5" and success and not failed:
            status = DeliveryStatus.DELIVERED
        elif send_status == "5" and failed and not success:
            status = DeliveryStatus.FAILED
        elif send_status == "5":
            err("SendSuccess/SendFailed", f"SendStatus 5 (done) with {success} succeeded and {failed} failed: "
                                          "which is this number's is not said")
            continue
        else:
            err("SendStatus", f"unknown SendStatus {domain.safe_text(send_status)!r} (eSMS's are 1, 2, 4, 5 and 7)")
            continue
        if q.get("error_info", "").strip():
            detail += f", {_zalo_detail(q['error_info'])}"
        out.append(ReportLine(line, "phonenumber", phone, status, detail, request=q.get("RequestId", "").strip(),
                              channel=channel))
    return out


def _esms_status(name: str, text: str, errors: list[ImportError_]) -> list[ReportLine]:
    """eSMS's per-number status of an SMS (``GetSmsReceiverStatus_get``), its JSON answer as saved."""
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        errors.append(ImportError_(name, exc.lineno, "json", f"not valid JSON: {exc.msg}"))
        return []
    except RecursionError:
        errors.append(ImportError_(name, 1, "json", "nested too deeply"))
        return []
    lines = text.splitlines()

    def line_of(key: str, k: int = 0) -> int:
        seen = 0
        for i, line in enumerate(lines, start=1):
            if f'"{key}"' in line:
                if seen == k:
                    return i
                seen += 1
        return 1

    if not isinstance(doc, dict) or "CodeResult" not in doc:
        errors.append(ImportError_(name, 1, "CodeResult", "missing: not an eSMS answer"))
        return []
    code = str(doc["CodeResult"])
    if code != "100":
        errors.append(ImportError_(name, line_of("CodeResult"), "CodeResult",
                                   f"{domain.safe_text(code)} ({domain.safe_text(doc.get('ErrorMessage', ''))}): "
                                   "eSMS answered with an error, no status"))
        return []
    receivers = doc.get("ReceiverList")
    if not isinstance(receivers, list):
        errors.append(ImportError_(name, line_of("ReceiverList"), "ReceiverList", "missing or not a list"))
        return []
    out = []

    def flag(value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}.get(str(value).strip().lower())

    for k, r in enumerate(receivers):
        line = line_of("Phone", k)
        if not isinstance(r, dict):
            errors.append(ImportError_(name, line, "ReceiverList", f"item {k + 1} is not an object"))
            continue
        try:
            phone = _report_phone(str(r.get("Phone", "")))
        except domain.DomainError as exc:
            errors.append(ImportError_(name, line, "Phone", str(exc)))
            continue
        sent, result = flag(r.get("IsSent")), flag(r.get("SentResult"))
        if sent is None or result is None:
            errors.append(ImportError_(name, line, "IsSent/SentResult", "true or false, got "
                                       f"{domain.safe_text(r.get('IsSent'))!r}/{domain.safe_text(r.get('SentResult'))!r}"))
            continue
        status = DeliveryStatus.QUEUED if not sent else DeliveryStatus.DELIVERED if result else DeliveryStatus.FAILED
        network = domain.safe_text(r.get("NetworkName", ""))
        out.append(ReportLine(line, "Phone", phone, status, f"eSMS {network}".strip(), channel=Channel.SMS))
    return out


def _resolve(name: str, lines: list[ReportLine], later_wins: bool,
             errors: list[ImportError_]) -> list[tuple[NoticeDelivery, str, str]]:
    """Each line's delivery: by the id given back (``SIC-<id>``), else by the notice's number and the phone,
    else by the phone alone: the one delivery waiting (queued or sent) on that number, or the newest one."""
    messaging = [Channel.SMS, Channel.ZALO]
    ids = {int(m.group(1)) for r in lines if (m := REQUEST_ID.fullmatch(r.request))}
    by_id = {d.pk: d for d in NoticeDelivery.objects.filter(pk__in=ids, channel__in=messaging)
             .select_related("notice__unit", "notice__case_step")}
    numbers = {r.number for r in lines if r.number and not r.request}
    notices = {n.number: n for n in Notice.objects.filter(number__in=numbers)}
    phones = {r.phone for r in lines if not r.request}
    by_phone: dict[str, list[NoticeDelivery]] = {}
    for d in (NoticeDelivery.objects.filter(address__in=phones, channel__in=messaging)
              .select_related("notice__unit", "notice__case_step").order_by("-id")):
        by_phone.setdefault(d.address, []).append(d)
    chosen: dict[int, tuple[int, NoticeDelivery, str, str]] = {}
    for r in lines:
        def err(field: str, reason: str, line: int = r.line) -> None:
            errors.append(ImportError_(name, line, field, reason))

        what = Channel(r.channel).label if r.channel else "SMS or Zalo"
        d: NoticeDelivery | None
        if r.request:
            m = REQUEST_ID.fullmatch(r.request)
            d = by_id.get(int(m.group(1))) if m else None
            if d is None:
                err("RequestId", f"no SMS or Zalo delivery {domain.safe_text(r.request)!r} (sicollect's are "
                                 "SIC-<number>, as its outbox wrote them)")
                continue
            if d.address != r.phone or (r.channel and d.channel != r.channel):
                err(r.field, f"delivery {r.request} went by {Channel(d.channel).label} to {mask_contact(d.address)}, "
                             f"not to {mask_contact(r.phone)}")
                continue
        elif r.number:
            notice = notices.get(r.number)
            if notice is None:
                err("notice_number", f"no notice {domain.safe_text(r.number)!r}")
                continue
            d = next((x for x in by_phone.get(r.phone, []) if x.notice_id == notice.pk), None)
            if d is None:
                err(r.field, f"notice {r.number} was not sent to {mask_contact(r.phone)} by SMS or Zalo")
                continue
        else:
            candidates = [x for x in by_phone.get(r.phone, []) if not r.channel or x.channel == r.channel]
            waiting = [x for x in candidates if x.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENT)]
            if len({x.notice_id for x in waiting}) > 1:
                shown = ", ".join(sorted({x.notice.number for x in waiting}))
                err(r.field, f"{len(waiting)} notices wait on {mask_contact(r.phone)} by {what} ({shown}) and the "
                             "line names none of them (no RequestId)")
                continue
            d = waiting[0] if waiting else (candidates[0] if candidates else None)
            if d is None:
                err(r.field, f"no notice was sent to {mask_contact(r.phone)} by {what}")
                continue
        if d.pk in chosen and not later_wins:
            err("notice_number" if r.number else r.field, f"the same delivery as line {chosen[d.pk][0]}")
            continue
        chosen[d.pk] = (r.line, d, r.status, r.detail)
    return [(d, status, detail) for _line, d, status, detail in chosen.values()]


def deliveries_of(notices: Iterable[Notice]) -> dict[int, list[NoticeDelivery]]:
    """Each notice's deliveries, newest first (for the case page and the API)."""
    out: dict[int, list[NoticeDelivery]] = {}
    for d in NoticeDelivery.objects.filter(notice__in=list(notices)).order_by("-id"):
        out.setdefault(d.notice_id, []).append(d)
    return out
