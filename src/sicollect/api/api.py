"""The HTTP API (django-ninja; OpenAPI at /api/docs).

Every request carries ``Authorization: Bearer <token>`` (``sicollect apitoken create USER``); the
token's user brings their office scope and role, applied by ``staff.policy`` — the same rules as the
pages. Errors always have the body ``{"error": code, "detail": text, "fields": {field: reason}}``.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Schema, Status
from ninja.pagination import paginate

from sicollect.contributions.models import Channel, LedgerEntry, Payment
from sicollect.contributions.statement import interest_lines, statement
from sicollect.core import audit, domain
from sicollect.core.privacy import mask_id
from sicollect.reports.kpi import kpi
from sicollect.staff import policy
from sicollect.staff.models import Role

from .arrears import router as arrears_router
from .common import (  # noqa: F401  (TokenAuth, TokenRateThrottle: named here as before, for urls and tests)
    ApiError,
    TokenAuth,
    TokenRateThrottle,
    _in_range,
    _month,
    api,
)
from .pagination import Pages
from .records import router as records_router


# --------------------------------------------------------------------------- schemas
class UnitOut(Schema):
    code: str
    name: str
    tax_code: str
    office: str
    status: str
    region: int
    payment_cycle: int

    @staticmethod
    def resolve_office(obj: Any) -> str:
        return obj["office"] if isinstance(obj, dict) else obj.office.code


def _unit_out(u: Any) -> dict[str, Any]:
    return {"code": u.code, "name": u.name, "tax_code": u.tax_code, "office": u.office.code, "status": u.status,
            "region": u.region, "payment_cycle": u.payment_cycle}


class LedgerOut(Schema):
    period: str
    posted_on: date
    kind: str
    fund: str
    target: str
    month: str | None
    amount: int
    source: str

    @staticmethod
    def resolve_period(obj: Any) -> str:
        return str(obj.period)

    @staticmethod
    def resolve_month(obj: Any) -> str | None:
        return str(obj.month) if obj.month else None


class PersonOut(Schema):
    si_code: str
    full_name: str
    national_id: str
    birth_date: date | None
    sex: str


class PaymentIn(Schema):
    """Lengths are the model's (contributions.Payment): a longer value is a 422 naming the field."""

    payment_id: str = Field(..., max_length=64)
    unit: str = Field(..., max_length=20)
    paid_on: date
    amount: int
    reference: str = Field("", max_length=300)


class PaymentOut(Schema):
    payment_id: str
    unit: str
    paid_on: date
    amount: int
    reference: str
    created: bool


# --------------------------------------------------------------------------- read
@api.get("/units", response=list[UnitOut], tags=["units"])
@paginate(Pages)
def list_units(request: HttpRequest, q: str = "", office: str = "", status: str = "") -> Any:
    """Units the token's user may see; ``q`` matches code, name or tax code; ``office`` (an office
    code: that office and the offices under it) and ``status`` narrow the list."""
    from django.db.models import Q

    qs = policy.visible_units(request.user).select_related("office").order_by("code")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(tax_code__icontains=q))
    if office:
        root = policy.kpi_office(request.user, office)
        qs = qs.filter(office_id__in=policy._descendants(root)) if root is not None else qs
    if status:
        qs = qs.filter(status=status)
    return qs  # paginated in the database


@api.get("/units/{code}", response=UnitOut, tags=["units"])
def get_unit(request: HttpRequest, code: str) -> Any:
    return _unit_out(policy.unit_or_404(request.user, code))


@api.get("/units/{code}/statement", tags=["units"])
def get_statement(request: HttpRequest, code: str, period: str) -> Any:
    """The C12-TS figures of a month, per fund, in đồng, with the lines behind its interest charges (fund,
    contribution month, late principal, rate, regime, days, amount); ``provisional`` for a month not closed yet."""
    unit = policy.unit_or_404(request.user, code)
    month = _month(period, "period")
    return {**statement(unit, month), "interest_lines": interest_lines(unit, month)}


