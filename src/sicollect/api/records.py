"""API routes of issue 9's second part: the person list (an export: it needs a reason, recorded),
the audit trail per unit and per user, and D02-LT declarations written through the same action as
``sicollect declare`` (all or nothing; every bad line in the error body's ``fields``).

Lists are paginated like every list of the API (``limit``/``offset``, body ``{"items", "count"}``).
"""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from sicollect.api.pagination import Pages
from sicollect.core import exports
from sicollect.core.months import Month
from sicollect.exchange.declarations import do_import_declaration, read_declaration
from sicollect.exchange.rows import ImportErrors
from sicollect.staff import policy
from sicollect.staff.models import Role

from .common import ApiError, _in_range

router = Router()


class PersonRow(Schema):
    si_code: str
    full_name: str
    national_id: str
    birth_date: str
    sex: str


class AuditRow(Schema):
    created_at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    unit_code: str
    source: str
    before: str
    after: str
    detail: str


class DeclarationOut(Schema):
    unit: str
    file: str
    batch: int
    lines: int
    new_persons: int
    posted: int
    warnings: list[str]


@router.get("/persons", response=list[PersonRow], tags=["persons"])
@paginate(Pages)
def list_persons(request: HttpRequest, reason: str, q: str = "", unit: str = "", show_ids: bool = False) -> Any:
    """Persons the user may see, filtered by ``q`` (SI number, name, whole national ID) or ``unit``.
    A person list is an export: ``reason`` (at least 10 characters) is required and recorded with
    the filter and the count. National IDs are masked unless the role may see them and ``show_ids``."""
    try:
        reason = exports.check_reason(reason)
    except exports.ReasonMissing as exc:
        raise ApiError(422, "invalid", "the request has invalid fields", {"reason": str(exc)}) from exc
    persons = policy.visible_persons(request.user)
    if unit:
        persons = persons.filter(participations__unit=policy.unit_or_404(request.user, unit)).distinct()
    if q:
        cond = Q(si_code__icontains=q) | Q(full_name__icontains=q)
        cond |= Q(national_id__icontains=q) if policy.can_see_national_id(request.user) else Q(national_id=q)
        persons = persons.filter(cond)
    show = show_ids and policy.can_unmask_exports(request.user)
    found = list(persons.order_by("si_code"))
    rows = exports.do_export_persons(found, request.user.get_username(), reason, f"q={q} unit={unit}", show,
                                     source=f"API {request.method} {request.get_full_path()}")
    return [dict(zip(exports.PERSON_COLUMNS, r, strict=True)) for r in rows]


@router.get("/audit", response=list[AuditRow], tags=["audit"])
@paginate(Pages)
def list_audit(request: HttpRequest, unit: str = "", user: str = "", action: str = "") -> Any:
    """Audit rows, newest first, of a unit and/or a user (the web page's rules: policy.audit_events)."""
    events = policy.audit_events(request.user, unit, user)
    if action:
        events = events.filter(action=action)
    return [dict(zip(exports.AUDIT_COLUMNS, r, strict=True)) for r in exports.audit_rows(events[:5000])]


@router.post("/declarations", response={201: DeclarationOut}, tags=["declarations"])
def post_declaration(request: HttpRequest, file: File[UploadedFile], unit: Form[str],
                     declared_on: Form[date | None] = None, post: Form[bool] = False) -> Any:
    """A D02-LT file (xlsx or CSV, multipart field ``file``) for ``unit``, declared on ``declared_on``
    (default today), through ``exchange.declarations`` as ``sicollect declare`` does: every line is
    checked first; any error writes nothing and answers 422 with each ``file:line:field`` in
    ``fields``; the same file twice is a 422 too. ``post`` posts the unit's ledger through the
    declaring month in the same transaction."""
    if policy.access(request.user).role == Role.VIEWER:
        raise ApiError(403, "forbidden", "viewers cannot declare")
    target = policy.unit_or_404(request.user, unit)
    day = _in_range(declared_on or timezone.localdate(), "declared_on")
    name = Path(file.name or "declaration.csv").name
    if Path(name).suffix.lower() not in (".csv", ".xlsx"):
        raise ApiError(422, "invalid", "the request has invalid fields", {"file": "must be a .csv or .xlsx file"})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        with path.open("wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        try:
            decl = read_declaration(path, target, day)
            result = do_import_declaration(decl, actor=request.user.get_username(),
                                           post_through=Month.of(day) if post else None,
                                           source=f"API {request.method} {request.path} file {name}")
        except ImportErrors as exc:
            fields = {f"{e.file}:{e.line}:{e.field}": e.reason for e in exc.errors}
            raise ApiError(422, "invalid", f"{len(exc.errors)} error(s) in {name}; nothing was imported",
                           fields) from None
    return Status(201, {"unit": target.code, "file": name, "batch": result.batch.pk, "lines": result.participations,
                        "new_persons": result.persons, "posted": result.posted, "warnings": list(decl.warnings)})
