"""Two-step login (TOTP, django-otp) for managers: enrolment, the code after the password, the gate on
every page, the mandatory setting, removal, and the audit rows of each.

Codes are computed as an authenticator app would, with ``django_otp.oath.totp`` from the device's key.
A code is accepted once per 30-second step (no replay), so a test that needs a second code right after
the first takes the next step's (``drift=1``, within the device's tolerance of one step).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sicollect.core.models import AuditEvent

from .helpers import PASSWORD

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice, drift: int = 0) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def wrong(device: TOTPDevice) -> str:
    right = {code(device, d) for d in (-1, 0, 1, 2)}
    return next(c for c in ("123456", "654321", "000000", "999999") if c not in right)


def wait_out_throttle(device: TOTPDevice) -> None:
    """After a wrong code django-otp refuses the next for 1, 2, 4 … s: let that time pass."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=10))


def password_login(username: str) -> tuple[Client, Any]:
    c = Client()
    return c, c.post("/login/", {"username": username, "password": PASSWORD})


def enrol(c: Client, user: Any) -> TOTPDevice:
    page = c.get("/account/otp/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert c.post("/account/otp/", {"code": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def events(action: str) -> list[tuple[str, str]]:
    return [(e.actor, e.detail.get("stage", "")) for e in AuditEvent.objects.filter(action=action).order_by("id")]


def test_a_manager_enrols_then_logs_in_with_password_and_code(qn: dict[str, Any]) -> None:
    """hl_mgr opens the enrolment page (QR code as an SVG data: URL, the secret in base32 groups),
    types a wrong code (refused, audited), then the right one: the device is confirmed and audited.
    After logging out, the password alone leads to the code page, every page sends back there, a
    wrong code is refused (and audited), the right one opens the dashboard; the same code again, in a
    new login, is refused (no replay)."""
    user = qn["users"]["hl_mgr"]
    c, r = password_login("hl_mgr")
    assert r.status_code == 302 and r["Location"] == "/"  # no device yet: in at once
    page = c.get("/account/otp/").content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert 'src="data:image/svg+xml' in page and "<script>" not in page
    secret = page.split('id="otp-secret">')[1].split("<")[0]
    from base64 import b32encode
    assert secret.replace(" ", "") == b32encode(device.bin_key).decode()

    bad = c.post("/account/otp/", {"code": wrong(device)})
    assert bad.status_code == 400 and "Mã không đúng" in bad.content.decode()
    assert events("otp_failed") == [("hl_mgr", "enrol")]
    wait_out_throttle(device)
    assert c.post("/account/otp/", {"code": code(device), "next": "/units/"})["Location"] == "/units/"
    device.refresh_from_db()
    assert device.confirmed and events("otp_enrol") == [("hl_mgr", "")]
    assert c.get("/").status_code == 200  # the enrolling session is verified
    assert "Đang bật" in c.get("/account/otp/").content.decode()

    c.post("/logout/")
    c, r = password_login("hl_mgr")
    assert r.status_code == 302 and r["Location"] == "/login/code/?next=%2F"
    for url in ("/", "/units/", "/audit/?user=hl_mgr", "/account/otp/"):
        gate = c.get(url)
        assert gate.status_code == 302 and gate["Location"].startswith("/login/code/?next="), url
    form = c.get("/login/code/")
    assert form.status_code == 200 and "Mã đăng nhập" in form.content.decode()
    assert 'href="/units/"' not in form.content.decode()  # no navigation before the code
    refused = c.post("/login/code/", {"code": wrong(device), "next": "/"})
    assert refused.status_code == 400 and "Mã không đúng" in refused.content.decode()
    assert events("otp_failed") == [("hl_mgr", "enrol"), ("hl_mgr", "login")]
    assert c.get("/")["Location"].startswith("/login/code/")
    wait_out_throttle(device)
    good = code(device, drift=1)  # the step after the enrolment's code
    ok = c.post("/login/code/", {"code": good, "next": "/"})
    assert ok.status_code == 302 and ok["Location"] == "/"
    assert c.get("/").status_code == 200

    c.post("/logout/")
    c, _r = password_login("hl_mgr")
    assert c.post("/login/code/", {"code": good, "next": "/"}).status_code == 400  # used already
    assert c.get("/").status_code == 302


def test_wrong_codes_in_a_row_are_slowed_down(qn: dict[str, Any]) -> None:
    """Right after a wrong code even the right one is not checked (django-otp waits 1 s, then 2, 4 …);
    the page says so and the attempt is audited."""
    c, _r = password_login("hl_mgr")
    device = enrol(c, qn["users"]["hl_mgr"])
    c.post("/logout/")
    c, _r = password_login("hl_mgr")
    c.post("/login/code/", {"code": wrong(device)})
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=5)  # 16 s to wait
    r = c.post("/login/code/", {"code": code(device, drift=1)})
    assert r.status_code == 400 and "Nhập sai quá nhiều lần" in r.content.decode()
    assert [e.detail["reason"] for e in AuditEvent.objects.filter(action="otp_failed", detail__stage="login")] == [
        "wrong code", "throttled"]
    assert c.get("/").status_code == 302


