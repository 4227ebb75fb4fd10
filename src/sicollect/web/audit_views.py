"""The audit trail per unit and per user (page and xlsx/CSV export), and the person-list export
that needs a reason. Scope: :func:`policy.audit_events` and :func:`policy.visible_persons`."""
from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sicollect.arrears.models import ContactKind, ContactOutcome, LadderStep, PromiseStatus, StepStatus
from sicollect.contributions.models import EntryKind
from sicollect.core import exports
from sicollect.staff import policy

from .labels import AUDIT_FIELD, MONEY_FIELDS, field_label, label, tr
from .templatetags.sicollect import dmy, local, num, vnd

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
    steps = dict(LadderStep.objects.values_list("code", "name"))  # a confirmed step's code in words (a few rows)
    return render(request, "web/audit.html", {"page": page, "unit": unit, "actor": actor,
                                              "rows": [shown(e, steps) for e in page.object_list]})


def shown(e: Any, steps: dict[str, str] | None = None) -> dict[str, Any]:
    """An audit row for people: Vietnam's time, the action in words, before/after/detail as fields."""
    d = dict(e.detail or {})
    before, after, source = d.pop("before", None), d.pop("after", None), d.pop("source", "")
    steps = steps or {}
    return {"at": e.created_at, "actor": e.actor, "action": e.action,
            "object": f"{label(e.object_type, 'object')} {e.object_id}", "unit": e.unit_code, "source": source,
            "before": _fields(before, steps), "after": _fields(after, steps), "detail": _fields(d, steps)}


def _fields(value: Any, steps: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """``{"closed_through": "2025-10", "entries": 1234}`` → ``[("đã khóa sổ đến", "10/2025"), ("bút toán", "1.234")]``:
    each key labelled in the user's language, each value in the Vietnamese format."""
    if value in (None, {}, ""):
        return []
    if not isinstance(value, dict):
        return [("", _value("", value))]
    return [(field_label(k), tr(steps[v]) if k == "step" and steps and v in steps else _value(str(k), v))
            for k, v in _ordered(value, FIELD_ORDER) if v not in (None, "", [], {})]


def _ordered(d: dict[str, Any], order: dict[str, int]) -> list[tuple[str, Any]]:
    """``d``'s items in a fixed order (the known keys as listed, then the others by name): PostgreSQL's
    jsonb keeps keys in an order of its own, and the page reads the same on either database."""
    return sorted(d.items(), key=lambda kv: (order.get(str(kv[0]), len(order)), str(kv[0])))


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _value(key: str, v: Any) -> str:
    """One value as people read it: đồng with dots for money fields, counts grouped with dots, ISO dates
    ``dd/mm/yyyy``, moments in Vietnam's time, months ``mm/yyyy``, codes of choices in words."""
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    if isinstance(v, int | float):
        return vnd(v) if key in MONEY_FIELDS or key.endswith("_amount") else num(v)
    if isinstance(v, dict):
        return "; ".join(f"{tr(KINDS[k]) if k in KINDS else field_label(k)}: {_value(key, x)}"
                         for k, x in _ordered(v, KIND_ORDER) if x not in (None, "", [], {}))
    if isinstance(v, list | tuple):
        return ", ".join(_value(key, x) for x in v)
    text = str(v)
    try:
        if _MOMENT.match(text):
            return local(text)
        if _DATE.match(text):
            return dmy(text)
    except ValueError:
        return text
    month = _MONTH.match(text)
    if month:
        return f"{month.group(2)}/{month.group(1)}"
    if key in CHOICES and text in CHOICES[key]:
        return tr(CHOICES[key][text])
    return text


KINDS = dict(EntryKind.choices)
KIND_ORDER = {k: i for i, k in enumerate(KINDS)}
FIELD_ORDER = {k: i for i, k in enumerate(AUDIT_FIELD)}
CHOICES = {"status": dict(StepStatus.choices), "kind": dict(ContactKind.choices),
           "outcome": dict(ContactOutcome.choices), "promise_status": dict(PromiseStatus.choices)}


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