@api.get("/units/{code}/ledger", response=list[LedgerOut], tags=["units"])
@paginate(Pages)
def get_ledger(request: HttpRequest, code: str, first: str = "", last: str = "", kind: str = "",
               fund: str = "") -> Any:
    """Ledger rows of the unit, oldest first; ``first``/``last`` bound the statement months (YYYY-MM);
    ``kind`` (due, payment, interest, …) and ``fund`` (SI, HI, UI, OADI) narrow them."""
    unit = policy.unit_or_404(request.user, code)
    qs = LedgerEntry.objects.filter(unit=unit).order_by("period", "posted_on", "id")
    if first:
        qs = qs.filter(period__gte=_month(first, "first"))
    if last:
        qs = qs.filter(period__lte=_month(last, "last"))
    if kind:
        qs = qs.filter(kind=kind)
    if fund:
        qs = qs.filter(fund=fund)
    return qs


@api.get("/persons/{si_code}", response=PersonOut, tags=["persons"])
def get_person(request: HttpRequest, si_code: str) -> Any:
    """A person; the national ID is masked unless the user's role may see it."""
    person = policy.person_or_404(request.user, si_code)
    shown = person.national_id if policy.can_see_national_id(request.user) else mask_id(person.national_id)
    return {"si_code": person.si_code, "full_name": person.full_name, "national_id": shown,
            "birth_date": person.birth_date, "sex": person.sex}


@api.get("/kpi", tags=["reports"])
def get_kpi(request: HttpRequest, as_of: date, office: str = "") -> Any:
    """The KPI report (the JSON of ``sicollect report kpi``) for the user's office or one under it."""
    return kpi(_in_range(as_of, "as_of"), policy.kpi_office(request.user, office or None))


# --------------------------------------------------------------------------- write
@api.post("/payments", response={200: PaymentOut, 201: PaymentOut}, tags=["payments"])
def post_payment(request: HttpRequest, body: PaymentIn) -> Any:
    """Record a payment (a counter receipt, a bank credit). Idempotent by ``payment_id`` within the unit's
    office (payment ids are unique per office): the same payment again answers 200 and changes nothing;
    another payment of that office under that id is a 409. Another office's ids are neither seen nor told."""
    if policy.access(request.user).role == Role.VIEWER:
        raise ApiError(403, "forbidden", "viewers cannot record payments")
    fields = {}
    checks: dict[str, Any] = {  # the input domain (core.domain), as every other door checks it
        "payment_id": lambda: domain.model_text(Payment, "payment_id", body.payment_id),
        "unit": lambda: domain.text(body.unit, max_length=20),
        "reference": lambda: domain.model_text(Payment, "reference", body.reference, required=False),
        "amount": lambda: domain.amount(body.amount),
        "paid_on": lambda: domain.money_date(body.paid_on),
    }
    clean: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            clean[name] = check()
        except domain.DomainError as exc:
            fields[name] = str(exc)
    if body.paid_on > timezone.localdate() and "paid_on" not in fields:
        fields["paid_on"] = "is in the future"
    if fields:
        raise ApiError(422, "invalid", "the request has invalid fields", fields)
    body.payment_id, body.reference = clean["payment_id"], clean["reference"]
    unit = policy.unit_or_404(request.user, clean["unit"])
    out = {"payment_id": body.payment_id, "unit": unit.code, "paid_on": body.paid_on, "amount": body.amount,
           "reference": body.reference}
    existing = Payment.objects.filter(office_id=unit.office_id, payment_id=body.payment_id).first()
    if existing is not None:
        same = (existing.unit_id, existing.paid_on, existing.amount) == (unit.pk, body.paid_on, body.amount)
        if not same:
            raise ApiError(409, "conflict", f"payment {body.payment_id!r} exists with other figures")
        return Status(200, {**out, "reference": existing.reference, "created": False})
    try:
        with transaction.atomic():
            Payment.objects.create(payment_id=body.payment_id, unit=unit, office_id=unit.office_id,
                                   paid_on=body.paid_on, amount=body.amount,
                                   reference=body.reference, channel=Channel.COUNTER,
                                   source=f"api:{request.user.get_username()}")
            audit.record("record_payment", request.user.get_username(), "payment", body.payment_id,
                         unit_code=unit.code, before=None, after={**out, "paid_on": body.paid_on.isoformat()},
                         source=f"API {request.method} {request.path}")
    except IntegrityError as exc:
        raise ApiError(409, "conflict", f"payment {body.payment_id!r} was recorded meanwhile") from exc
    return Status(201, {**out, "created": True})


# --------------------------------------------------------------------------- persons list, audit, declarations
api.add_router("", records_router)

# --------------------------------------------------------------------------- arrears (own module)
api.add_router("/arrears", arrears_router)
