"""Vietnamese first: the browser's Accept-Language header does not choose the language.

Officers' browsers often run in English; the app still opens in Vietnamese
(``LANGUAGE_CODE``) until the user picks English in the header, which Django keeps
in the language cookie. Sits just before ``LocaleMiddleware``.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


class VietnameseFirstMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RefuseNulMiddleware:
    """A NUL character in the path, the query string or a field of a form or JSON body is refused before any
    view, naming the parameter or field: a 400 page, or under ``/api/`` the API's 422 error body. No field of
    sicollect may hold one (``core.domain``), and PostgreSQL cannot even compare a text with one: a
    declaration whose ``unit`` form field held one was a 500 there (found by schemathesis). The files of an
    upload (multipart) are left to the importers, which read them as files; its other fields are checked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = self.nul_in(request)
        if where:
            detail = f"{where}: a NUL character (0x00) is not allowed"
            if request.path.startswith("/api/"):
                return JsonResponse({"error": "invalid", "detail": detail,
                                     "fields": {where: "a NUL character (0x00) is not allowed"}}, status=422)
            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def nul_in(request: HttpRequest) -> str:
        """Where the first NUL is: ``path``, a query parameter's or a field's name; "" when none."""
        if "\x00" in request.path:
            return "path"
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name.replace("\x00", "") or "query"
        if request.method not in ("POST", "PUT", "PATCH"):
            return ""
        if request.content_type == "application/json":
            try:
                return _nul_field(json.loads(request.body or b"null"))
            except ValueError:
                return ""  # not JSON: the view says so
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, values in request.POST.lists():  # the form's fields; the files stay the importers'
                if "\x00" in name or any("\x00" in v for v in values):
                    return name.replace("\x00", "") or "body"
        return ""


def _nul_field(value: Any, path: str = "") -> str:
    """The dotted path of the first string holding a NUL in a parsed JSON value ("" when none)."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else ""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here.replace("\x00", "") or "body"
            found = _nul_field(item, here)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_field(item, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return ""
