"""The arrears pages: cases worklist with bulk confirm, the case page, working groups and visits,
public disclosure, the reward check, the inspection ranking and the enforcement figures.

Thin views as in :mod:`views`: what a user sees comes from :mod:`sicollect.staff.policy` and
:mod:`sicollect.arrears.queries` (cases of the units they
see; another office's case is a 404), every state change from an ``arrears`` action function —
the same ones the command line runs (``ladder.do_confirm_steps``, ``cases.do_add_note``,
``groups.do_plan_visit`` / ``do_record_visit``, ``disclosure.do_review`` / ``do_publish``), and the
manager's actions of issue 20 (``groups.do_create_group`` / ``do_add_member`` / ``do_remove_member`` /
``do_dissolve_group``, ``disclosure.do_nominate_unit`` / ``nominate`` / ``do_delist``), each audited; a bad
entry is a 400 page naming the field, nothing written.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from sicollect.arrears import delivery
from sicollect.arrears import disclosure as disc
from sicollect.arrears.cases import do_add_note
from sicollect.arrears.followups import Entry, FollowUpError, do_log_followup
from sicollect.arrears.groups import (
    PARTNER_AGENCIES,
    SI_AGENCY,
    GroupError,
    do_add_member,
    do_apply_status,
    do_create_group,
    do_dissolve_group,
    do_plan_visit,
    do_record_visit,
    do_remove_member,
)
from sicollect.arrears.inspection import WEIGHTS, ranking
from sicollect.arrears.ladder import cases_by_step, do_confirm_steps
from sicollect.arrears.models import (
    CaseNote,
    CaseStep,
    Channel,
    Commitment,
    ContactKind,
    ContactOutcome,
    Disclosure,
    DisclosureStatus,
    FollowUp,
    LadderStep,
    Notice,
    Outcome,
    StepStatus,
    Visit,
    WorkingGroup,
    WorkingGroupMember,
)
from sicollect.arrears.notices import pdf_of
from sicollect.arrears.numbers import enforcement_numbers
from sicollect.arrears.queries import (
    CaseFilters,
    case_of,
    check_visible,
    default_as_of,
    filtered_cases,
    visible_cases,
)
from sicollect.core import domain
from sicollect.core.money import format_vnd
from sicollect.exchange.tabular import UnsafeWorkbook, safe_rows
from sicollect.staff import policy

from .params import (
    PAGE_SIZE,
    as_of_param,
    filter_int,
    int_or,
    office_and_officer,
    pdf_response,
    xlsx_response,
)

MAX_UPLOAD = 5 * 1024 * 1024


def _date(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _can_act(request: HttpRequest) -> HttpResponse | None:
    if not policy.can_confirm_steps(request.user):
        return HttpResponseForbidden(_("Viewers cannot change cases."))
    return None


# --------------------------------------------------------------------------- cases worklist


def _case_filters(request: HttpRequest) -> CaseFilters:
    g = request.GET
    office, officer = office_and_officer(request)
    return CaseFilters(step=g.get("step", ""), proposed=g.get("proposed", ""), office=office, officer=officer,
                       min_months=filter_int(request, "min_months"), min_amount=filter_int(request, "min_amount"),
                       q=g.get("q", "").strip())


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    f = _case_filters(request)
    qs = filtered_cases(request.user, f)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    proposed: dict[int, list[CaseStep]] = {}
    for s in (CaseStep.objects.filter(case_id__in=[c.pk for c in rows], status=StepStatus.PROPOSED)
              .select_related("step").order_by("step__order")):
        proposed.setdefault(s.case_id, []).append(s)
    for c in rows:
        c.proposed_steps = proposed.get(c.pk, [])
    query = request.GET.copy()
    query.pop("page", None)
    scope_cases = visible_cases(request.user)
    if f.office is not None:
        scope_cases = scope_cases.filter(unit__office_id__in=policy.scope_office_ids(request.user, f.office))
    context = {
        "page": page, "rows": rows, "f": f, "query": query.urlencode(),
        "by_step": sorted(cases_by_step(scope_cases).items(), key=lambda kv: _order().get(kv[0], 0)),
        "steps": LadderStep.objects.filter(active=True).order_by("order"),
        "offices": policy.visible_offices(request.user),
        "officers": policy.officer_filter_choices(request.user),
        "can_confirm": policy.can_confirm_steps(request.user),
        "step_names": _step_names(), "channels": Channel.choices,
        "batch_filters": [(k, v) for k, v in request.GET.items()
                          if k in ("step", "proposed", "office", "officer", "min_months", "min_amount", "q") and v],
        "today": timezone.localdate(),
    }
    template = "web/arrears/_cases_table.html" if request.headers.get("HX-Request") else "web/arrears/cases.html"
    return render(request, template, context)


def _step_names() -> dict[str, str]:
    return dict(LadderStep.objects.values_list("code", "name"))


def _order() -> dict[str, int]:
    return {code: order for code, order in LadderStep.objects.values_list("code", "order")}


@login_required
@require_POST
def confirm_steps(request: HttpRequest) -> HttpResponse:
    """Bulk confirm of the ticked proposals (HTMX: answers the cases table)."""
    if (denied := _can_act(request)) is not None:
        return denied
    back = request.POST.get("next") or ""
    steps = CaseStep.objects.filter(status=StepStatus.PROPOSED, case__in=visible_cases(request.user))
    if request.POST.get("all"):
        # every proposal of the cases the worklist's filters select (those named by ``next``)
        request.GET = QueryDict(back)
        f = _case_filters(request)
        steps = steps.filter(case__in=filtered_cases(request.user, f).values("pk"))
        if f.proposed and f.proposed != "any":
            steps = steps.filter(step__code=f.proposed)
    else:
        steps = steps.filter(pk__in=[int(x) for x in request.POST.getlist("step") if x.isdigit()])
    ids = list(steps.order_by("case__unit__code", "step__order").values_list("pk", flat=True))
    # confirmed (and its notice issued, its deadline counted) on the day the officer confirms, in Vietnam
    s = do_confirm_steps(ids, request.user, f"web POST {request.path}", timezone.localdate())
    messages.success(request, _("%(n)d steps confirmed, %(d)d documents issued.") % {"n": s.confirmed,
                                                                                      "d": s.notices})
    if request.headers.get("HX-Request"):
        request.GET = QueryDict(back)
        request.method = "GET"
        return cases(request)
    return redirect(f"/arrears/?{back}")


# --------------------------------------------------------------------------- the case page


@login_required
def case_detail(request: HttpRequest, code: str) -> HttpResponse:
    case = case_of(request.user, code, request.GET.get("case"))
    steps = list(case.steps.select_related("step").order_by("step__order", "id"))
    notices = {n.case_step_id: n for n in Notice.objects.filter(case_step__case=case)}
    sent = delivery.deliveries_of(notices.values())
    for s in steps:
        s.document = notices.get(s.pk)
        s.deliveries = sent.get(s.document.pk, []) if s.document else []
    commitments = list(Commitment.objects.filter(case=case).order_by("-signed_on", "-id"))
    for c in commitments:
        c.total = sum(int(x["amount"]) for x in c.schedule)
        c.lines = [{"due_on": date.fromisoformat(x["due_on"]), "amount": int(x["amount"])} for x in c.schedule]
    others = list(visible_cases(request.user).filter(unit=case.unit).exclude(pk=case.pk)
                  .order_by("-opened_on").values("pk", "opened_on", "closed_on", "close_reason"))
    return render(request, "web/arrears/case.html", {
        "case": case, "unit": case.unit, "steps": steps, "events": list(case.events.order_by("-on", "-id")),
        "notes": list(CaseNote.objects.filter(case=case).order_by("-created_at", "-id")),
        "commitments": commitments,
        "visits": list(Visit.objects.filter(Q(case=case) | Q(case__isnull=True, unit=case.unit))
                       .select_related("group").order_by("-planned_on", "-id")),
        "others": others, "can_act": policy.can_confirm_steps(request.user) and case.is_open,
        "can_nominate": policy.can_assign(request.user) and case.is_open,
        **followup_context(request.user, case.unit), "step_names": _step_names(),
        "top": next((s.step for s in reversed(steps) if s.status == StepStatus.CONFIRMED), None),
        "channels": Channel.choices, "has_notices": bool(notices),
    })


# --------------------------------------------------------------------------- sending notices


def _send(request: HttpRequest, notices: Any) -> HttpResponse | None:
    """Send ``notices`` on the POSTed channel (arrears.delivery.send), the outcome as messages; a
    channel that is not one is a 400."""
    channel = request.POST.get("channel", "")
    if channel not in Channel.values:
        return HttpResponseBadRequest(_("channel: one of %(choices)s.") % {"choices": ", ".join(Channel.values)})
    try:
        r = delivery.send(notices, channel, request.user.get_username(), f"web POST {request.path}",
                          resend=request.POST.get("resend") == "1")
    except delivery.DeliveryError as exc:
        messages.error(request, _("Not sent: %(reason)s") % {"reason": exc})
        return None
    label = Channel(channel).label
    if channel in (Channel.SMS, Channel.ZALO):
        messages.success(request, _("%(channel)s: %(n)d notices written to the outbox file %(file)s.") % {
            "channel": label, "n": len(r.sent), "file": r.outbox.name if r.outbox else "—"})
    else:
        messages.success(request, _("%(channel)s: %(n)d notices sent.") % {"channel": label, "n": len(r.sent)})
    if r.failed:
        messages.error(request, _("%(n)d could not be sent: %(which)s") % {"n": len(r.failed),
                                                                          "which": "; ".join(r.failed[:10])})
    shown = {"no_address": _("no address on file"), "already": _("already sent (tick resend to send again)")}
    for number, unit, why in r.reasons[:20]:
        messages.warning(request, _("%(unit)s, notice %(number)s skipped: %(why)s") % {
            "unit": unit, "number": number, "why": shown[why]})
    if len(r.reasons) > 20:
        messages.warning(request, _("… and %(n)d more skipped.") % {"n": len(r.reasons) - 20})
    return None


@login_required
@require_POST
def case_send(request: HttpRequest, code: str) -> HttpResponse:
    """Send the notices of one case (the case page's button)."""
    if (denied := _can_act(request)) is not None:
        return denied
    case = case_of(request.user, code, request.POST.get("case"))
    if (bad := _send(request, delivery.notices_for(cases=[case.pk]))) is not None:
        return bad
    return redirect(f"/arrears/cases/{case.unit.code}/?case={case.pk}#case-steps")


@login_required
@require_POST
def cases_send(request: HttpRequest) -> HttpResponse:
    """Send the notices of every case the worklist's filters select (``next``: the worklist's query)."""
    if (denied := _can_act(request)) is not None:
        return denied
    back = request.POST.get("next") or ""
    request.GET = QueryDict(back)
    selected = filtered_cases(request.user, _case_filters(request)).values("pk")
    if (bad := _send(request, delivery.notices_for(cases=selected))) is not None:
        return bad
    return redirect(f"/arrears/?{back}")


@login_required
@require_POST
def case_note(request: HttpRequest, code: str) -> HttpResponse:
    if (denied := _can_act(request)) is not None:
        return denied
    case = case_of(request.user, code, request.POST.get("case"))

    upload = request.FILES.get("attachment")
    try:  # core.domain: NFC, no control characters, at most 10,000 characters
        text = domain.text(request.POST.get("text", ""), max_length=10_000, required=False, multiline=True)
    except domain.DomainError as exc:
        text = ""
        messages.error(request, f"text: {exc}")
        return redirect(f"/arrears/cases/{case.unit.code}/?case={case.pk}#notes")
    if not text:
        messages.error(request, _("A note needs a text."))
    elif upload is not None and upload.size > MAX_UPLOAD:
        messages.error(request, _("%(name)s: the file is larger than 5 MB.") % {"name": upload.name})
    else:
        do_add_note(case, request.user.get_username(), text, attachment=upload)
        messages.success(request, _("Note added."))
    return redirect(f"/arrears/cases/{case.unit.code}/?case={case.pk}#notes")


@login_required
def attachment(request: HttpRequest, note_id: int) -> HttpResponse:
    note = CaseNote.objects.filter(pk=note_id, case__in=visible_cases(request.user)).first()
    if note is None or not note.attachment:
        raise Http404("no such attachment")
    return FileResponse(note.attachment.open("rb"), as_attachment=True,
                        filename=note.attachment.name.rsplit("/", 1)[-1])


@login_required
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = (Notice.objects.filter(pk=notice_id).filter(policy.unit_filter(request.user, "unit__"))
              .select_related("unit", "office").first())
    if notice is None:
        raise Http404("no such notice")
    return pdf_response(pdf_of([notice]), f"thong-bao-{notice.unit.code}-{notice.issued_on:%Y%m%d}-{notice.pk}.pdf")


MAX_BATCH = 500


@login_required
def notice_batch(request: HttpRequest) -> HttpResponse:
    """Every notice issued on a day (``issued_on``) to the cases the worklist's filters show, in the user's
    offices, as one PDF (a page run per notice, in office and unit order)."""
    on = _day(request.GET.get("issued_on"))
    if on is None:
        return _refused(request, [(_("Issued on"), _("expected a date YYYY-MM-DD"))], "/arrears/")
    f = _case_filters(request)
    qs = (Notice.objects.filter(issued_on=on).filter(policy.unit_filter(request.user, "unit__"))
          .filter(case_step__case__in=filtered_cases(request.user, f).values("pk"))
          .select_related("unit", "office").order_by("office__code", "unit__code", "id"))
    n = qs.count()
    if n == 0:
        return _refused(request, [(_("Issued on"), _("no notice issued on %(day)s to the cases shown")
                                   % {"day": on.strftime("%d/%m/%Y")})], "/arrears/", status=404)
    if n > MAX_BATCH:
        return _refused(request, [(_("Issued on"), _("%(n)d notices: at most %(max)d in one file, choose an office")
                                   % {"n": n, "max": MAX_BATCH})], "/arrears/")
    office = f"-{f.office.code}" if f.office is not None else ""
    return pdf_response(pdf_of(list(qs)), f"thong-bao{office}-{on:%Y%m%d}.pdf")


# --------------------------------------------------------------------------- the follow-up log


def followup_context(user: Any, unit: Any) -> dict[str, Any]:
    """What ``web/arrears/_followups.html`` needs: the unit's log, newest first, and the form's choices."""
    return {"followups": list(FollowUp.objects.filter(unit=unit).order_by("-contacted_on", "-id")[:100]),
            "can_log": policy.can_confirm_steps(user), "contact_kinds": ContactKind.choices,
            "contact_outcomes": ContactOutcome.choices, "today": date.today()}


# the reasons arrears.followups gives, for the catalogue of this app (the page translates them)
FOLLOWUP_REASONS = (
    gettext_noop("a date YYYY-MM-DD is required"),
    gettext_noop("a positive amount in đồng"),
    gettext_noop("a promise needs both an amount and a date"),
    gettext_noop("at most 200 characters"),
    gettext_noop("at most 4000 characters"),
    gettext_noop("cannot be before the contact"),
    gettext_noop("cannot be in the future"),
    gettext_noop("not a case of this unit"),
    gettext_noop("one of call, visit, letter, email"),
    gettext_noop("one of reached, promised, no_answer, refused, wrong_contact"),
    gettext_noop("the next action needs both a text and a date"),
    gettext_noop("the outcome 'promised' needs a promise (amount and date)"),
)


FIELD_LABELS = {"kind": gettext_lazy("Contact"), "contacted_on": gettext_lazy("Date"), "outcome": gettext_lazy("Outcome"),
                "contact_name": gettext_lazy("Reached"), "note": gettext_lazy("Note"),
                "promise_amount": gettext_lazy("Promised amount (đồng)"), "promise_date": gettext_lazy("Promised by"),
                "next_action": gettext_lazy("Next action"), "next_action_on": gettext_lazy("Next action on"),
                "case": gettext_lazy("Case")}


def _safe_next(url: str, default: str) -> str:
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else default


@login_required
@require_POST
def followup_log(request: HttpRequest, code: str) -> HttpResponse:
    """Log a contact from the unit or case page: ``arrears.followups.do_log_followup`` (audited);
    a bad field is an error message naming it, and nothing is saved (the page answers 400)."""
    if (denied := _can_act(request)) is not None:
        return denied
    unit = policy.unit_or_404(request.user, code)
    p = request.POST
    errors: dict[str, str] = {}

    def day(name: str) -> date | None:
        text = p.get(name, "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            errors[name] = _("expected a date YYYY-MM-DD")
            return None

    amount_text = p.get("promise_amount", "").replace(".", "").replace(",", "").replace(" ", "").strip()
    amount = None
    if amount_text:
        if amount_text.isdigit():
            amount = int(amount_text)
        else:
            errors["promise_amount"] = _("a whole number of đồng")
    case = None
    if p.get("case"):
        case = visible_cases(request.user).filter(unit=unit, pk=int_or(p.get("case"), -1)).first()
        if case is None:
            errors["case"] = _("not a case of this unit")
    e = Entry(kind=p.get("kind", ""), contacted_on=day("contacted_on"), outcome=p.get("outcome", ""),
              contact_name=p.get("contact_name", ""), note=p.get("note", ""), promise_amount=amount,
              promise_date=day("promise_date"), next_action=p.get("next_action", ""),
              next_action_on=day("next_action_on"), errors=errors)
    back = _safe_next(p.get("next", ""), f"/units/{unit.code}/")
    try:
        do_log_followup(unit, request.user, e, f"web POST {request.path}", case=case)
    except FollowUpError as exc:
        return render(request, "web/form_errors.html", {
            "errors": [(FIELD_LABELS.get(k, k), _(v)) for k, v in exc.fields.items()], "back": back}, status=400)
    messages.success(request, _("Contact saved."))
    return redirect(back)


# --------------------------------------------------------------------------- working groups and visits


@login_required
def groups(request: HttpRequest) -> HttpResponse:
    a = policy.access(request.user)
    units = policy.visible_units(request.user)
    visits = Visit.objects.filter(unit__in=units).select_related("unit", "case")
    qs = WorkingGroup.objects.select_related("office").prefetch_related(
        Prefetch("visits", queryset=visits.order_by("planned_on", "id"), to_attr="shown_visits"))
    if not a.everything:
        qs = qs.filter(Q(office_id__in=a.office_ids or []) | Q(visits__unit__in=units)).distinct()
    shown = list(qs.order_by("office__code", "formed_on", "id"))
    for g in shown:  # a group of one's offices: plan its visits (another office's visits one's units)
        g.own = (a.everything or g.office_id in (a.office_ids or ())) and g.dissolved_on is None
    return render(request, "web/arrears/groups.html", {
        "groups": shown, "outcomes": Outcome.choices,
        "can_act": policy.can_confirm_steps(request.user), "can_apply": policy.can_assign(request.user),
        "can_manage": policy.can_assign(request.user), "agencies": PARTNER_AGENCIES,
        "offices": policy.visible_offices(request.user).order_by("code"), "today": timezone.localdate(),
        "own_office": policy.access(request.user).office,
    })


# reasons arrears.groups and arrears.disclosure give, for this app's catalogue (the pages translate them)
ACTION_REASONS = (
    gettext_noop("required"),
    gettext_noop("%(reason)s"),
    gettext_noop("unknown agency %(name)s"),
    gettext_noop("at least one partner agency"),
    gettext_noop("unknown agency %(name)s: not a member agency of this group"),
    gettext_noop("the group was dissolved on %(day)s"),
    gettext_noop("cannot be before the group was formed (%(day)s)"),
    gettext_noop("%(unit)s: no open arrears case, nothing to disclose"),
    gettext_noop("%(unit)s: %(months)d months late, fewer than the %(min)d months the law requires for disclosure"),
    gettext_noop("%(unit)s: already on the list (%(status)s)"),
    gettext_noop("%(unit)s: not on the published list (%(status)s)"),
    gettext_noop("%(unit)s: a reason is required to remove a published unit"),
    gettext_noop("%(unit)s: reason: %(e)s"),
    gettext_noop("%(unit)s: a removal date YYYY-MM-DD is required"),
    gettext_noop("%(unit)s: cannot be removed before it was published (%(day)s)"),
)

GROUP_FIELDS = {"name": gettext_lazy("Name"), "chair": gettext_lazy("Chair"), "agencies": gettext_lazy("Member agencies"),
                "formed_on": gettext_lazy("Formed on"), "office": gettext_lazy("Office"),
                "agency": gettext_lazy("Agency"), "position": gettext_lazy("Position"),
                "dissolved_on": gettext_lazy("Dissolved on"), "group": gettext_lazy("Working group"),
                "unit": gettext_lazy("Unit")}


def _refused(request: HttpRequest, errors: list[tuple[Any, str]], back: str, status: int = 400) -> HttpResponse:
    """The form's errors, each naming its field; nothing was saved."""
    return render(request, "web/form_errors.html", {"errors": errors, "back": back}, status=status)


def _group_errors(exc: GroupError) -> list[tuple[Any, str]]:
    return [(GROUP_FIELDS.get(k, k), _(r) % p) for k, (r, p) in exc.fields.items()]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _can_manage(request: HttpRequest) -> HttpResponse | None:
    if not policy.can_assign(request.user):
        return HttpResponseForbidden(_("Only a manager forms, changes or dissolves a working group."))
    return None


@login_required
@require_POST
def group_create(request: HttpRequest) -> HttpResponse:
    """A manager forms a working group of one of the offices they see (``groups.do_create_group``, audited)."""
    if (denied := _can_manage(request)) is not None:
        return denied
    p = request.POST
    back = "/arrears/groups/"
    code = p.get("office", "").strip()
    office = policy.visible_offices(request.user).filter(code=code).first() if code else policy.access(request.user).office
    if office is None:
        return _refused(request, [(GROUP_FIELDS["office"], _("unknown office %(code)s") % {"code": code or "—"})], back)
    try:
        g = do_create_group(p.get("name", ""), office, p.get("chair", ""), p.getlist("agencies"),
                            _day(p.get("formed_on")), request.user.get_username(), f"web POST {request.path}")
    except GroupError as exc:
        return _refused(request, _group_errors(exc), back)
    messages.success(request, _("Working group “%(name)s” formed.") % {"name": g.name})
    return redirect("web:arrears_group", group_id=g.pk)


@login_required
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    """One group: its members, its units' visits (plan, record the outcome, apply a status), dissolve."""
    a = policy.access(request.user)
    units = policy.visible_units(request.user)
    qs = WorkingGroup.objects.filter(pk=group_id).select_related("office")
    if not a.everything:  # as on the list: a group of one's offices, or one that visits one's units
        qs = qs.filter(Q(office_id__in=a.office_ids or []) | Q(visits__unit__in=units)).distinct()
    group = qs.first()
    if group is None:
        raise Http404("no such group")
    own = group.own = a.everything or group.office_id in (a.office_ids or ())
    group.shown_visits = list(Visit.objects.filter(group=group, unit__in=units)
                              .select_related("unit", "case").order_by("planned_on", "id"))
    return render(request, "web/arrears/group.html", {
        "g": group, "members": list(group.members.order_by("id")), "outcomes": Outcome.choices,
        "member_agencies": [SI_AGENCY, *group.agencies],
        "can_act": policy.can_confirm_steps(request.user) and group.dissolved_on is None,
        "can_apply": policy.can_assign(request.user),
        "can_manage": policy.can_assign(request.user) and group.dissolved_on is None and own,
        "today": timezone.localdate(),
    })


@login_required
@require_POST
def group_member_add(request: HttpRequest, group_id: int) -> HttpResponse:
    if (denied := _can_manage(request)) is not None:
        return denied
    group = _group_or_404(request.user, group_id)
    p = request.POST
    back = f"/arrears/groups/{group.pk}/"
    try:
        m = do_add_member(group, p.get("name", ""), p.get("agency", ""), p.get("position", ""), timezone.localdate(),
                          request.user.get_username(), f"web POST {request.path}")
    except GroupError as exc:
        return _refused(request, _group_errors(exc), back)
    messages.success(request, _("%(name)s added to the group.") % {"name": m.name})
    return redirect(back + "#members")


@login_required
@require_POST
def group_member_remove(request: HttpRequest, group_id: int, member_id: int) -> HttpResponse:
    if (denied := _can_manage(request)) is not None:
        return denied
    group = _group_or_404(request.user, group_id)
    member = WorkingGroupMember.objects.filter(pk=member_id, group=group).first()
    if member is None:
        raise Http404("no such member")
    name = member.name
    do_remove_member(member, request.user.get_username(), f"web POST {request.path}")
    messages.success(request, _("%(name)s removed from the group.") % {"name": name})
    return redirect(f"/arrears/groups/{group.pk}/#members")


@login_required
@require_POST
def group_dissolve(request: HttpRequest, group_id: int) -> HttpResponse:
    if (denied := _can_manage(request)) is not None:
        return denied
    group = _group_or_404(request.user, group_id)
    back = f"/arrears/groups/{group.pk}/"
    try:
        do_dissolve_group(group, _day(request.POST.get("dissolved_on")), request.user.get_username(),
                          f"web POST {request.path}")
    except GroupError as exc:
        return _refused(request, _group_errors(exc), back)
    messages.success(request, _("Working group “%(name)s” dissolved.") % {"name": group.name})
    return redirect(back)


def _group_or_404(user: Any, group_id: int) -> WorkingGroup:
    a = policy.access(user)
    qs = WorkingGroup.objects.filter(pk=group_id)
    if not a.everything:
        qs = qs.filter(office_id__in=a.office_ids or [])
    group = qs.first()
    if group is None:
        raise Http404("no such group")
    return group


@login_required
@require_POST
def group_plan(request: HttpRequest, group_id: int) -> HttpResponse:
    if (denied := _can_act(request)) is not None:
        return denied
    group = _group_or_404(request.user, group_id)
    code = request.POST.get("unit", "").strip()
    unit = policy.visible_units(request.user).filter(code=code).first()
    on = _date(request.POST.get("planned_on"), date.min)
    back = _safe_next(request.POST.get("next", ""), "/arrears/groups/")
    if group.dissolved_on is not None:  # a bad entry is a 400 naming it; nothing is planned
        return _refused(request, [(GROUP_FIELDS["group"], _("the group was dissolved on %(day)s")
                                   % {"day": group.dissolved_on.strftime("%d/%m/%Y")})], back)
    if unit is None:
        return _refused(request, [(GROUP_FIELDS["unit"], _("unknown unit %(code)s") % {"code": code})], back)
    if on == date.min:
        return _refused(request, [(_("Planned"), _("expected a date YYYY-MM-DD"))], back)
    do_plan_visit(group, unit, on, request.user.get_username())
    messages.success(request, _("Visit to %(code)s planned.") % {"code": unit.code})
    return redirect(back)


def parse_schedule(text: str) -> list[tuple[date, int]]:
    """Lines ``YYYY-MM-DD amount`` (amount in đồng, dots or commas allowed) → the schedule;
    a bad line raises ``ValueError`` naming its number."""
    out = []
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        parts = line.replace(";", " ").split()
        try:
            day = date.fromisoformat(parts[0])
            amount = int(parts[1].replace(".", "").replace(",", ""))
        except (ValueError, IndexError) as exc:
            raise ValueError(_("schedule line %(n)d: expected 'YYYY-MM-DD amount', got %(line)r")
                             % {"n": i, "line": line}) from exc
        if amount <= 0:
            raise ValueError(_("schedule line %(n)d: the amount must be positive") % {"n": i})

        try:
            domain.amount(amount)  # core.domain: at most MAX_AMOUNT
        except domain.DomainError as exc:
            raise ValueError(f"schedule line {i}: {exc}") from None
        out.append((day, amount))
    return out


@login_required
@require_POST
def visit_record(request: HttpRequest, visit_id: int) -> HttpResponse:
    if (denied := _can_act(request)) is not None:
        return denied
    visit = Visit.objects.filter(pk=visit_id, unit__in=policy.visible_units(request.user)).first()
    if visit is None:
        raise Http404("no such visit")
    p = request.POST
    try:
        done = date.fromisoformat(p.get("done_on", ""))
        schedule = parse_schedule(p.get("schedule", ""))
        do_record_visit(visit, done, p.get("outcome", ""), p.get("minutes", ""), request.user.get_username(),
                        schedule=schedule or None)
        messages.success(request, _("Visit recorded."))
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(_safe_next(p.get("next", ""), "/arrears/groups/"))


@login_required
@require_POST
def visit_status(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Apply the unit status a visit proposed (unit not found → missing); the next sync closes the
    case as class IV. A manager's decision."""
    if not policy.can_assign(request.user):
        return HttpResponseForbidden(_("Only a manager changes a unit's status."))
    visit = Visit.objects.filter(pk=visit_id, unit__in=policy.visible_units(request.user)).select_related("unit").first()
    if visit is None:
        raise Http404("no such visit")
    try:
        unit = do_apply_status(visit, request.user.get_username())
        messages.success(request, _("%(code)s is now %(status)s.") % {"code": unit.code, "status": unit.status})
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(_safe_next(request.POST.get("next", ""), "/arrears/groups/"))


# --------------------------------------------------------------------------- public disclosure


@login_required
def disclosure(request: HttpRequest) -> HttpResponse:
    scope = policy.unit_filter(request.user, "unit__")
    rows = list(Disclosure.objects.filter(scope).select_related("unit__office", "case")
                .order_by("status", "-late_amount", "unit__code"))
    groups_ = {s: [d for d in rows if d.status == s] for s in DisclosureStatus.values}
    return render(request, "web/arrears/disclosure.html", {
        "candidates": groups_["candidate"], "approved": groups_["approved"], "published": groups_["published"],
        "closed": groups_["dropped"] + groups_["removed"], "as_of": as_of_param(request),
        "can_review": policy.can_review_disclosure(request.user),
        "can_nominate": policy.can_assign(request.user), "threshold": disc.default_threshold(),
    })


@login_required
@require_POST
def disclosure_review(request: HttpRequest) -> HttpResponse:
    if not policy.can_review_disclosure(request.user):
        return HttpResponseForbidden(_("Only the province manager approves the public list."))
    ids = [int(x) for x in request.POST.getlist("entry") if x.isdigit()]
    out = disc.do_review(ids, request.user.get_username(), _date(request.POST.get("on"), default_as_of()))
    messages.success(request, _("%(a)d approved, %(d)d dropped.") % {"a": out["approved"], "d": out["dropped"]})
    return redirect("web:arrears_disclosure")


@login_required
@require_POST
def disclosure_publish(request: HttpRequest) -> HttpResponse:
    if not policy.can_review_disclosure(request.user):
        return HttpResponseForbidden(_("Only the province manager approves the public list."))
    n = disc.do_publish(_date(request.POST.get("on"), default_as_of()), request.user.get_username())
    messages.success(request, _("%(n)d units published.") % {"n": n})
    return redirect("web:arrears_disclosure")


def _can_nominate(request: HttpRequest) -> HttpResponse | None:
    if not policy.can_assign(request.user):
        return HttpResponseForbidden(_("Only a manager proposes units for public disclosure."))
    return None


@login_required
@require_POST
def disclosure_nominate(request: HttpRequest) -> HttpResponse:
    """A manager proposes units for the public list: one unit (``unit``: its code), refused with the reason
    when it is not late long enough, or every qualifying unit of the offices they see. The province
    manager then reviews them."""
    if (denied := _can_nominate(request)) is not None:
        return denied
    p = request.POST
    on = _day(p.get("on")) or default_as_of()
    back = _safe_next(p.get("next", ""), "/arrears/disclosure/")
    actor, source = request.user.get_username(), f"web POST {request.path}"
    code = p.get("unit", "").strip()
    if "unit" in p:
        unit = policy.visible_units(request.user).filter(code=code).first()
        if unit is None:
            return _refused(request, [(GROUP_FIELDS["unit"], _("unknown unit %(code)s") % {"code": code or "—"})],
                            back)
        try:
            d = disc.do_nominate_unit(unit, on, actor, source)
        except disc.DisclosureError as exc:
            return _refused(request, [(GROUP_FIELDS["unit"], _(exc.reason) % exc.params)], back)
        messages.success(request, _("%(code)s proposed for disclosure: %(months)d months late, %(amount)s late.")
                         % {"code": unit.code, "months": d.months_late, "amount": format_vnd(d.late_amount)})
        return redirect(back)
    n = disc.nominate(on, office_ids=policy.access(request.user).office_ids, actor=actor, source=source)
    messages.success(request, _("%(n)d units proposed for disclosure.") % {"n": n})
    return redirect(back)


@login_required
@require_POST
def disclosure_delist(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Remove a published unit from the public list, with the reason and the day: the province manager."""
    if not policy.can_review_disclosure(request.user):
        return HttpResponseForbidden(_("Only the province manager approves the public list."))
    entry = (Disclosure.objects.filter(pk=entry_id).filter(policy.unit_filter(request.user, "unit__"))
             .select_related("unit").first())
    if entry is None:
        raise Http404("no such entry")
    try:
        disc.do_delist(entry, request.POST.get("reason", ""), _day(request.POST.get("removed_on")),
                       request.user.get_username(), f"web POST {request.path}")
    except disc.DisclosureError as exc:
        return _refused(request, [(_("Remove from the list"), _(exc.reason) % exc.params)], "/arrears/disclosure/")
    messages.success(request, _("%(code)s removed from the published list.") % {"code": entry.unit.code})
    return redirect("web:arrears_disclosure")


@login_required
def disclosure_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "pdf"):
        raise Http404("no such format")
    as_of = as_of_param(request)
    where = policy.unit_filter(request.user, "unit__")
    name = f"cong-khai-cham-dong-{as_of.isoformat()}"
    if fmt == "xlsx":
        return xlsx_response(disc.export_xlsx(as_of, where), f"{name}.xlsx")
    return pdf_response(disc.export_pdf(as_of, where), f"{name}.pdf")


# --------------------------------------------------------------------------- reward veto


def read_keys(upload: Any) -> list[str]:
    """Codes or tax codes from an uploaded list: .xlsx (first column) or text/CSV (first field a line).
    Raises ``ValueError`` naming the file when it cannot be read."""
    name = upload.name
    if upload.size > MAX_UPLOAD:
        raise ValueError(_("%(name)s: the file is larger than 5 MB.") % {"name": name})
    data = upload.read()
    if name.lower().endswith(".xlsx"):
        try:
            rows = safe_rows(data)  # a DTD, a zip bomb, a broken part: refused, never a 500
        except UnsafeWorkbook as exc:
            raise ValueError(_("%(name)s: not a readable xlsx file (%(e)s)") % {"name": name, "e": exc}) from exc
        cells = [str(r[0]).strip() for r in rows if r and r[0] is not None]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(_("%(name)s: line %(n)d: not UTF-8 text") % {
                "name": name, "n": data[:exc.start].count(b"\n") + 1}) from exc
        cells = [row[0].strip() for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    return [c for c in cells if c.lower() not in ("code", "mã", "ma", "mã đơn vị", "mst", "tax_code")]


@login_required
def reward(request: HttpRequest) -> HttpResponse:
    as_of = _date(request.POST.get("as_of") or request.GET.get("as_of"), default_as_of())
    keys: list[str] = []
    error = ""
    if request.method == "POST" and request.FILES.get("file"):
        try:
            keys = read_keys(request.FILES["file"])
        except ValueError as exc:
            error = str(exc)
    elif request.GET.get("code", "").strip():
        keys = [request.GET["code"].strip()]
    answers = check_visible(request.user, keys, as_of) if keys else []
    return render(request, "web/arrears/reward.html", {
        "answers": answers, "as_of": as_of, "code": request.GET.get("code", ""), "error": error,
        "refused": sum(1 for a in answers if not a.may_confirm),
    })


# --------------------------------------------------------------------------- inspection, figures


def ranked(as_of: date, ranking: Any) -> list[Any]:
    """The province's ranking on ``as_of``, cached per close run for days inside the closed months
    (their ledger and declarations are final; 14 s on the province demo, then instant)."""
    from django.core.cache import cache

    from .dashboard import last_close

    closed = last_close()
    if closed is None or as_of > closed.month.last_day:
        return ranking(as_of)
    key = f"arrears-inspection:{closed.pk}:{closed.closed_at.isoformat()}:{as_of.isoformat()}"
    rows = cache.get(key)
    if rows is None:
        rows = ranking(as_of)
        cache.set(key, rows, timeout=24 * 3600)
    return rows


@login_required
def inspection(request: HttpRequest) -> HttpResponse:
    as_of = as_of_param(request)
    codes = set(policy.visible_units(request.user).values_list("code", flat=True))
    rows = [r for r in ranked(as_of, ranking) if r.unit in codes]
    limit = int_or(request.GET.get("limit"), 100) or 100
    return render(request, "web/arrears/inspection.html", {
        "rows": rows[:limit], "count": len(rows), "as_of": as_of, "weights": WEIGHTS,
    })


@login_required
def numbers(request: HttpRequest) -> HttpResponse:
    office = policy.kpi_office(request.user, request.GET.get("office"))
    last = _date(request.GET.get("to"), default_as_of())
    first = _date(request.GET.get("from"), date(last.year, 1, 1))
    n = enforcement_numbers(first, last, policy.scope_office_ids(request.user, office))
    order = _order()
    return render(request, "web/arrears/numbers.html", {
        "n": n, "first": first, "last": last, "office": office, "offices": policy.visible_offices(request.user),
        "by_step": sorted(n["open_cases_by_step"].items(), key=lambda kv: order.get(kv[0], 0)),
        "notices_by_step": sorted(n["notices_by_step"].items(), key=lambda kv: order.get(kv[0], 0)),
        "recovered": sorted(n["recovered_after_step"].items(), key=lambda kv: order.get(kv[0], 0)),
        "names": dict(LadderStep.objects.values_list("code", "name")),
    })
