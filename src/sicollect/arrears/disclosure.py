"""Public disclosure of late payers (Law 41/2024 Art. 35): candidates → review → publication → removal.

Candidates come from the ladder (the DISCLOSURE step confirmed) or from
:func:`nominate` (every open case at least ``min_months`` late). The province
manager reviews them (:func:`do_review`): a unit that has paid (case closed) or
keeps an installment commitment drops out; the rest are approved, with the
manager's name. :func:`do_publish` publishes approved entries only: nothing is
published without a recorded approval. When a case closes because the unit paid,
the sync removes its entry (:func:`remove_closed`).
"""
from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.db import transaction

from sicollect.core import audit, domain
from sicollect.core.safe_export import SafeSheet
from sicollect.registry.models import Unit

from .models import Case, CaseEvent, Commitment, CommitmentStatus, Disclosure, DisclosureStatus

LIVE = [DisclosureStatus.CANDIDATE, DisclosureStatus.APPROVED, DisclosureStatus.PUBLISHED]


def propose_disclosure(case: Case, on: date) -> Disclosure:
    live = Disclosure.objects.filter(case=case, status__in=LIVE).first()
    if live:
        return live
    d = Disclosure.objects.create(unit_id=case.unit_id, case=case, proposed_on=on, months_late=case.months_late,
                                  late_amount=case.late_amount)
    CaseEvent.objects.create(case=case, on=on, kind="disclosure_candidate")
    return d


def default_threshold() -> int:
    from .models import LadderStep

    step = LadderStep.objects.filter(code="DISCLOSURE").first()
    return (step.min_months_late if step and step.min_months_late is not None else 6)


def nominate(as_of: date, min_months: int | None = None, office_ids: Any = None, actor: str = "",
             source: str = "") -> int:
    """Candidates for every open case ``min_months`` or more late without a live entry (bulk);
    ``office_ids``: only the units of these offices (None: all); with an ``actor``, one audit row a unit."""
    threshold = default_threshold() if min_months is None else min_months
    with transaction.atomic():
        taken = set(Disclosure.objects.filter(status__in=LIVE).values_list("case_id", flat=True))
        qs = Case.objects.filter(closed_on__isnull=True, months_late__gte=threshold, as_of__lte=as_of)
        if office_ids is not None:
            qs = qs.filter(unit__office_id__in=list(office_ids))
        cases = [c for c in qs.select_related("unit").order_by("unit__code") if c.pk not in taken]
        made = Disclosure.objects.bulk_create([
            Disclosure(unit_id=c.unit_id, case=c, proposed_on=as_of, months_late=c.months_late,
                       late_amount=c.late_amount) for c in cases])
        CaseEvent.objects.bulk_create([CaseEvent(case=c, on=as_of, kind="disclosure_candidate", actor=actor)
                                       for c in cases])
        if actor:
            audit.record_many([audit.event("nominate_disclosure", actor, "disclosure", d.pk,
                                           unit_code=c.unit.code, before=None, source=source,
                                           after={"months_late": c.months_late, "late_amount": c.late_amount,
                                                  "proposed_on": as_of.isoformat(), "threshold": threshold})
                               for c, d in zip(cases, made)])
    return len(cases)


class DisclosureError(ValueError):
    """A disclosure action refused: ``reason`` is an English text with ``params`` (the web app translates
    it); the message names the unit. Nothing was written."""

    def __init__(self, reason: str, **params: Any):
        self.reason, self.params = reason, params
        super().__init__(reason % params)


def do_nominate_unit(unit: Unit, as_of: date, actor: str, source: str = "",
                     min_months: int | None = None) -> Disclosure:
    """One unit onto the candidates: it needs an open case at least the legal months late (the
    DISCLOSURE step's ``min_months_late``, 6 by default) and no live entry. Audited."""
    threshold = default_threshold() if min_months is None else min_months
    case = Case.objects.filter(unit=unit, closed_on__isnull=True).first()
    if case is None:
        raise DisclosureError("%(unit)s: no open arrears case, nothing to disclose", unit=unit.code)
    if case.months_late < threshold:
        raise DisclosureError("%(unit)s: %(months)d months late, fewer than the %(min)d months the law requires "
                              "for disclosure", unit=unit.code, months=case.months_late, min=threshold)
    live = Disclosure.objects.filter(case=case, status__in=LIVE).first()
    if live is not None:
        raise DisclosureError("%(unit)s: already on the list (%(status)s)", unit=unit.code,
                              status=live.get_status_display())
    with transaction.atomic():
        d = Disclosure.objects.create(unit_id=case.unit_id, case=case, proposed_on=as_of, months_late=case.months_late,
                                      late_amount=case.late_amount)
        CaseEvent.objects.create(case=case, on=as_of, kind="disclosure_candidate", actor=actor)
        audit.record("nominate_disclosure", actor, "disclosure", d.pk, unit_code=unit.code, before=None,
                     source=source, after={"months_late": d.months_late, "late_amount": d.late_amount,
                                           "proposed_on": as_of.isoformat(), "threshold": threshold})
    return d


