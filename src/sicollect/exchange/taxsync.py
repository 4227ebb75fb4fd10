"""The tax authority's enterprise list against the SI registry.

The province's tax department sends its list of enterprises (tax code, name,
address, status and the date of that status, commune, industry). Comparing
it with the registry gives the office four lists (the Quang Ninh and Hai
Phong articles describe both uses):

* **leads**: active enterprises with no SI unit of that tax code, per office
  (the office of the enterprise's commune), for the compulsory-SI
  development plan;
* **status proposals**: units whose tax status says they are suspended,
  missing from their address, dissolving, dissolved or bankrupt (or active
  again). Each becomes a :class:`UnitStatusProposal`; an officer confirms it
  (:func:`do_confirm_proposal`, which sets ``Unit.status`` and writes an
  audit row; the B03-TS class IV follows from the status at the next close)
  or rejects it. A newer list supersedes the open proposals of an older one;
* **name changes**: the list's name differs from the unit's (compared
  without diacritics and legal-form words);
* **address changes**: the list's address differs from the previous list's
  for the same tax code (the registry keeps no unit address of its own).

Exports back: :func:`export_for_tax` (the units registered with SI, with
headcount and what they owe) and :func:`export_for_labour` (units with
headcount and wage bill, and the leads), as xlsx or CSV.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from sicollect.contributions.assessment import effective_rows, headcount
from sicollect.contributions.models import EntryKind, LedgerEntry, Target
from sicollect.contributions.posting import row_of
from sicollect.core import audit, domain, safe_export
from sicollect.core.months import Month
from sicollect.core.safe_export import SafeSheet
from sicollect.registry.models import Commune, Participation, Unit

from .bank import name_key
from .models import (
    UNIT_STATUS_OF_TAX,
    BatchKind,
    ImportBatch,
    ProposalStatus,
    TaxEnterprise,
    TaxStatus,
    UnitStatusProposal,
)
from .rows import ImportError_, ImportErrors
from .tabular import cells_of, fold, read_sheet, sha256_of

REQUIRED = ("tax_code", "name", "status")
OPTIONAL = ("address", "status_date", "commune_code", "industry", "stt")
ALIASES = {
    "ma_so_thue": "tax_code", "mst": "tax_code", "ten_doanh_nghiep": "name", "ten_nnt": "name", "ten": "name",
    "ten_nguoi_nop_thue": "name", "dia_chi": "address", "trang_thai": "status", "tinh_trang": "status",
    "ngay_trang_thai": "status_date", "ngay_thay_doi_trang_thai": "status_date", "ma_xa": "commune_code",
    "ma_phuong_xa": "commune_code", "ma_nganh": "industry", "nganh_nghe": "industry", "nganh_kinh_te": "industry",
}
#: status words as lists write them (folded), → TaxStatus
STATUS_WORDS: dict[str, str] = {s.value: s.value for s in TaxStatus} | {
    fold(s.label): s.value for s in TaxStatus
} | {
    "dang_hoat_dong": TaxStatus.ACTIVE, "hoat_dong": TaxStatus.ACTIVE, "nnt_dang_hoat_dong": TaxStatus.ACTIVE,
    "tam_ngung": TaxStatus.SUSPENDED, "tam_ngung_hoat_dong": TaxStatus.SUSPENDED,
    "khong_hoat_dong_tai_dia_chi": TaxStatus.MISSING,
    "nnt_khong_hoat_dong_tai_dia_chi_da_dang_ky": TaxStatus.MISSING,
    "dang_giai_the": TaxStatus.DISSOLVING, "cho_giai_the": TaxStatus.DISSOLVING,
    "dang_pha_san": TaxStatus.BANKRUPTCY, "cho_pha_san": TaxStatus.BANKRUPTCY,
    "da_giai_the": TaxStatus.DISSOLVED, "giai_the": TaxStatus.DISSOLVED, "cham_dut": TaxStatus.DISSOLVED,
    "ngung_hoat_dong": TaxStatus.DISSOLVED, "da_pha_san": TaxStatus.BANKRUPT, "pha_san": TaxStatus.BANKRUPT,
}
_TAX_CODE_RE = re.compile(r"[0-9]{10}(?:-[0-9]{3})?")


@dataclass(frozen=True)
class EnterpriseRow:
    line: int
    tax_code: str
    name: str
    address: str
    status: str
    status_date: date | None
    commune_code: str
    industry: str


def read_tax_list(path: Path) -> tuple[list[EnterpriseRow], str]:
    """Read and check a list; raise :class:`ImportErrors` with every problem."""
    path = Path(path)
    digest = sha256_of(path)
    done = ImportBatch.objects.filter(kind=BatchKind.TAX, sha256=digest).first()
    if done is not None:
        raise ImportErrors([ImportError_(path.name, 1, "file", f"already imported as list #{done.pk} "
                                                              f"({done.created_at:%Y-%m-%d})")])
    errors: list[ImportError_] = []
    table = read_sheet(path, REQUIRED, OPTIONAL, ALIASES, errors)
    communes = set(Commune.objects.values_list("code", flat=True))
    first: dict[str, int] = {}
    rows: list[EnterpriseRow] = []
    for c in cells_of(table, errors):
        tax_code = c.raw("tax_code")
        if not _TAX_CODE_RE.fullmatch(tax_code):
            c.error("tax_code", f"must be 10 digits, or 10-3 for a branch, got {tax_code!r}")
        else:
            c.unique("tax_code", tax_code, first, repr(tax_code))
        name = c.text("name", 300)
        address = c.text("address", 300, required=False)
        status = STATUS_WORDS.get(fold(c.raw("status")))
        if status is None:
            c.error("status", f"must be one of {', '.join(s.value for s in TaxStatus)} (or the Vietnamese "
                              f"wording), got {c.raw('status')!r}")
        status_date = c.within("status_date", c.date("status_date", required=False), domain.registered_date)
        commune = c.raw("commune_code")
        if commune and commune not in communes:
            c.error("commune_code", f"unknown commune {commune!r}")
        industry = c.text("industry", 20, required=False)
        if c.ok and status:
            rows.append(EnterpriseRow(c.line, tax_code, name, address, status, status_date, commune, industry))
    if errors:
        raise ImportErrors(sorted(errors, key=lambda e: (e.line, e.field)))
    return rows, digest


@dataclass
class TaxSyncResult:
    batch: ImportBatch
    enterprises: int
    proposals: int
    superseded: int


def do_import_tax_list(path: Path, actor: str = "") -> TaxSyncResult:
    """Record the list and raise a status proposal for every unit whose tax status differs from its own."""
    path = Path(path)
    rows, digest = read_tax_list(path)
    with transaction.atomic():
        batch = ImportBatch.objects.create(kind=BatchKind.TAX, sha256=digest, file_name=path.name[-300:], actor=actor)
        TaxEnterprise.objects.bulk_create([
            TaxEnterprise(batch=batch, line=r.line, tax_code=r.tax_code, name=r.name, address=r.address,
                          status=r.status, status_date=r.status_date, commune_code=r.commune_code,
                          industry=r.industry)
            for r in rows
        ], batch_size=1000)
        listed = {e.tax_code: e for e in TaxEnterprise.objects.filter(batch=batch)}
        superseded = UnitStatusProposal.objects.filter(
            status=ProposalStatus.OPEN, unit__tax_code__in=list(listed)).update(
            status=ProposalStatus.SUPERSEDED, note=f"superseded by tax list #{batch.pk}", decided_at=timezone.now())
        proposals = []
        for unit in Unit.objects.filter(tax_code__in=list(listed)).order_by("code"):
            e = listed[unit.tax_code]
            wanted = UNIT_STATUS_OF_TAX[e.status]
            if wanted != unit.status:
                proposals.append(UnitStatusProposal(unit=unit, enterprise=e, from_status=unit.status,
                                                    to_status=wanted, tax_status=e.status, status_date=e.status_date))
        UnitStatusProposal.objects.bulk_create(proposals)
        batch.summary = {"enterprises": len(rows), "proposals": len(proposals), "superseded": superseded}
        batch.save(update_fields=["summary"])
        audit.record("import_tax_list", actor, "import_batch", batch.pk, file=path.name, **batch.summary)
    return TaxSyncResult(batch, len(rows), len(proposals), superseded)


class ProposalError(ValueError):
    pass


def do_confirm_proposal(proposal_id: int, actor: str, note: str = "") -> UnitStatusProposal:
    """Set the unit's status as proposed; the audit row keeps the status before and after."""
    with transaction.atomic():
        p = UnitStatusProposal.objects.select_for_update().select_related("unit", "enterprise").get(pk=proposal_id)
        if p.status != ProposalStatus.OPEN:
            raise ProposalError(f"proposal #{p.pk} is {p.status}, not open")
        unit = Unit.objects.select_for_update().get(pk=p.unit_id)
        before = unit.status
        unit.status = p.to_status
        unit.save(update_fields=["status"])
        p.status, p.decided_by, p.decided_at, p.note = ProposalStatus.CONFIRMED, actor, timezone.now(), note[:300]
        p.save()
        audit.record("confirm_unit_status", actor, "unit", unit.code, unit_code=unit.code,
                     proposal=p.pk, before=before, after=unit.status, tax_status=p.tax_status,
                     status_date=p.status_date.isoformat() if p.status_date else None,
                     tax_list=p.enterprise.batch_id, note=note)
    return p


