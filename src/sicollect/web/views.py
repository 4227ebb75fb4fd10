"""Thin views: read the request, ask :mod:`policy` what the user may see, render.

Computation lives in ``contributions`` (statement), ``reports`` (KPI),
:mod:`worklist` and :mod:`dashboard`; state changes in the actions they call.
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sicollect.arrears.models import Case
from sicollect.arrears.queries import default_as_of
from sicollect.close.models import UnitDebtState
from sicollect.contributions.models import EntryKind, LedgerEntry, Payment
from sicollect.contributions.statement import _LABELS, KEYS, interest_lines, statement
from sicollect.core import domain
from sicollect.core.months import Month
from sicollect.exchange.bank import (
    SuspenseError,
    do_assign_suspense,
    do_dismiss_suspense,
    ranked_candidates,
    suspense_items,
)
from sicollect.registry.models import Participation, Unit
from sicollect.reports.kpi import kpi, ranking
from sicollect.reports.render import render_xlsx as kpi_xlsx
from sicollect.rules.funds import STATEMENT_COLUMNS
from sicollect.staff import policy

from . import documents
from .arrears import followup_context
from .dashboard import dashboard as dashboard_data
from .models import SavedFilter
from .params import (
    PAGE_SIZE,
    as_of_param,
    choice_param,
    filter_int,
    office_and_officer,
    pdf_response,
    xlsx_response,
)
from .worklist import COLUMNS, DIRECTIONS, SORTS, Filters, debtors, render_xlsx

COLUMN_LABELS = {"SI": "BHXH", "HI": "BHYT", "UI": "BHTN", "OADI": "TNLĐ-BNN"}


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: the page names the parameter and the reason (a malformed filter never falls back silently)."""
    text = str(exception.args[0]) if exception is not None and exception.args else _("The request is malformed.")
    field, _sep, reason = text.partition(": ")
    errors = [(field, reason)] if reason else [("", text)]
    return render(request, "web/form_errors.html", {"errors": errors, "back": request.path}, status=400)


# --------------------------------------------------------------------------- dashboard


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    office = policy.kpi_office(request.user, request.GET.get("office"))
    as_of = as_of_param(request)
    a = policy.access(request.user)
    data = dashboard_data(as_of, office, with_ranking=a.everything and office is None)
    aging = data["charts"]["aging"]
    labels = {"this_year": _("Year"), "last_year": _("Year"), "plan": _("Plan"), "debt_ratio": _("Late-debt ratio"),
              "target": _("Ceiling"), "late_amount": _("Late debt"), "participants": _("Participants"),
              "pct_plan": _("Revenue, share of plan")}
    return render(request, "web/dashboard.html", {
        **data, "as_of": as_of, "office": office, "offices": policy.visible_offices(request.user),
        "aging_rows": list(zip(aging["codes"], aging["labels"], aging["units"], aging["amounts"], strict=True)), "chart_labels": labels,
    })


@login_required
def kpi_export(request: HttpRequest, fmt: str) -> HttpResponse:
    office = policy.kpi_office(request.user, request.GET.get("office"))
    as_of = as_of_param(request)
    data = kpi(as_of, office)
    rows = ranking(as_of) if policy.access(request.user).everything and office is None else []
    if fmt not in ("xlsx", "pdf"):
        raise Http404("no such format")
    name = f"kpi-{office.code if office else 'province'}-{as_of.isoformat()}"
    if fmt == "xlsx":
        return xlsx_response(kpi_xlsx(data, rows), f"{name}.xlsx")
    return pdf_response(documents.kpi_pdf(data, rows, office, as_of), f"{name}.pdf")


# --------------------------------------------------------------------------- units


