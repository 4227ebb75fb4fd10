"""A second factor for managers: TOTP codes (django-otp), optional or, with
``SICOLLECT_OTP_REQUIRED_FOR_MANAGERS=1``, mandatory.

* A manager (province or grassroots manager, or a superuser) enrols an authenticator app on
  ``/account/otp/``: a QR code (an SVG image as ``data:`` URL, no script) and the secret in base32,
  confirmed by one code. Officers and viewers have no such page and are never asked for a code.
* Once a user has a confirmed device, the password alone is not enough: the login sends them to
  ``/login/code/`` and :class:`ManagerOTPMiddleware` sends every other page there until the session is
  verified (django-otp's ``OTPMiddleware`` keeps the verified device in the session).
* With the setting on, a manager without a device is sent to the enrolment page, whatever they open.
* Enrolment, removal and each wrong code write an ``AuditEvent`` (``otp_enrol``, ``otp_remove``,
  ``otp_failed``). Wrong codes also slow down: django-otp refuses to check a code for 1, 2, 4, 8 …
  seconds after successive failures.

The API (bearer tokens) is not concerned: a token stands for its user without a session.
"""
from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from sicollect.core import audit
from sicollect.staff import policy
from sicollect.staff.models import Role

MANAGER_ROLES = (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER)
HAS_DEVICE_KEY = "sicollect_otp_has_device"
# pages an unverified user with a device may still open (the code page, leaving, the language)
_PENDING_OPEN = {"web:otp_verify", "web:logout", "set_language"}
# pages a manager who must enrol may still open
_ENROL_OPEN = _PENDING_OPEN | {"web:otp_setup"}


def is_manager(user: Any) -> bool:
    return policy.access(user).role in MANAGER_ROLES


def otp_required(user: Any) -> bool:
    """Whether the user must have a device (the setting on, and a manager)."""
    return bool(getattr(settings, "SICOLLECT_OTP_REQUIRED_FOR_MANAGERS", False)) and is_manager(user)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _source(request: HttpRequest) -> str:
    return f"web: {request.method} {request.path} from {request.META.get('REMOTE_ADDR', '?')}"


def _record(action: str, request: HttpRequest, **detail: Any) -> None:
    name = request.user.get_username()
    audit.record(action, name, "user", name, source=_source(request), **detail)


# --------------------------------------------------------------------------- the gate


class ManagerOTPMiddleware:
    """After ``OTPMiddleware``: a user with a confirmed device whose session is not verified reaches
    only the code page; with the setting on, a manager without a device only the enrolment page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        request.sicollect_otp_pending = False  # type: ignore[attr-defined]
        user = request.user
        match = request.resolver_match
        if not user.is_authenticated or match is None or match.namespace == "api":
            return None  # the API authenticates each request by its bearer token
        if user.is_verified():
            return None
        if has_device(request):
            request.sicollect_otp_pending = True  # type: ignore[attr-defined]
            if match.view_name not in _PENDING_OPEN:
                return redirect(_with_next("web:otp_verify", request.get_full_path()))
        elif otp_required(user) and match.view_name not in _ENROL_OPEN:
            messages.info(request, _("Managers must set up two-step login before going on."))
            return redirect(_with_next("web:otp_setup", request.get_full_path()))
        return None


def has_device(request: HttpRequest) -> bool:
    """Whether the logged-in user has a confirmed device: looked up at each login and kept in the
    session (server-side; no query per page); enrolment and removal update it. A device a superuser
    adds in the admin counts from the user's next login."""
    known = request.session.get(HAS_DEVICE_KEY)
    if known is None:
        known = user_has_device(request.user, confirmed=True)
        request.session[HAS_DEVICE_KEY] = known
    return bool(known)


