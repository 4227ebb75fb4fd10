"""What every route module of the API shares: the ``NinjaAPI`` object with its token auth and rate
limit, the error body (``{"error": code, "detail": text, "fields": {field: reason}}``) and its
handlers, and the date and month checks of the inputs.

:mod:`api` (the unit, person, KPI and payment routes), :mod:`records` and :mod:`arrears` import it;
it imports none of them.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from sicollect.core.months import Month

from .models import ApiToken, digest

DESCRIPTION = """The HTTP API (django-ninja; OpenAPI at /api/docs).

Every request carries ``Authorization: Bearer <token>`` (``sicollect apitoken create USER``); the
token's user brings their office scope and role, applied by ``staff.policy`` — the same rules as the
pages. Errors always have the body ``{"error": code, "detail": text, "fields": {field: reason}}``.
"""


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
               description=DESCRIPTION, throttle=[TokenRateThrottle(settings.SICOLLECT_API_RATE)])


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