def do_reject_proposal(proposal_id: int, actor: str, note: str) -> UnitStatusProposal:
    if not note.strip():
        raise ProposalError("say why the proposal is rejected")
    with transaction.atomic():
        p = UnitStatusProposal.objects.select_for_update().select_related("unit").get(pk=proposal_id)
        if p.status != ProposalStatus.OPEN:
            raise ProposalError(f"proposal #{p.pk} is {p.status}, not open")
        p.status, p.decided_by, p.decided_at, p.note = ProposalStatus.REJECTED, actor, timezone.now(), note[:300]
        p.save()
        audit.record("reject_unit_status", actor, "unit", p.unit.code, unit_code=p.unit.code,
                     proposal=p.pk, to_status=p.to_status, note=note)
    return p


# --------------------------------------------------------------------------- the report


@dataclass
class TaxReport:
    batch: ImportBatch
    leads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # office code → enterprises
    proposals: list[dict[str, Any]] = field(default_factory=list)
    name_changes: list[dict[str, Any]] = field(default_factory=list)
    address_changes: list[dict[str, Any]] = field(default_factory=list)
    not_listed: list[str] = field(default_factory=list)  # units whose tax code the list lacks

    def as_dict(self) -> dict[str, Any]:
        return {"list": self.batch.pk, "file": self.batch.file_name, "leads": self.leads,
                "proposals": self.proposals, "name_changes": self.name_changes,
                "address_changes": self.address_changes, "not_listed": self.not_listed}


