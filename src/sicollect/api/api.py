"""The HTTP API (django-ninja; OpenAPI at /api/docs).

Every request carries ``Authorization: Bearer <token>`` (``sicollect apitoken create USER``); the
token's user brings their office scope and role, applied by ``web.policy`` — the same rules as the
pages. Errors always have the body ``{"error": code, "detail": text, "fields": {field: reason}}``.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.pagination import paginate
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from sicollect.contributions.models import Channel, LedgerEntry, Payment
from sicollect.contributions.statement import interest_lines, statement
from sicollect.core import audit, domain
from sicollect.core.months import Month
from sicollect.core.privacy import mask_id
from sicollect.reports.kpi import kpi
from sicollect.web import policy
from sicollect.web.models import Role

from .models import ApiToken, digest
from .pagination import Pages


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = ApiToken.objects.select_related("user").filter(key_hash=digest(token), revoked=False).first()
        if row is None or not row.user.is_active:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        request.api_token = row  # type: ignore[attr-defined]  # the rate limit counts per token
        return row.user


class TokenRateThrottle(AuthRateThrottle):
    """``SICOLLECT_API_RATE`` requests (default 600 a minute) per token; the next answers 429.

    The count lives in ``CACHES["shared"]`` (the database cache), so every server process adds to
    the same count.
    """

    scope = "token"

    @property
    def cache(self) -> Any:  # type: ignore[override]
        return caches["shared"]

    def get_cache_key(self, request: HttpRequest) -> str:
        row = getattr(request, "api_token", None)
        if row is None:
            return super().get_cache_key(request)
        return self.cache_format % {"scope": self.scope, "ident": row.key_hash}


api = NinjaAPI(title="sicollect API", version="1", auth=TokenAuth(), urls_namespace="api",
               description=__doc__, throttle=[TokenRateThrottle(settings.SICOLLECT_API_RATE)])


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.fields = status, code, detail, fields or {}


def _error(request: HttpRequest, status: int, code: str, detail: str, fields: dict[str, str] | None = None
           ) -> HttpResponse:
    return api.create_response(request, {"error": code, "detail": detail, "fields": fields or {}}, status=status)


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.detail, exc.fields)


@api.exception_handler(ValidationError)
def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = {".".join(str(p) for p in e.get("loc", [])[1:]) or "body": e.get("msg", "invalid") for e in exc.errors}
    return _error(request, 422, "invalid", "the request has invalid fields", fields)


@api.exception_handler(AuthenticationError)
def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "send Authorization: Bearer <token>")


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "not found")


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    resp = _error(request, 429, "rate_limited", f"too many requests; retry in {int(exc.wait or 1)} s")
    resp["Retry-After"] = str(int(exc.wait or 1))
    return resp


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


EARLIEST, LATEST = date(1995, 1, 1), date(2100, 12, 31)  # the Social Insurance books start in 1995


def _in_range(d: date, field: str) -> date:
    if not EARLIEST <= d <= LATEST:
        raise ApiError(422, "invalid", "the request has invalid fields",
                       {field: f"must be between {EARLIEST} and {LATEST}"})
    return d


def _month(text: str, field: str) -> Month:
    try:
        month = Month.parse(text)
    except ValueError as exc:
        raise ApiError(422, "invalid", "the request has invalid fields", {field: str(exc)}) from exc
    _in_range(month.first_day, field)
    return month


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
from .records import router as records_router  # noqa: E402  (the router needs ApiError above)

api.add_router("", records_router)


# --------------------------------------------------------------------------- arrears (own module)
from .arrears import (
    router as arrears_router,  # noqa: E402  (the router module imports ApiError lazily)
)

api.add_router("/arrears", arrears_router)