def test_officers_and_viewers_log_in_without_a_code(qn: dict[str, Any], settings: Any) -> None:
    """Even with two-step login mandatory for managers, an officer and a viewer log in with the password
    alone and reach their pages; they have no enrolment page."""
    settings.SICOLLECT_OTP_REQUIRED_FOR_MANAGERS = True
    for name in ("hl_off", "hl_view"):
        c, r = password_login(name)
        # an officer's home is "my work" (issue 20), a viewer's the dashboard
        assert r.status_code == 302 and r["Location"] == ("/work/" if name == "hl_off" else "/")
        assert c.get("/").status_code == 200 and c.get("/worklist/").status_code == 200
        assert c.get("/account/otp/").status_code == 404
        assert 'href="/account/otp/"' not in c.get("/").content.decode()
    assert not AuditEvent.objects.filter(action__startswith="otp_").exists()


def test_with_the_setting_on_a_manager_without_a_device_must_enrol(qn: dict[str, Any], settings: Any) -> None:
    """SICOLLECT_OTP_REQUIRED_FOR_MANAGERS=1: cp_mgr, without a device, is sent from any page to the
    enrolment page (with the page asked for as next); once enrolled they go on. Without the setting
    the same manager goes straight in."""
    c, _r = password_login("cp_mgr")
    assert c.get("/").status_code == 200
    settings.SICOLLECT_OTP_REQUIRED_FOR_MANAGERS = True
    for url in ("/", "/units/", "/audit/"):
        r = c.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/account/otp/?next="), url
    page = c.get("/account/otp/")
    assert page.status_code == 200 and "bắt buộc" in page.content.decode()
    device = TOTPDevice.objects.get(user=qn["users"]["cp_mgr"], confirmed=False)
    assert c.post("/account/otp/", {"code": code(device), "next": "/units/"})["Location"] == "/units/"
    assert c.get("/units/").status_code == 200


def test_removing_the_device_needs_the_current_code_and_is_audited(qn: dict[str, Any]) -> None:
    """prov turns two-step login off: a wrong code keeps it (audited failure), the current code removes
    the device (audited); the next login needs no code."""
    c, _r = password_login("prov")
    device = enrol(c, qn["users"]["prov"])
    r = c.post("/account/otp/remove/", {"code": wrong(device)})
    assert r.status_code == 302 and TOTPDevice.objects.filter(pk=device.pk).exists()
    assert events("otp_failed") == [("prov", "remove")]
    wait_out_throttle(device)
    assert c.post("/account/otp/remove/", {"code": code(device, drift=1)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=qn["users"]["prov"]).exists()
    (removed,) = AuditEvent.objects.filter(action="otp_remove")
    assert removed.actor == "prov" and removed.detail["before"]["name"] == "sicollect"
    c.post("/logout/")
    c, r = password_login("prov")
    assert r["Location"] == "/" and c.get("/").status_code == 200


def test_a_device_removed_in_the_admin_no_longer_asks_for_a_code(qn: dict[str, Any]) -> None:
    """hl_mgr has a device and logs in with the password; a superuser deletes the device in the admin
    meanwhile: the code page lets them in instead of sending them round in circles."""
    c, _r = password_login("hl_mgr")
    device = enrol(c, qn["users"]["hl_mgr"])
    c.post("/logout/")
    c, r = password_login("hl_mgr")
    assert r["Location"].startswith("/login/code/")
    device.delete()
    assert c.get("/")["Location"].startswith("/login/code/")
    assert c.get("/login/code/?next=/units/")["Location"] == "/units/"
    assert c.get("/units/").status_code == 200
