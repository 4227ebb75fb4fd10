"""Development leads per collection point (``coverage.leads``): the list with each lead's status, adding a
lead by hand and moving its status (new → contacted → enrolled or refused), through the same domain
functions as ``sicollect coverage lead add|status``, each audited. Who may: everyone but viewers
(:func:`policy.can_work_leads`), in the offices they see; another office's lead is a 404.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sicollect.contributions.debts import Scope
from sicollect.core import domain
from sicollect.coverage.leads import (
    TRANSITIONS,
    LeadError,
    do_add_lead,
    do_set_lead_status,
    do_track_lead,
    leads,
    with_status,
)
from sicollect.coverage.models import CollectionAgent, Lead, LeadKind, LeadStatus
from sicollect.staff import policy

from .params import as_of_param, choice_param


def _ids(request: HttpRequest, code: str | None) -> tuple[Any, list[int] | None]:
    office = policy.kpi_office(request.user, code)
    if office is None or office.is_province:
        return office, None
    return office, Scope(office).office_ids()


@login_required
def leads_page(request: HttpRequest) -> HttpResponse:
    office, ids = _ids(request, request.GET.get("office"))
    as_of = as_of_param(request)
    status = choice_param(request, "status", LeadStatus.values, "")
    point = request.GET.get("point", "").strip()
    rows = with_status(leads(as_of, ids), ids)
    if status:
        rows = [r for r in rows if r["status"] == status]
    if point:
        rows = [r for r in rows if (r["point"] or "-") == point]
    offices = policy.visible_offices(request.user)
    return render(request, "web/coverage_leads.html", {
        "rows": rows, "as_of": as_of, "office": office, "offices": offices, "status": status, "point": point,
        "statuses": LeadStatus.choices, "kinds": dict(LeadKind.choices),
        "points": CollectionAgent.objects.filter(office__in=offices).order_by("code"),
        "can_work": policy.can_work_leads(request.user),
        "next_status": {s: [(t, LeadStatus(t).label) for t in LeadStatus.values if t in allowed]
                        for s, allowed in TRANSITIONS.items()},
    })


def _back(request: HttpRequest) -> HttpResponse:
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/coverage/leads/") else reverse("web:coverage_leads"))


def _text(request: HttpRequest, name: str, limit: int, required: bool = False) -> str:
    try:
        return domain.text(request.POST.get(name, ""), max_length=limit, required=required)
    except domain.DomainError as exc:
        raise LeadError(f"{name}: {exc}") from None


@login_required
@require_POST
def lead_add(request: HttpRequest) -> HttpResponse:
    if not policy.can_work_leads(request.user):
        return HttpResponseForbidden(_("You may not work on leads."))
    office = policy.visible_offices(request.user).filter(code=request.POST.get("office", "")).first()
    if office is None:
        raise Http404("no such office")
    try:
        lead = do_add_lead(office, _text(request, "full_name", 200, required=True), request.user.get_username(),
                           point=request.POST.get("point", "").strip() or None,
                           si_code=_text(request, "si_code", 20), detail=_text(request, "detail", 300),
                           note=_text(request, "note", 300))
    except LeadError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Lead %(name)s added.") % {"name": lead.full_name})
    return _back(request)


@login_required
@require_POST
def lead_status(request: HttpRequest) -> HttpResponse:
    """``lead``: a stored lead's id; else ``kind`` and ``si_code`` of a lead found at ``as_of`` (kept now)."""
    if not policy.can_work_leads(request.user):
        return HttpResponseForbidden(_("You may not work on leads."))
    offices = policy.visible_offices(request.user)
    actor = request.user.get_username()
    p = request.POST
    try:
        note = _text(request, "note", 300)
        with transaction.atomic():
            if p.get("lead", "").isdigit():
                lead = Lead.objects.filter(pk=int(p["lead"]), office__in=offices).first()
                if lead is None:
                    raise Http404("no such lead")
            else:
                _office, ids = _ids(request, None)
                as_of = as_of_param(request) if not p.get("as_of") else _post_date(p["as_of"])
                row = next((r for r in leads(as_of, ids) if r["kind"] == p.get("kind")
                            and r["si_code"] == p.get("si_code")), None)
                if row is None:
                    raise Http404("no such lead")
                lead = do_track_lead(row, actor)
            lead = do_set_lead_status(lead.pk, p.get("status", ""), actor, note)
    except LeadError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s: %(status)s.") % {"name": lead.full_name,
                                                                 "status": lead.get_status_display()})
    return _back(request)


def _post_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Http404("no such lead") from None
