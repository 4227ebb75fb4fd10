"""Exports of the audit trail and of person lists (xlsx or CSV), and the action that records a
person-list export with its reason.

A person list leaves the office only with a reason, written to the audit trail with who asked,
when, the filter, how many persons and whether national IDs were shown in full (only roles that may
see them, and only when asked). The reason rule is the same for the page and the API.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from sicollect.core import audit, safe_export
from sicollect.core.models import AuditEvent
from sicollect.core.privacy import mask_id
from sicollect.core.safe_export import SafeSheet

MIN_REASON = 10  # characters: "kiểm tra" alone is not a reason
AUDIT_COLUMNS = ["created_at", "actor", "action", "object_type", "object_id", "unit_code", "source",
                 "before", "after", "detail"]
PERSON_COLUMNS = ["si_code", "full_name", "national_id", "birth_date", "sex"]


class ReasonMissing(ValueError):
    """An export of personal data asked for without a reason."""


def check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise ReasonMissing(f"a reason of at least {MIN_REASON} characters is required to export a person list")
    return reason


def audit_rows(events: Iterable[AuditEvent]) -> list[list[Any]]:
    rows = []
    for e in events:
        d = dict(e.detail or {})
        before, after, source = d.pop("before", None), d.pop("after", None), d.pop("source", "")
        rows.append([e.created_at.isoformat(timespec="seconds"), e.actor, e.action, e.object_type, e.object_id,
                     e.unit_code, source, _json(before), _json(after), _json(d)])
    return rows


def _json(value: Any) -> str:
    import json

    return "" if value in (None, {}) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def person_rows(persons: Iterable[Any], show_ids: bool) -> list[list[Any]]:
    return [[p.si_code, p.full_name, p.national_id if show_ids else mask_id(p.national_id),
             p.birth_date.isoformat() if p.birth_date else "", p.sex] for p in persons]


def do_export_persons(persons: Sequence[Any], actor: str, reason: str, query: str, show_ids: bool,
                      source: str) -> list[list[Any]]:
    """The rows of a person-list export, after recording it (reason, filter, count, IDs shown)."""
    reason = check_reason(reason)
    with transaction.atomic():
        audit.record("export_persons", actor, "person_list", query or "*", source=source, reason=reason,
                          after={"persons": len(persons), "national_ids": "full" if show_ids else "masked"})
    return person_rows(persons, show_ids)


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = safe_export.writer(buf)  # core.safe_export: no formulas, no control characters
    w.writerow(columns)
    w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens Vietnamese text right


def to_xlsx(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = SafeSheet(book.create_sheet(title[:31]))  # core.safe_export
    sheet.append(list(columns))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
