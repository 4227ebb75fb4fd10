"""Vietnamese first: the browser's Accept-Language header does not choose the language.

Officers' browsers often run in English; the app still opens in Vietnamese
(``LANGUAGE_CODE``) until the user picks English in the header, which Django keeps
in the language cookie. Sits just before ``LocaleMiddleware``.
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class VietnameseFirstMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
