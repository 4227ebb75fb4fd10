"""The tax authority's enterprise list in the web app (``exchange.taxsync``): the unit-status proposals
waiting for a decision, confirm (sets the unit's status) or reject (with a note), and the upload of a
new list. The same functions as ``sicollect taxsync import|confirm|reject``, each atomic and audited.
Who may: the list page, anyone with a profile (proposals of the units they see); confirm and reject,
managers (:func:`policy.can_decide_unit_status`), another office's proposal is a 404; the upload, the
province manager (:func:`policy.can_import_tax_list`: the list covers the whole province).
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sicollect.core import domain
from sicollect.exchange.models import BatchKind, ImportBatch, ProposalStatus, UnitStatusProposal
from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.taxsync import ProposalError, do_confirm_proposal, do_import_tax_list, do_reject_proposal
from sicollect.staff import policy

from .uploads import UploadError, saved_upload


def _proposals(request: HttpRequest):  # type: ignore[no-untyped-def]
    return (UnitStatusProposal.objects.filter(policy.unit_filter(request.user, "unit__"))
            .select_related("unit", "unit__office", "enterprise", "enterprise__batch"))


def _page(request: HttpRequest, errors: list[str] | None = None) -> HttpResponse:
    if policy.access(request.user).nothing:
        raise Http404("no access")
    proposals = _proposals(request)
    return render(request, "web/taxsync.html", {
        "open": proposals.filter(status=ProposalStatus.OPEN).order_by("unit__office__code", "unit__code"),
        "decided": proposals.exclude(status=ProposalStatus.OPEN).order_by("-decided_at", "-id")[:20],
        "lists": ImportBatch.objects.filter(kind=BatchKind.TAX).order_by("-id")[:5]
        if policy.can_import_tax_list(request.user) else [],
        "can_decide": policy.can_decide_unit_status(request.user),
        "can_import": policy.can_import_tax_list(request.user), "errors": errors or [],
    }, status=400 if errors else 200)


@login_required
def taxsync(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def taxsync_upload(request: HttpRequest) -> HttpResponse:
    if not policy.can_import_tax_list(request.user):
        return HttpResponseForbidden(_("Only the province manager imports the tax list."))
    try:
        with saved_upload(request.FILES.get("file")) as path:
            result = do_import_tax_list(path, request.user.get_username())
    except UploadError as exc:
        return _page(request, [str(exc)])
    except ImportErrors as exc:
        return _page(request, [str(e) for e in exc.errors])
    messages.success(request, _("%(file)s: list #%(list)d, %(n)d enterprises, %(p)d unit status proposals, "
                                "%(s)d older proposals superseded.")
                     % {"file": path.name, "list": result.batch.pk, "n": result.enterprises,
                        "p": result.proposals, "s": result.superseded})
    return redirect("web:taxsync")


@login_required
@require_POST
def taxsync_decide(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    if verb not in ("confirm", "reject"):
        raise Http404("no such action")
    if not policy.can_decide_unit_status(request.user):
        return HttpResponseForbidden(_("You may not decide unit status proposals."))
    proposal = _proposals(request).filter(pk=pk).first()
    if proposal is None:
        raise Http404("no such proposal")
    try:
        try:  # core.domain: one line of at most 300 characters
            note = domain.text(request.POST.get("note", ""), max_length=300, required=False)
        except domain.DomainError as exc:
            raise ProposalError(f"note: {exc}") from None
        actor = request.user.get_username()
        if verb == "confirm":
            do_confirm_proposal(pk, actor, note)
            messages.success(request, _("%(unit)s is now %(status)s.")
                             % {"unit": proposal.unit.code, "status": proposal.get_to_status_display()})
        else:
            if not note:
                raise ProposalError(_("note: say why the proposal is rejected"))
            do_reject_proposal(pk, actor, note)
            messages.success(request, _("Proposal for %(unit)s rejected; the unit stays %(status)s.")
                             % {"unit": proposal.unit.code, "status": proposal.unit.get_status_display()})
    except ProposalError as exc:
        return _page(request, [str(exc)])
    return redirect("web:taxsync")
