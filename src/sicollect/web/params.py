"""Reading a page's query parameters the same way on every page (a malformed one is a 400 naming it), and the
file responses (xlsx, PDF). Shared by ``views``, ``arrears`` and ``plan_views``."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from sicollect.arrears.queries import default_as_of
from sicollect.staff import policy

PAGE_SIZE = 50


def as_of_param(request: HttpRequest) -> date:
    """``as_of`` of the query (default: the last closed month's end); a malformed one is a 400."""
    text = request.GET.get("as_of", "").strip()
    try:
        return date.fromisoformat(text) if text else default_as_of()
    except ValueError:
        raise BadRequest(_("%(field)s: expected a date YYYY-MM-DD, got %(value)r")
                         % {"field": "as_of", "value": text[:40]}) from None


def filter_int(request: HttpRequest, name: str) -> int:
    """A whole-number filter (dots and commas as thousands separators allowed); empty is 0, other text a 400."""
    text = request.GET.get(name, "").replace(".", "").replace(",", "").replace(" ", "").strip()
    if not text:
        return 0
    if not text.isdigit() or len(text) > 18:
        raise BadRequest(_("%(field)s: expected a whole number, got %(value)r")
                         % {"field": name, "value": request.GET.get(name, "")[:40]})
    return int(text)


def choice_param(request: HttpRequest, name: str, allowed: Any, default: str) -> str:
    """A filter with a fixed set of values: absent or empty is ``default``, anything else outside the set a 400."""
    value = request.GET.get(name, "").strip()
    if not value:
        return default
    if value not in allowed:
        raise BadRequest(_("%(field)s: expected one of %(allowed)s, got %(value)r")
                         % {"field": name, "allowed": ", ".join(map(str, allowed)), "value": value[:40]})
    return value


def int_or(text: str | None, default: int = 0) -> int:
    try:
        return int((text or "").replace(".", "").replace(",", "").strip() or default)
    except ValueError:
        return default


def xlsx_response(content: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def pdf_response(content: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(content, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def office_and_officer(request: HttpRequest) -> tuple[Any, str]:
    """The ``office`` (one the user sees, else 404) and ``officer`` (a user id, "none" or "") filters of a list."""
    g = request.GET
    office = None
    if g.get("office"):
        office = policy.visible_offices(request.user).filter(code=g["office"]).first()
        if office is None:
            raise Http404("no such office")
    officer = g.get("officer", "").strip()
    if officer and officer != "none" and not officer.isdigit():
        raise BadRequest(_("%(field)s: expected a user id or 'none', got %(value)r")
                         % {"field": "officer", "value": officer[:40]})
    return office, officer
