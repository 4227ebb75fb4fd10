"""The audit trail per unit and per user (page and xlsx/CSV export), and the person-list export
that needs a reason. Scope: :func:`policy.audit_events` and :func:`policy.visible_persons`."""
from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sicollect.contributions.models import EntryKind
from sicollect.core import exports
from sicollect.staff import policy

from .labels import tr

PAGE_SIZE = 50
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _file(fmt: str, name: str, columns: list[str], rows: list[list[object]]) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404("no such format")
    body = exports.to_csv(columns, rows) if fmt == "csv" else exports.to_xlsx(name, columns, rows)
    resp = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    unit, actor = request.GET.get("unit", "").strip(), request.GET.get("user", "").strip()
    events = policy.audit_events(request.user, unit, actor)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page, "unit": unit, "actor": actor,
                                              "rows": [shown(e) for e in page.object_list]})


def shown(e: Any) -> dict[str, Any]:
    """An audit row for people: Vietnam's time, the action in words, before/after/detail as fields."""
    d = dict(e.detail or {})
    before, after, source = d.pop("before", None), d.pop("after", None), d.pop("source", "")
    return {"at": e.created_at, "actor": e.actor, "action": e.action, "object": f"{e.object_type} {e.object_id}",
            "unit": e.unit_code, "source": source, "before": _fields(before), "after": _fields(after),
            "detail": _fields(d)}


def _fields(value: Any) -> list[tuple[str, str]]:
    if value in (None, {}, ""):
        return []
    if not isinstance(value, dict):
        return [("", str(value))]
    return [(str(k), v if isinstance(v, str) else json.dumps(_words(v), ensure_ascii=False, default=str))
            for k, v in value.items() if v not in (None, "", [], {})]


def _words(value: Any) -> Any:
    """Ledger kinds used as keys (a close's ``amounts``: due, interest, payment …) in the user's language."""
    if isinstance(value, dict):
        return {tr(KINDS[k]) if k in KINDS else k: _words(v) for k, v in value.items()}
    return value


KINDS = dict(EntryKind.choices)


@login_required
def audit_export(request: HttpRequest, fmt: str) -> HttpResponse:
    unit, actor = request.GET.get("unit", "").strip(), request.GET.get("user", "").strip()
    events = policy.audit_events(request.user, unit, actor)
    name = "audit" + (f"-{unit}" if unit else "") + (f"-{actor}" if actor else "")
    return _file(fmt, name, exports.AUDIT_COLUMNS, exports.audit_rows(events))


@login_required
@require_POST
def persons_export(request: HttpRequest) -> HttpResponse:
    """A person list as xlsx/CSV: the filter of the persons page, a reason (recorded), IDs masked
    unless the role may see them and ``show_ids`` is ticked."""
    q = request.POST.get("q", "").strip()
    fmt = request.POST.get("fmt", "xlsx")
    persons = policy.visible_persons(request.user)
    show_ids = policy.can_unmask_exports(request.user) and request.POST.get("show_ids") == "1"
    if q:
        cond = Q(si_code__icontains=q) | Q(full_name__icontains=q)
        cond |= Q(national_id__icontains=q) if policy.can_see_national_id(request.user) else Q(national_id=q)
        persons = persons.filter(cond)
    if fmt not in CONTENT_TYPES:
        raise Http404("no such format")
    try:
        rows = exports.do_export_persons(list(persons.order_by("si_code")), request.user.get_username(),
                                         request.POST.get("reason", ""), q, show_ids,
                                         source=f"web POST {request.path}")
    except exports.ReasonMissing:
        messages.error(request, _("Give a reason (at least 10 characters) to export a person list."))
        return redirect(f"{request.build_absolute_uri('/persons/')}?q={q}")
    return _file(fmt, "persons", exports.PERSON_COLUMNS, rows)