UNASSIGNED = "(no office)"


def tax_report(batch: ImportBatch | None = None) -> TaxReport:
    """What the list (default: the latest) says that the registry does not."""
    batch = batch or ImportBatch.objects.filter(kind=BatchKind.TAX).order_by("-id").first()
    if batch is None:
        raise ProposalError("no tax list has been imported")
    report = TaxReport(batch)
    listed = {e.tax_code: e for e in TaxEnterprise.objects.filter(batch=batch)}
    units = {u.tax_code: u for u in Unit.objects.exclude(tax_code="").select_related("office")}
    office_of = dict(Commune.objects.filter(office__isnull=False).values_list("code", "office__code"))
    leads: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for code, e in sorted(listed.items()):
        if code not in units and e.status == TaxStatus.ACTIVE:
            leads[office_of.get(e.commune_code, UNASSIGNED)].append({
                "tax_code": code, "name": e.name, "address": e.address, "commune_code": e.commune_code,
                "industry": e.industry, "status_date": e.status_date.isoformat() if e.status_date else None,
            })
    report.leads = dict(sorted(leads.items()))
    for p in UnitStatusProposal.objects.filter(enterprise__batch=batch).select_related("unit").order_by("unit__code"):
        report.proposals.append({"id": p.pk, "unit": p.unit.code, "name": p.unit.name, "from": p.from_status,
                                 "to": p.to_status, "tax_status": p.tax_status, "status": p.status,
                                 "status_date": p.status_date.isoformat() if p.status_date else None})
    previous = _previous_addresses(batch, list(listed))
    for code, e in sorted(listed.items()):
        unit = units.get(code)
        if unit is None:
            continue
        if name_key(unit.name) != name_key(e.name):
            report.name_changes.append({"unit": unit.code, "tax_code": code, "registry": unit.name, "tax_list": e.name})
        old = previous.get(code)
        if old is not None and " ".join(old.split()).lower() != " ".join(e.address.split()).lower():
            report.address_changes.append({"unit": unit.code, "tax_code": code, "before": old, "after": e.address})
    report.not_listed = sorted(u.code for code, u in units.items() if code not in listed)
    return report


