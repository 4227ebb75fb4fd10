"""The arrears routes of the API (mounted at ``/api/arrears``): cases, the worklist of proposed
ladder steps, the reward check, and confirming proposed steps.

Scope and roles as on the pages (``staff.policy``): a case of a unit the token's user may not see is
a 404 and absent from lists. Confirming goes through ``arrears.ladder.do_confirm_steps``, the same
action as ``sicollect arrears confirm`` and the web worklist, which writes one ``AuditEvent`` per
confirmed step.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from sicollect.api.pagination import MAX_DONG, MAX_ID, DbId, Pages
from sicollect.arrears.delivery import deliveries_of
from sicollect.arrears.followups import Entry, FollowUpError, do_log_followup
from sicollect.arrears.ladder import do_confirm_steps, top_step_code
from sicollect.arrears.models import CaseStep, FollowUp, Notice, PromiseStatus, StepStatus
from sicollect.arrears.queries import (
    CaseFilters,
    case_of,
    check_visible,
    default_as_of,
    filtered_cases,
    visible_cases,
)
from sicollect.core import domain
from sicollect.staff import policy

from .common import ApiError

router = Router(tags=["arrears"])


class CaseOut(Schema):
    id: int
    unit: str
    name: str
    office: str
    officer: str | None
    opened_on: date
    closed_on: date | None
    close_reason: str
    as_of: date
    late_amount: int
    outstanding: int
    months_late: int
    days_late: int
    debt_class: str
    step_reached: str | None

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_office(obj: Any) -> str:
        return obj.unit.office.code

    @staticmethod
    def resolve_officer(obj: Any) -> str | None:
        who = obj.officer or obj.unit.officer
        return who.username if who else None

    @staticmethod
    def resolve_step_reached(obj: Any) -> str | None:
        return getattr(obj, "top", None)


class StepOut(Schema):
    id: int
    case: int
    unit: str
    step: str
    step_name: str
    status: str
    proposed_on: date
    confirmed_on: date | None
    confirmed_by: str
    late_amount: int
    months_late: int
    notice: str | None = None

    @staticmethod
    def resolve_case(obj: Any) -> int:
        return obj.case_id

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.case.unit.code

    @staticmethod
    def resolve_step(obj: Any) -> str:
        return obj.step.code

    @staticmethod
    def resolve_step_name(obj: Any) -> str:
        return obj.step.name

    @staticmethod
    def resolve_notice(obj: Any) -> str | None:
        return getattr(obj, "notice_number", None)


class CaseDetailOut(CaseOut):
    steps: list[StepOut]
    notices: list[dict[str, Any]]
    commitments: list[dict[str, Any]]

    @staticmethod
    def resolve_steps(obj: Any) -> list[Any]:
        return obj.step_rows

    @staticmethod
    def resolve_notices(obj: Any) -> list[dict[str, Any]]:
        return obj.notice_rows

    @staticmethod
    def resolve_commitments(obj: Any) -> list[dict[str, Any]]:
        return [{"signed_on": m.signed_on, "status": m.status, "ended_on": m.ended_on, "schedule": m.schedule}
                for m in obj.commitments.order_by("signed_on", "id")]


class RewardOut(Schema):
    unit: str
    may_confirm: bool
    reason: str
    as_of: date


class RewardIn(Schema):
    keys: list[str]
    as_of: date | None = None


class ConfirmIn(Schema):
    ids: list[DbId] = Field(..., max_length=10_000)
    on: date | None = None


class ConfirmOut(Schema):
    confirmed: int
    notices: int
    disclosures: int
    confirmed_ids: list[int]
    skipped: list[str]


@router.get("/cases", response=list[CaseOut])
@paginate(Pages)
def list_cases(request: HttpRequest, step: str = "", proposed: str = "", office: str = "", officer: str = "",
               min_months: int = Query(0, ge=0, le=1200), min_amount: int = Query(0, ge=0, le=MAX_DONG), q: str = "") -> Any:
    """Open cases the user sees, largest late amount first; filters as on the web worklist
    (``step``: highest confirmed step code or ``none``; ``proposed``: a proposed step code or ``any``)."""
    o = None
    if office:
        o = policy.visible_offices(request.user).filter(code=office).first()
        if o is None:
            raise Http404(f"no office {office!r}")
    if officer and officer != "none" and not officer.isdigit():
        raise ApiError(422, "invalid", "the request has invalid fields", {"officer": "a user id or 'none'"})
    return filtered_cases(request.user, CaseFilters(step=step, proposed=proposed, office=o, officer=officer,
                                                    min_months=min_months, min_amount=min_amount, q=q))


@router.get("/cases/{code}", response=CaseDetailOut)
def get_case(request: HttpRequest, code: str, case: int | None = Query(None, ge=1, le=MAX_ID)) -> Any:
    """The unit's open case (else its last one; ``case`` picks another), its steps, notices (each with
    its deliveries: channel, masked address, status), commitments."""
    c = case_of(request.user, code, str(case) if case else None)
    c.top = (visible_cases(request.user).filter(pk=c.pk).annotate(top=top_step_code())
             .values_list("top", flat=True).first())
    steps = list(c.steps.select_related("step", "case__unit").order_by("step__order", "id"))
    notices = {n.case_step_id: n for n in Notice.objects.filter(case_step__case=c)}
    for s in steps:
        n = notices.get(s.pk)
        s.notice_number = n.number if n else None
    c.step_rows = steps
    sent = deliveries_of(notices.values())  # newest first; the address masked (core.privacy)
    c.notice_rows = [{"number": n.number, "issued_on": n.issued_on, "period": n.period, "total": n.total,
                      "pay_by": n.pay_by, "transfer_message": n.transfer_message,
                      "pdf": f"/arrears/notices/{n.pk}.pdf",
                      "deliveries": [{"channel": d.channel, "address": d.address_masked, "status": d.status,
                                      "at": d.at, "detail": d.detail} for d in sent.get(n.pk, [])]}
                     for n in notices.values()]
    return c


@router.get("/worklist", response=list[StepOut])
@paginate(Pages)
def list_proposals(request: HttpRequest, step: str = "", office: str = "") -> Any:
    """Proposed steps of open cases the user sees, waiting for an officer's confirmation."""
    qs = (CaseStep.objects.filter(status=StepStatus.PROPOSED, case__closed_on__isnull=True,
                                  case__in=visible_cases(request.user))
          .select_related("case__unit", "step").order_by("step__order", "case__unit__code", "id"))
    if step:
        qs = qs.filter(step__code=step)
    if office:
        o = policy.visible_offices(request.user).filter(code=office).first()
        if o is None:
            raise Http404(f"no office {office!r}")
        qs = qs.filter(case__unit__office_id__in=policy.scope_office_ids(request.user, o))
    return qs