@login_required
def unit_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    units = policy.visible_units(request.user).select_related("office", "officer")
    if q:
        units = units.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(tax_code__icontains=q))
    page = Paginator(units.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "web/_unit_rows.html" if request.headers.get("HX-Request") else "web/unit_search.html"
    return render(request, template, {"page": page, "q": q})


def _unit_month(request: HttpRequest, unit: Unit) -> Month:
    text = request.GET.get("month", "")
    if text:
        try:
            return Month.parse(text)
        except ValueError:
            pass
    last = LedgerEntry.objects.filter(unit=unit).order_by("-period").values_list("period", flat=True).first()
    return last or Month.of(default_as_of())


def _statement_table(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the C12-TS table: one per figure, a cell per column and the total."""
    return [{"label": _LABELS[k], "key": k,
             "cells": [data["funds"][c][k] for c in STATEMENT_COLUMNS] + [data["total"][k]]} for k in KEYS]


CASE_FIELDS = ("opened_on", "closed_on", "late_amount", "months_late")


def _case_columns() -> dict[str, Any]:
    """The unit's arrears case (open, else the last), as columns of the unit's own query."""
    from django.db.models import OuterRef, Subquery


    last = Case.objects.filter(unit=OuterRef("pk")).order_by(F("closed_on").desc(nulls_first=True), "-opened_on")
    return {f"case_{name}": Subquery(last.values(name)[:1]) for name in CASE_FIELDS}


def _case_of(unit: Unit) -> dict[str, Any] | None:
    if getattr(unit, "case_opened_on", None) is None:
        return None
    return {name: getattr(unit, f"case_{name}") for name in CASE_FIELDS}


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = policy.unit_or_404(request.user, code, **_case_columns())
    month = _unit_month(request, unit)
    data = statement(unit, month)
    ledger = list(LedgerEntry.objects.filter(unit=unit, period=month).select_related("payment")
                  .order_by("posted_on", "kind", "fund", "id"))
    employees = list(Participation.objects.filter(unit=unit).select_related("person")
                     .order_by("person__full_name", "from_month"))
    payments = list(Payment.objects.filter(unit=unit).order_by("-paid_on", "-id")[:60])
    history = list(UnitDebtState.objects.filter(unit=unit).order_by("-since"))
    periods = list(LedgerEntry.objects.filter(unit=unit).order_by("-period").values_list("period", flat=True)
                   .distinct())
    return render(request, "web/unit_detail.html", {
        "unit": unit, "month": month, "data": data, "rows": _statement_table(data),
        "columns": [COLUMN_LABELS.get(c, c.upper()) for c in STATEMENT_COLUMNS],
        "ledger": ledger, "interest": interest_lines(unit, month), "employees": employees,
        "payments": payments, "history": history, "periods": periods,
        "show_id": policy.can_see_national_id(request.user), "kinds": EntryKind,
        "case": _case_of(unit), **_followups(request, unit),
    })


def _followups(request: HttpRequest, unit: Unit) -> dict[str, Any]:
    return followup_context(request.user, unit)


@login_required
def unit_statement(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "pdf"):
        raise Http404("no such format")
    unit = policy.unit_or_404(request.user, code)
    month = _unit_month(request, unit)
    data = statement(unit, month)
    lines = interest_lines(unit, month)
    name = f"C12-TS-{unit.code}-{month}"
    if fmt == "xlsx":
        return xlsx_response(documents.statement_xlsx(unit, month, data, lines), f"{name}.xlsx")
    rows = _statement_table(data)
    return pdf_response(documents.statement_pdf(unit, month, data, rows, lines), f"{name}.pdf")


# --------------------------------------------------------------------------- worklist


def _filters(request: HttpRequest) -> Filters:
    g = request.GET
    office, officer = office_and_officer(request)
    return Filters(office=office, bucket=g.get("bucket", ""), debt_class=g.get("class", ""),
                   min_amount=filter_int(request, "min_amount"), officer=officer,
                   min_months=filter_int(request, "min_months"), q=g.get("q", "").strip(),
                   sort=choice_param(request, "sort", SORTS, "late"), direction=choice_param(request, "dir", DIRECTIONS, ""))


# the worklist's filters a saved filter keeps (not the page, the format nor the date: a saved filter is of today)
SAVED_KEYS = ("office", "bucket", "class", "officer", "min_amount", "min_months", "q", "sort", "dir")


def _headers(f: Filters, query: QueryDict) -> list[dict[str, Any]]:
    """The table's headers: label, the link that sorts by it (the other direction when it sorts already)."""
    base = query.copy()
    for key in ("sort", "dir", "page"):
        base.pop(key, None)
    out = []
    for c in COLUMNS:
        h: dict[str, Any] = {"key": c.key, "label": c.label, "numeric": c.numeric, "sort": c.sort, "aria": ""}
        if c.sort:
            natural = SORTS[c.sort][1]
            current = f.sort == c.sort and (c.key != "bucket" or f.sort != "months")
            direction = ("asc" if f.dir == "desc" else "desc") if current else natural
            link = base.copy()
            link["sort"] = c.sort
            if direction != natural:
                link["dir"] = direction
            h["href"] = "?" + link.urlencode()
            h["aria"] = ("ascending" if f.dir == "asc" else "descending") if current else ""
        out.append(h)
    return out


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    f = _filters(request)
    as_of = as_of_param(request)
    wl = debtors(request.user, as_of, f)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(render_xlsx(wl, as_of), f"danh-sach-no-{as_of.isoformat()}.xlsx")
    page = Paginator(wl.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    keep = QueryDict(mutable=True)
    for key in SAVED_KEYS:
        if query.get(key, "").strip():
            keep[key] = query[key].strip()
    context = {
        "wl": wl, "page": page, "f": f, "as_of": as_of, "query": query.urlencode(),
        "headers": _headers(f, query), "filter_query": keep.urlencode(),
        "saved_filters": SavedFilter.objects.filter(user=request.user).order_by("name"),
        "offices": policy.visible_offices(request.user),
        "officers": policy.officer_filter_choices(request.user),
        "assignable": policy.assignable_officers(request.user),
        "can_assign": policy.can_assign(request.user),
        "bucket_labels": {b.code: b.label for b in wl.buckets},
        "sort_choices": [(c.sort, c.label) for c in COLUMNS if c.sort and c.key != "bucket"],
    }
    template = "web/_worklist_table.html" if request.headers.get("HX-Request") else "web/worklist.html"
    return render(request, template, context)


@login_required
@require_POST
def worklist_assign(request: HttpRequest) -> HttpResponse:
    """Bulk assign the ticked units to an officer (or to nobody); answers the worklist table (HTMX)."""
    from .actions import do_assign_units

    if not policy.can_assign(request.user):
        return HttpResponseForbidden(_("You may not assign units."))
    officer_id = request.POST.get("officer_id", "")
    officer = None
    if officer_id:
        officer = policy.assignable_officers(request.user).filter(pk=officer_id).first()
        if officer is None:
            raise Http404("no such officer")
    codes = request.POST.getlist("unit")
    units = list(policy.visible_units(request.user).filter(code__in=codes))
    changed = do_assign_units(units, officer, actor=request.user.get_username())
    messages.success(request, _("%(n)d units assigned.") % {"n": changed})
    back = request.POST.get("next") or ""
    if request.headers.get("HX-Request"):
        query = QueryDict(back, mutable=True)
        query.pop("format", None)
        request.GET = query
        return worklist(request)
    return redirect(f"/worklist/?{back}")


@login_required
@require_POST
def worklist_filter_save(request: HttpRequest) -> HttpResponse:
    """Save the worklist's current filters (``query``) under ``name``, the user's own; a bad name is a 400."""
    from .actions import do_save_filter

    try:
        name = domain.model_text(SavedFilter, "name", request.POST.get("name", ""))
    except domain.DomainError as e:
        raise BadRequest(_("%(field)s: %(reason)s") % {"field": _("Filter name"), "reason": e}) from None
    given = QueryDict(request.POST.get("query", ""))
    keep = QueryDict(mutable=True)
    for key in SAVED_KEYS:
        if given.get(key, "").strip():
            keep[key] = given[key].strip()
    probe = request.GET
    request.GET = keep  # the filters must be valid ones: a malformed one is a 400 naming it, as on the page
    _filters(request)
    request.GET = probe
    query = keep.urlencode()
    if len(query) > SavedFilter._meta.get_field("query").max_length:
        raise BadRequest(_("%(field)s: %(reason)s") % {"field": "query", "reason": _("too long")})
    do_save_filter(request.user, name, query)
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return redirect(f"/worklist/?{query}")


@login_required
@require_POST
def worklist_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's saved filters (another user's is a 404)."""
    from .actions import do_delete_filter

    saved = SavedFilter.objects.filter(user=request.user, pk=pk).first()
    if saved is None:
        raise Http404("no such saved filter")
    do_delete_filter(saved, request.user.get_username())
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return redirect("/worklist/")


# --------------------------------------------------------------------------- persons


@login_required
def person_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    persons = policy.visible_persons(request.user)
    show_id = policy.can_see_national_id(request.user)
    if q:
        cond = Q(si_code__icontains=q) | Q(full_name__icontains=q)
        if show_id:
            cond |= Q(national_id__icontains=q)
        else:  # a masked user may find a person by the whole number, never by a fragment of it
            cond |= Q(national_id=q)
        persons = persons.filter(cond)
    page = Paginator(persons.order_by("si_code"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/person_search.html", {"page": page, "q": q, "show_id": show_id})


@login_required
def person_detail(request: HttpRequest, si_code: str) -> HttpResponse:
    person = policy.person_or_404(request.user, si_code)
    rows = (Participation.objects.filter(person=person).filter(policy.unit_filter(request.user, "unit__"))
            .select_related("unit").order_by("from_month", "id"))
    return render(request, "web/person_detail.html", {
        "person": person, "rows": rows, "show_id": policy.can_see_national_id(request.user),
    })


# --------------------------------------------------------------------------- suspense queue


SUSPENSE_STATUSES = ("open", "assigned", "dismissed", "all")
UNIT_SEARCH_LIMIT = 20


@login_required
def suspense(request: HttpRequest) -> HttpResponse:
    """The queue. Each item lists its candidates best first with score and how each was found; the
    assign box is filled only when one candidate leads alone (tied ones are listed to choose from).
    ``?q=`` searches the user's own units by code or name for a payer no candidate names."""
    status = choice_param(request, "status", SUSPENSE_STATUSES, "open")
    q = request.GET.get("q", "").strip()[:100]
    items = policy.visible_suspense_items(request.user, suspense_items(status if status != "all" else None))
    names: dict[str, str] = {}
    for item in items:
        seen = {c.get("unit") for c in item.visible_candidates or []}
        ranked, clear = ranked_candidates(item.candidates)
        item.ranked = [c for c in ranked if c["unit"] in seen]
        item.prefill = clear if clear in seen else ""
        item.tied = sum(1 for c in item.ranked if c["tied"])
        item.tied_elsewhere = sum(1 for c in ranked if c["tied"] and c["unit"] not in seen) if item.tied else 0
        names.update((c["unit"], "") for c in item.ranked)
    names.update(Unit.objects.filter(code__in=list(names)).values_list("code", "name"))
    for item in items:
        for c in item.ranked:
            c["name"] = names.get(c["unit"], "")
    found = None
    if q:
        found = list(policy.visible_units(request.user).filter(Q(code__icontains=q) | Q(name__icontains=q))
                     .select_related("office").order_by("code")[:UNIT_SEARCH_LIMIT + 1])
    return render(request, "web/suspense.html", {
        "items": items, "status": status, "can_settle": policy.can_settle_suspense(request.user),
        "statuses": [("open", _("Waiting")), ("assigned", _("Assigned")), ("dismissed", _("Dismissed")), ("all", _("All"))],
        "q": q, "found": found[:UNIT_SEARCH_LIMIT] if found is not None else None,
        "found_more": found is not None and len(found) > UNIT_SEARCH_LIMIT,
    })


@login_required
@require_POST
def suspense_decide(request: HttpRequest, item_id: int, verb: str) -> HttpResponse:
    if not policy.can_settle_suspense(request.user):
        return HttpResponseForbidden(_("You may not settle suspense items."))
    visible = {i.pk for i in policy.visible_suspense_items(request.user, suspense_items(None).filter(pk=item_id))}
    if item_id not in visible:
        raise Http404("no such item")
    actor = request.user.get_username()

    try:
        try:  # core.domain: a note is one line of at most 300 characters, no control characters
            note = domain.text(request.POST.get("note", ""), max_length=300, required=False)
            reverses = domain.text(request.POST.get("reverses", ""), max_length=64, required=False)
        except domain.DomainError as exc:
            raise SuspenseError(f"note: {exc}") from None
        if verb == "assign":
            # the box (a searched or typed code) wins over a ticked candidate
            code = request.POST.get("unit", "").strip() or request.POST.get("pick", "").strip()
            if not policy.visible_units(request.user).filter(code=code).exists():
                raise SuspenseError(_("unknown unit %(code)s") % {"code": code})
            do_assign_suspense(item_id, code, actor, note=note, reverses=reverses)
            messages.success(request, _("Assigned to %(code)s.") % {"code": code})
        else:
            do_dismiss_suspense(item_id, actor, note)
            messages.success(request, _("Dismissed."))
    except SuspenseError as e:
        messages.error(request, str(e))
    return redirect("web:suspense")


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico`` (browsers ask for it whatever the page links): the app's icon, cached a day."""
    from pathlib import Path

    icon = Path(__file__).parent / "static" / "web" / "favicon.ico"
    resp = HttpResponse(icon.read_bytes(), content_type="image/x-icon")
    resp["Cache-Control"] = "public, max-age=86400"
    return resp