def _previous_addresses(batch: ImportBatch, codes: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, address in (TaxEnterprise.objects.filter(batch__kind=BatchKind.TAX, batch_id__lt=batch.pk,
                                                       tax_code__in=codes)
                          .order_by("batch_id").values_list("tax_code", "address")):
        out[code] = address  # the latest earlier list wins
    return out


def render_report(r: TaxReport) -> str:
    out = [f"Tax list #{r.batch.pk} ({r.batch.file_name})", ""]
    total = sum(len(v) for v in r.leads.values())
    out.append(f"New enterprises not registered with SI: {total}")
    for office, items in r.leads.items():
        out.append(f"  {office}: {len(items)}")
        out += [f"    {i['tax_code']}  {i['name']}  {i['address']}" for i in items]
    out.append(f"Unit status proposals: {len(r.proposals)}")
    out += [f"  #{p['id']} {p['unit']} {p['from']} → {p['to']} (tax: {p['tax_status']} {p['status_date'] or ''}) "
            f"[{p['status']}]" for p in r.proposals]
    out.append(f"Name changes: {len(r.name_changes)}")
    out += [f"  {c['unit']} {c['tax_code']}: {c['registry']!r} → {c['tax_list']!r}" for c in r.name_changes]
    out.append(f"Address changes since the previous list: {len(r.address_changes)}")
    out += [f"  {c['unit']} {c['tax_code']}: {c['before']!r} → {c['after']!r}" for c in r.address_changes]
    out.append(f"Units whose tax code is not on the list: {len(r.not_listed)}")
    return "\n".join(out)


# --------------------------------------------------------------------------- exports


def _headcounts(month: Month) -> dict[int, tuple[int, int]]:
    """unit id → (headcount, declared wage bill) for ``month``, as known at its end."""
    rows: dict[int, list[Any]] = defaultdict(list)
    for p in Participation.objects.filter(from_month__lte=month).filter(Q(to_month__isnull=True) | Q(to_month__gte=month)):
        rows[p.unit_id].append(row_of(p))
    out = {}
    for unit_id, rs in rows.items():
        eff = [r for r in effective_rows(rs, month, month.last_day).values() if r.wage > 0]
        out[unit_id] = (headcount(rs, month, month.last_day), sum(r.wage for r in eff))
    return out


def _owed(month: Month) -> dict[int, tuple[int, int]]:
    """unit id → (principal, interest) outstanding at the end of ``month``, from the ledger."""
    principal = Q(kind__in=[EntryKind.DUE, EntryKind.ADJUSTMENT]) | Q(kind=EntryKind.PAYMENT, target=Target.PRINCIPAL)
    interest = Q(kind=EntryKind.INTEREST) | Q(kind=EntryKind.PAYMENT, target=Target.INTEREST)
    base = LedgerEntry.objects.filter(period__lte=month)
    p = dict(base.filter(principal).values_list("unit_id").annotate(s=Sum("amount")))
    i = dict(base.filter(interest).values_list("unit_id").annotate(s=Sum("amount")))
    return {u: (p.get(u, 0), i.get(u, 0)) for u in p.keys() | i.keys()}


def tax_export_rows(month: Month) -> tuple[list[str], list[list[Any]]]:
    heads, owed = _headcounts(month), _owed(month)
    header = ["tax_code", "unit_code", "name", "office", "status", "headcount", "principal_owed", "interest_owed"]
    rows = [
        [u.tax_code, u.code, u.name, u.office.code, u.status, heads.get(u.pk, (0, 0))[0], *owed.get(u.pk, (0, 0))]
        for u in Unit.objects.exclude(tax_code="").select_related("office").order_by("tax_code", "code")
    ]
    return header, rows


def labour_export_rows(month: Month) -> dict[str, tuple[list[str], list[list[Any]]]]:
    heads = _headcounts(month)
    units = (["unit_code", "tax_code", "name", "office", "ownership", "status", "headcount", "wage_bill"], [
        [u.code, u.tax_code, u.name, u.office.code, u.ownership, u.status, *heads.get(u.pk, (0, 0))]
        for u in Unit.objects.select_related("office").order_by("code")
    ])
    leads_rows: list[list[Any]] = []
    try:
        report = tax_report()
        for office, items in report.leads.items():
            leads_rows += [[office, i["tax_code"], i["name"], i["address"], i["commune_code"], i["industry"]]
                           for i in items]
    except ProposalError:
        pass  # no tax list yet: no leads
    leads = (["office", "tax_code", "name", "address", "commune_code", "industry"], leads_rows)
    return {"units": units, "leads": leads}


def write_tables(path: Path, tables: dict[str, tuple[list[str], list[list[Any]]]]) -> list[Path]:
    """xlsx: one sheet per table; CSV: the first table in ``path``, others beside it as ``stem-NAME.csv``."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.remove(book.active)
        for name, (header, rows) in tables.items():
            sheet = SafeSheet(book.create_sheet(name))  # core.safe_export
            sheet.append(header)
            for row in rows:
                sheet.append(row)
        book.save(path)
        return [path]
    written = []
    for k, (name, (header, rows)) in enumerate(tables.items()):
        target = path if k == 0 else path.with_name(f"{path.stem}-{name}{path.suffix or '.csv'}")
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            w = safe_export.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        written.append(target)
    return written


def export_for_tax(path: Path, month: Month) -> list[Path]:
    return write_tables(path, {"units": tax_export_rows(month)})


def export_for_labour(path: Path, month: Month) -> list[Path]:
    return write_tables(path, labour_export_rows(month))
