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
- Rows written to the outbox are ``queued``; the provider's delivery report (:func:`import_report`:
  ``phone,notice_number,status``) moves them to ``sent``, ``delivered``, ``failed`` or ``bounced``.

Every sending and every status change writes a :class:`NoticeDelivery` row, an audit row
(``core.audit.record``) and a :class:`CaseEvent` on the notice's case, in one transaction. Sending
twice the same notice on the same channel sends once: a second call skips it (``resend=True`` sends
again); a ``failed`` one is tried again. Addresses are shown masked (``core.privacy.mask_contact``).
"""
from __future__ import annotations

import csv
import io
import unicodedata
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
from sicollect.exchange.rows import ImportError_, ImportErrors, read_csv

from .models import CaseEvent, Channel, DeliveryStatus, Notice, NoticeDelivery
from .notices import pdf_of

SMS_MAX = 160  # GSM 03.38 characters in one SMS (70 when a single character needs UCS-2)
ZNS_NAME_MAX = 30
SMS_TYPE_CUSTOMER_CARE = "2"
SMS_COLUMNS = ("Phone", "Content", "Brandname", "SmsType")
ZALO_COLUMNS = ("phone", "template_id", "unit_name", "amount", "pay_by", "notice_number")
REPORT_COLUMNS = ("phone", "notice_number", "status")
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


def sms_rows(todo: list[tuple[Notice, str]]) -> list[list[str]]:
    brand = settings.SICOLLECT_SMS_BRANDNAME
    return [[phone, sms_text(n), brand, SMS_TYPE_CUSTOMER_CARE] for n, phone in todo]


def zalo_rows(todo: list[tuple[Notice, str]], template_id: str) -> list[list[str]]:
    return [[domain.international_mobile(phone), template_id, n.unit.name[:ZNS_NAME_MAX], format_vnd(n.total),
             f"{n.pay_by:%d/%m/%Y}", n.number] for n, phone in todo]


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
    header, rows = ((SMS_COLUMNS, sms_rows(todo)) if channel == Channel.SMS
                    else (ZALO_COLUMNS, zalo_rows(todo, template_id)))
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    with transaction.atomic():
        for n, phone in todo:
            _record(n, channel, phone, DeliveryStatus.QUEUED, actor, source, f"outbox {path.name}")
            report.sent.append(f"{n.number} {n.unit.code} → {mask_contact(phone)}")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(buf.getvalue(), encoding="utf-8")  # UTF-8, CRLF: what spreadsheet uploads expect
        tmp.replace(path)
    report.outbox = path


# --------------------------------------------------------------------------- the providers' reports


@dataclass
class ReportResult:
    updated: int = 0
    unchanged: int = 0


def import_report(path: Path, actor: str, source: str = "") -> ReportResult:
    """Read a delivery report (``phone,notice_number,status`` [``,detail``], any order, ``;`` or ``,``)
    and set the status of the matching SMS/Zalo deliveries: all or nothing, every bad row named
    ``file:line: field: reason`` (:class:`ImportErrors`)."""
    path = Path(path)
    errors: list[ImportError_] = []
    records = read_csv(path, errors)
    if errors:
        raise ImportErrors(errors)
    if not records:
        raise ImportErrors([ImportError_(path.name, 1, "header", "no header row on line 1")])
    header = [h.strip().lower().lstrip("\ufeff") for h in records[0][1]]
    missing = [c for c in REPORT_COLUMNS if c not in header]
    if missing:
        raise ImportErrors([ImportError_(path.name, 1, c, "missing column") for c in missing])
    col = {name: header.index(name) for name in (*REPORT_COLUMNS, "detail") if name in header}
    numbers = {cells[col["notice_number"]].strip() for _, cells in records[1:] if len(cells) == len(header)}
    notices = {n.number: n for n in Notice.objects.filter(number__in=numbers).select_related("unit", "case_step")}
    changes: list[tuple[NoticeDelivery, str, str]] = []
    seen: dict[int, int] = {}
    for line, cells in records[1:]:
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(ImportError_(path.name, line, "row", f"expected {len(header)} fields, got {len(cells)}"))
            continue

        def err(name: str, reason: str, line: int = line) -> None:
            errors.append(ImportError_(path.name, line, name, reason))

        try:
            phone = domain.vn_mobile(cells[col["phone"]], required=True)
        except domain.DomainError as exc:
            err("phone", str(exc))
            phone = ""
        number = cells[col["notice_number"]].strip()
        raw_status = cells[col["status"]].strip().lower()
        status = REPORT_STATUSES.get(raw_status)
        if status is None:
            err("status", f"unknown status {domain.safe_text(raw_status)!r} (expected one of "
                          f"{', '.join(sorted(REPORT_STATUSES))})")
        notice = notices.get(number)
        if notice is None:
            err("notice_number", f"no notice {domain.safe_text(number)!r}")
        if notice is None or not phone or status is None:
            continue
        d = (NoticeDelivery.objects.filter(notice=notice, address=phone, channel__in=[Channel.SMS, Channel.ZALO])
             .order_by("-id").first())
        if d is None:
            err("phone", f"notice {number} was not sent to {mask_contact(phone)} by SMS or Zalo")
            continue
        if d.pk in seen:
            err("notice_number", f"the same delivery as line {seen[d.pk]}")
            continue
        seen[d.pk] = line
        detail = cells[col["detail"]].strip() if "detail" in col else ""
        changes.append((d, status, detail))
    if errors:
        raise ImportErrors(errors)
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


def deliveries_of(notices: Iterable[Notice]) -> dict[int, list[NoticeDelivery]]:
    """Each notice's deliveries, newest first (for the case page and the API)."""
    out: dict[int, list[NoticeDelivery]] = {}
    for d in NoticeDelivery.objects.filter(notice__in=list(notices)).order_by("-id"):
        out.setdefault(d.notice_id, []).append(d)
    return out