@router.get("/reward/{key}", response=RewardOut)
def check_reward(request: HttpRequest, key: str, as_of: date | None = None) -> Any:
    """May the unit (code or tax code) be confirmed for rewards? A unit the user cannot see is a 404."""
    day = as_of or default_as_of()
    units = policy.visible_units(request.user)
    if not (units.filter(code=key).exists() or units.filter(tax_code=key).exists()):
        raise Http404(f"no unit {key!r}")
    a = check_visible(request.user, [key], day)[0]
    return {"unit": a.unit, "may_confirm": a.may_confirm, "reason": a.reason, "as_of": day}


@router.post("/reward", response=list[RewardOut])
def check_reward_batch(request: HttpRequest, body: RewardIn) -> Any:
    """The reward check of a list; keys the user cannot see answer ``không tìm thấy đơn vị``."""
    keys = [k.strip() for k in body.keys if k.strip()]
    if not keys or len(keys) > 5000:
        raise ApiError(422, "invalid", "the request has invalid fields", {"keys": "1 to 5000 codes"})

    try:  # core.domain: a unit code or tax code is at most 20 characters, no control characters
        keys = [domain.text(k, max_length=20) for k in keys]
    except domain.DomainError as exc:
        raise ApiError(422, "invalid", "the request has invalid fields", {"keys": str(exc)}) from None
    day = body.as_of or default_as_of()
    return [{"unit": a.unit, "may_confirm": a.may_confirm, "reason": a.reason, "as_of": day}
            for a in check_visible(request.user, keys, day)]