@receiver(user_logged_in)
def _look_for_a_device_on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[HAS_DEVICE_KEY] = user_has_device(user, confirmed=True)


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context: whether the header shows the two-step login link, and whether the session
    still waits for its code (then the header shows no navigation)."""
    pending = getattr(request, "sicollect_otp_pending", False)
    user = getattr(request, "user", None)
    return {"otp_pending": pending,
            "otp_enrolable": lambda: bool(user is not None and user.is_authenticated and is_manager(user))}


# --------------------------------------------------------------------------- pages


class LoginView(auth_views.LoginView):
    """Django's login; a user with a confirmed device goes on to the code page, not in."""

    template_name = "web/login.html"

    def get_success_url(self) -> str:
        """The ``next`` the login was asked for, else the user's home: an officer's is "my work"."""
        from .mywork import home_for

        url = self.get_redirect_url()
        return url or home_for(self.request.user)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if user_has_device(self.request.user, confirmed=True):
            return redirect(_with_next("web:otp_verify", self.get_success_url()))
        return response


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of the login: the 6-digit code of the user's authenticator app."""
    target = _next(request)
    device = confirmed_device(request.user)
    if device is None:  # removed meanwhile (by a superuser in the admin): nothing to ask
        request.session[HAS_DEVICE_KEY] = False
        return redirect(target)
    if request.user.is_verified():
        return redirect(target)
    error = ""
    if request.method == "POST":
        code = "".join(request.POST.get("code", "").split())
        allowed, info = device.verify_is_allowed()
        if not allowed:
            wait = max(1, int(((info or {}).get("locked_until", timezone.now()) - timezone.now()).total_seconds()) + 1)
            _record("otp_failed", request, stage="login", reason="throttled")
            error = _("Too many wrong codes: wait %(n)d seconds and try again.") % {"n": wait}
        else:
            verified = verify_token(request.user, device.persistent_id, code)
            if verified is not None:
                otp_login(request, verified)
                request.session.cycle_key()  # a new session id for the verified session
                return redirect(target)
            _record("otp_failed", request, stage="login", reason="wrong code")
            error = _("Wrong code. Type the 6 digits your authenticator app shows now.")
    return render(request, "web/otp_verify.html", {"error": error, "next": target}, status=400 if error else 200)


def _qr_data_uri(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)


def _secret(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (managers only): QR code and secret, confirmed by one code. With a
    confirmed device: when it was set up and last used, and a form to remove it."""
    if not is_manager(request.user):
        raise Http404("two-step login is for managers")
    confirmed = confirmed_device(request.user)
    if confirmed is not None:
        return render(request, "web/otp_setup.html", {"device": confirmed, "required": otp_required(request.user)})
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="sicollect", confirmed=False)
    error = ""
    if request.method == "POST":
        code = "".join(request.POST.get("code", "").split())
        with transaction.atomic():
            if device.verify_token(code):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
                _record("otp_enrol", request, before=None, after={"device": device.persistent_id, "name": device.name})
                otp_login(request, device)
                request.session[HAS_DEVICE_KEY] = True
                request.session.cycle_key()
                messages.success(request, _("Two-step login is on: from now on you log in with your password "
                                            "and a code."))
                return redirect(_next(request))
        _record("otp_failed", request, stage="enrol", reason="wrong code")
        error = _("Wrong code. Type the 6 digits your authenticator app shows now.")
    return render(request, "web/otp_setup.html", {
        "device": None, "qr": _qr_data_uri(device), "secret": _secret(device), "error": error,
        "next": _next(request), "required": otp_required(request.user)}, status=400 if error else 200)


@login_required
@require_POST
def otp_remove(request: HttpRequest) -> HttpResponse:
    """Remove the user's device; the current code is asked again (a stolen open session is not enough)."""
    if not is_manager(request.user):
        raise Http404("two-step login is for managers")
    device = confirmed_device(request.user)
    if device is None:
        return redirect("web:otp_setup")
    code = "".join(request.POST.get("code", "").split())
    if verify_token(request.user, device.persistent_id, code) is None:
        _record("otp_failed", request, stage="remove", reason="wrong code")
        messages.error(request, _("Wrong code: two-step login stays on."))
        return redirect("web:otp_setup")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).delete()
        _record("otp_remove", request, before={"device": device.persistent_id, "name": device.name}, after=None)
    request.session[HAS_DEVICE_KEY] = False
    messages.success(request, _("Two-step login is off."))
    return redirect("web:otp_setup")