def do_delist(entry: Disclosure, reason: str, removed_on: date | None, actor: str, source: str = "") -> Disclosure:
    """Take a published unit off the public list, with the reason (required) and the day. Audited."""
    code = entry.unit.code
    if entry.status != DisclosureStatus.PUBLISHED:
        raise DisclosureError("%(unit)s: not on the published list (%(status)s)", unit=code,
                              status=entry.get_status_display())
    try:
        reason = domain.text(reason, max_length=200)
    except domain.DomainError as exc:
        if str(exc) == "required":
            raise DisclosureError("%(unit)s: a reason is required to remove a published unit", unit=code) from None
        raise DisclosureError("%(unit)s: reason: %(e)s", unit=code, e=str(exc)) from None
    if removed_on is None:
        raise DisclosureError("%(unit)s: a removal date YYYY-MM-DD is required", unit=code)
    if entry.published_on and removed_on < entry.published_on:
        raise DisclosureError("%(unit)s: cannot be removed before it was published (%(day)s)", unit=code,
                              day=entry.published_on.strftime("%d/%m/%Y"))
    with transaction.atomic():
        before = {"status": entry.status, "published_on": entry.published_on.isoformat() if entry.published_on else None}
        entry.status, entry.removed_on, entry.reason = DisclosureStatus.REMOVED, removed_on, reason
        entry.save(update_fields=["status", "removed_on", "reason"])
        CaseEvent.objects.create(case_id=entry.case_id, on=removed_on, kind="disclosure_removed", actor=actor,
                                 text=reason)
        audit.record("delist_disclosure", actor, "disclosure", entry.pk, unit_code=code, before=before,
                     source=source, after={"status": entry.status, "removed_on": removed_on.isoformat(),
                                           "reason": reason})
    return entry


def do_review(ids: list[int], manager: str, on: date) -> dict[str, int]:
    """The province manager's review of candidates: approve, or drop those who paid or keep a commitment."""
    if not manager:
        raise ValueError("the reviewing manager must be named")
    out = {"approved": 0, "dropped": 0}
    with transaction.atomic():
        committed = set(Commitment.objects.filter(status__in=[CommitmentStatus.ACTIVE, CommitmentStatus.KEPT])
                        .values_list("case_id", flat=True))
        for d in Disclosure.objects.select_related("case").filter(pk__in=ids, status=DisclosureStatus.CANDIDATE):
            if d.case.closed_on is not None:
                d.status, d.reason = DisclosureStatus.DROPPED, "đã đóng đủ"
            elif d.case_id in committed:
                d.status, d.reason = DisclosureStatus.DROPPED, "đang thực hiện cam kết trả nợ"
            else:
                d.status = DisclosureStatus.APPROVED
            d.approved_by, d.approved_on = manager, on
            d.save()
            out["approved" if d.status == DisclosureStatus.APPROVED else "dropped"] += 1
            CaseEvent.objects.create(case=d.case, on=on, kind=f"disclosure_{d.status}", actor=manager, text=d.reason)
    return out


def do_publish(on: date, actor: str) -> int:
    """Publish every approved entry (and only those)."""
    with transaction.atomic():
        rows = list(Disclosure.objects.filter(status=DisclosureStatus.APPROVED, approved_by__gt=""))
        for d in rows:
            d.status, d.published_on = DisclosureStatus.PUBLISHED, on
            CaseEvent.objects.create(case_id=d.case_id, on=on, kind="disclosure_published", actor=actor)
        Disclosure.objects.bulk_update(rows, ["status", "published_on"])
    return len(rows)


def remove_closed(as_of: date, case_ids: list[int]) -> int:
    """Entries of cases just closed: a published one is removed, a pending one dropped."""
    if not case_ids:
        return 0
    n = Disclosure.objects.filter(case_id__in=case_ids, status=DisclosureStatus.PUBLISHED).update(
        status=DisclosureStatus.REMOVED, removed_on=as_of, reason="đã đóng đủ")
    n += Disclosure.objects.filter(case_id__in=case_ids, status__in=[DisclosureStatus.CANDIDATE,
                                                                     DisclosureStatus.APPROVED]).update(
        status=DisclosureStatus.DROPPED, removed_on=as_of, reason="đã đóng đủ")
    return n


def published(as_of: date, where: Any = None) -> list[Disclosure]:
    """The published list on ``as_of`` (``where``: a ``Q`` on the entries, e.g. an office scope)."""
    qs = Disclosure.objects.filter(status=DisclosureStatus.PUBLISHED, published_on__lte=as_of)
    if where is not None:
        qs = qs.filter(where)
    return list(qs.select_related("unit", "unit__office", "case").order_by("-late_amount", "unit__code"))


def export_pdf(as_of: date, where: Any = None) -> bytes:
    """The published list as a PDF (WeasyPrint, DejaVu Sans)."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("arrears/disclosure.html", {"as_of": as_of, "rows": published(as_of, where)})
    return HTML(string=html).write_pdf()


def export_xlsx(as_of: date, where: Any = None) -> bytes:
    """The published list as an xlsx: the units, how long and how much they are late, as of the list's date."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = SafeSheet(wb.active)  # core.safe_export
    ws.title = "Cong khai"
    ws.append([f"DANH SÁCH ĐƠN VỊ CHẬM ĐÓNG BHXH, BHYT, BHTN (đến ngày {as_of:%d/%m/%Y})"])
    ws.append(["STT", "Mã đơn vị", "Tên đơn vị", "Mã số thuế", "Cơ quan BHXH", "Số tháng chậm đóng",
               "Số tiền chậm đóng (đồng)", "Ngày công khai"])
    for i, d in enumerate(published(as_of, where), 1):
        ws.append([i, d.unit.code, d.unit.name, d.unit.tax_code, d.unit.office.code, d.case.months_late,
                   d.case.late_amount, d.published_on])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def summary() -> dict[str, Any]:
    from django.db.models import Count

    return {r["status"]: r["n"] for r in Disclosure.objects.values("status").annotate(n=Count("id")).order_by()}