@router.post("/steps/confirm", response=ConfirmOut)
def confirm_steps(request: HttpRequest, body: ConfirmIn) -> Any:
    """Confirm proposed steps (ids from ``/worklist``); document steps issue their notice. Steps of
    cases the user cannot see are a 404; already confirmed ones are skipped with the reason. One
    audit row per confirmed step."""
    if not policy.can_confirm_steps(request.user):
        raise ApiError(403, "forbidden", "viewers cannot confirm steps")
    if not body.ids:
        raise ApiError(422, "invalid", "the request has invalid fields", {"ids": "at least one step id"})
    seen = set(CaseStep.objects.filter(pk__in=body.ids, case__in=visible_cases(request.user))
               .values_list("pk", flat=True))
    missing = [i for i in body.ids if i not in seen]
    if missing:
        raise Http404(f"no such step: {', '.join(map(str, missing))}")
    from django.utils import timezone

    s = do_confirm_steps(body.ids, request.user, f"API {request.method} {request.path}", body.on or timezone.localdate())
    return s.as_dict()


# --------------------------------------------------------------------------- the follow-up log


class FollowUpIn(Schema):
    unit: str = Field(..., max_length=20)
    kind: str = Field(..., description="call | visit | letter | email")
    contacted_on: date
    outcome: str = Field(..., description="reached | promised | no_answer | refused | wrong_contact")
    contact_name: str = Field("", max_length=200)
    note: str = Field("", max_length=4000)
    promise_amount: int | None = Field(None, ge=1, le=MAX_DONG)
    promise_date: date | None = None
    next_action: str = Field("", max_length=200)
    next_action_on: date | None = None


class FollowUpOut(Schema):
    id: int
    unit: str
    case: int | None
    kind: str
    contacted_on: date
    officer: str
    contact_name: str
    outcome: str
    note: str
    promise_amount: int | None
    promise_date: date | None
    promise_status: str
    promise_paid: int | None
    promise_checked_on: date | None
    next_action: str
    next_action_on: date | None
    action_closed_on: date | None

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_case(obj: Any) -> int | None:
        return obj.case_id

    @staticmethod
    def resolve_officer(obj: Any) -> str:
        return obj.actor


@router.get("/followups", response=list[FollowUpOut])
@paginate(Pages)
def list_followups(request: HttpRequest, unit: str = "", promise_status: str = "", open_actions: bool = False) -> Any:
    """The follow-up log of the units the user sees, newest first; ``unit`` (a code; one the user
    cannot see is a 404), ``promise_status`` (pending | kept | broken), ``open_actions`` (only
    entries whose next action is still open)."""
    qs = FollowUp.objects.filter(policy.unit_filter(request.user, "unit__")).select_related("unit")
    if unit:
        qs = qs.filter(unit=policy.unit_or_404(request.user, unit))
    if promise_status:
        if promise_status not in PromiseStatus.values or not promise_status:
            raise ApiError(422, "invalid", "the request has invalid fields",
                           {"promise_status": "pending, kept or broken"})
        qs = qs.filter(promise_status=promise_status)
    if open_actions:
        qs = qs.filter(action_closed_on__isnull=True, next_action_on__isnull=False)
    return qs.order_by("-contacted_on", "-id")


@router.post("/followups", response={201: FollowUpOut})
def log_followup(request: HttpRequest, body: FollowUpIn) -> Any:
    """Log a contact with a unit (call, visit, letter, e-mail), optionally a promise to pay and the
    next action; the same audited action as the web form. 422 names every bad field, nothing saved."""
    if not policy.can_confirm_steps(request.user):
        raise ApiError(403, "forbidden", "viewers cannot log contacts")
    u = policy.unit_or_404(request.user, body.unit)
    e = Entry(kind=body.kind, contacted_on=body.contacted_on, outcome=body.outcome, contact_name=body.contact_name,
              note=body.note, promise_amount=body.promise_amount, promise_date=body.promise_date,
              next_action=body.next_action, next_action_on=body.next_action_on)
    try:
        fu = do_log_followup(u, request.user, e, f"API {request.method} {request.path}")
    except FollowUpError as exc:
        raise ApiError(422, "invalid", "the request has invalid fields", exc.fields) from exc
    return Status(201, fu)
