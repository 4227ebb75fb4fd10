"""The input domain: what each field coming through a door (``import DIR``, D02-LT, bank and tax files,
plan files, the API, the web forms) may hold. One place, so every door refuses the same values.

Each check takes the raw value and returns the clean one, or raises :class:`DomainError` with a reason a
person can act on; the caller adds the file, line and field (``file:line: field: reason``) or the API
field (422). Nothing here writes.

- **Text**: NFC-normalised (a name typed in decomposed Unicode is stored as the search finds it),
  stripped, no control characters (C0/C1, surrogates, line/paragraph separators; a multi-line note may
  hold newlines and tabs), at most the model field's ``max_length``.
- **Amounts** (integer đồng): ``1 ≤ amount ≤ MAX_AMOUNT`` (10^12 đồng, a thousand billion: no real
  payment is near it, and the sum of ten million of them still fits a 64-bit integer). ``Infinity``,
  ``NaN``, ``1E+30`` and fractions of a đồng are refused. Wages: ``0 ≤ wage ≤ MAX_WAGE`` (10^10 a month);
  plan values ``0 ≤ value ≤ MAX_PLAN_VALUE`` (10^15).
- **Money dates** (paid on, declared on, booked on, registered on): from the first day the rules cover
  (the latest of the first contribution-rate, deadline and interest-regime rows: before it the close
  cannot compute) to ``FUTURE_DAYS`` days after today (``SICOLLECT_FUTURE_DAYS``, default 31).
  Contribution months: the same bounds, by month (a participation's end month may be up to
  ``END_MONTH_YEARS`` years ahead). Birth dates: 1900-01-01 to today.
- **Codes**: an SI code (mã số BHXH) is 10 digits; a national ID is 12 digits (CCCD) or 9 (old CMND),
  or empty.
"""
from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sicollect.core.months import Month

MAX_AMOUNT = 10**12
MAX_WAGE = 10**10
MAX_PLAN_VALUE = 10**15
EARLIEST_BIRTH = date(1900, 1, 1)
END_MONTH_YEARS = 10
SI_CODE_RE = re.compile(r"[0-9]{10}")
NATIONAL_ID_RE = re.compile(r"[0-9]{12}|[0-9]{9}")
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,20}")
_DEFAULT_EARLIEST = date(2016, 1, 1)  # the first row of the rules shipped (rules/defaults.py)


class DomainError(ValueError):
    """A value outside the input domain; ``str()`` is the reason, without the field."""


def future_days() -> int:
    try:
        return max(0, int(os.environ.get("SICOLLECT_FUTURE_DAYS", "31")))
    except ValueError:
        return 31


@dataclass(frozen=True)
class Bounds:
    """The date window of one run of an importer (read once: the rules do not change under it)."""

    earliest: date  # first day every rule kind covers
    today: date
    latest: date  # today + FUTURE_DAYS

    @property
    def earliest_month(self) -> Month:
        return Month.of(self.earliest)

    @property
    def latest_month(self) -> Month:
        return Month.of(self.latest)


_RULES_START: list[Callable[[], date | None]] = []


def rules_start_from(first_day: Callable[[], date | None]) -> None:
    """Register where the rules start: the rules app gives the first day on which a contribution rate, a
    deadline rule and an interest regime are all in force (``rules.apps``); this module needs not know
    the rules' tables."""
    if first_day not in _RULES_START:
        _RULES_START.append(first_day)


def rules_start() -> date:
    """The first day on which every rule kind is in force (``_DEFAULT_EARLIEST`` when no rule is stored)."""
    known = [d for d in (f() for f in _RULES_START) if d is not None]
    return max(known) if known else _DEFAULT_EARLIEST


def bounds(today: date | None = None) -> Bounds:
    from django.utils import timezone

    today = today or timezone.localdate()
    return Bounds(rules_start(), today, today + timedelta(days=future_days()))


# --------------------------------------------------------------------------- text


def _bad_char(ch: str, multiline: bool) -> bool:
    if multiline and ch in "\n\t\r":
        return False
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cs", "Zl", "Zp") or ch in "\ufffe\uffff"


def text(value: Any, *, max_length: int, required: bool = True, multiline: bool = False) -> str:
    """NFC, stripped, no control characters, at most ``max_length`` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        value = str(value)
    bad = next((ch for ch in value if _bad_char(ch, multiline)), None)
    if bad is not None:
        raise DomainError(f"control character U+{ord(bad):04X} at position {value.index(bad) + 1}")
    clean = unicodedata.normalize("NFC", value).strip()
    if required and not clean:
        raise DomainError("required")
    if len(clean) > max_length:
        raise DomainError(f"longer than {max_length} characters ({len(clean)})")
    return clean


def model_text(model: Any, field: str, value: Any, *, required: bool = True, multiline: bool = False) -> str:
    """:func:`text` with the model field's own ``max_length``."""
    max_length = model._meta.get_field(field).max_length
    return text(value, max_length=max_length or 10**6, required=required, multiline=multiline)


def safe_text(value: Any) -> str:
    """For display of someone else's text in a reason: at most 40 characters, control characters escaped."""
    shown = "".join(ch if not _bad_char(ch, False) else f"\\x{ord(ch):02x}" for ch in str(value))
    return shown[:40] + ("…" if len(shown) > 40 else "")


# --------------------------------------------------------------------------- numbers


def integer(value: Any, *, minimum: int, maximum: int, what: str = "amount") -> int:
    """An integer within ``[minimum, maximum]``. Accepts ints, integral Decimals/floats, and digit strings
    (a ``.0`` fraction is fine; any other fraction, ``Infinity``, ``NaN`` and exponents are refused)."""
    if isinstance(value, bool):
        raise DomainError(f"{what} must be a whole number of đồng, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise DomainError(f"{what} must be a whole finite number, got {value!r}")
        number = int(value)
    elif isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise DomainError(f"{what} must be a whole finite number, got {value}")
        if value.adjusted() > 20:
            raise DomainError(f"{what} too large: {value} (at most {maximum:,})")
        number = int(value)
    else:
        raw = str(value).strip()
        if not _INT_TEXT.fullmatch(raw):
            raise DomainError(f"{what} must be a whole number written in digits, got {safe_text(value)!r}")
        number = int(raw)
    if number < minimum:
        raise DomainError(f"{what} must be at least {minimum:,}, got {number:,}")
    if number > maximum:
        raise DomainError(f"{what} too large: {number:,} (at most {maximum:,})")
    return number


def amount(value: Any, *, minimum: int = 1, maximum: int = MAX_AMOUNT) -> int:
    return integer(value, minimum=minimum, maximum=maximum, what="amount")


def wage(value: Any) -> int:
    return integer(value, minimum=0, maximum=MAX_WAGE, what="wage")


def plan_value(value: Any) -> int:
    return integer(value, minimum=0, maximum=MAX_PLAN_VALUE, what="value")


# --------------------------------------------------------------------------- dates


def money_date(value: date, b: Bounds | None = None) -> date:
    """A day money moved or a declaration was made: within the rules' coverage, not far in the future."""
    b = b or bounds()
    if value < b.earliest:
        raise DomainError(f"{value} is before {b.earliest}, the first day the rules cover")
    if value > b.latest:
        raise DomainError(f"{value} is more than {(b.latest - b.today).days} days after today ({b.today})")
    return value


def registered_date(value: date, b: Bounds | None = None) -> date:
    """A unit's registration: may be older than the rules, never in the future beyond the window."""
    b = b or bounds()
    if value < EARLIEST_BIRTH:
        raise DomainError(f"{value} is before {EARLIEST_BIRTH}")
    if value > b.latest:
        raise DomainError(f"{value} is more than {(b.latest - b.today).days} days after today ({b.today})")
    return value


def birth_date(value: date, b: Bounds | None = None) -> date:
    today = b.today if b else bounds().today
    if value < EARLIEST_BIRTH:
        raise DomainError(f"{value} is before {EARLIEST_BIRTH}")
    if value > today:
        raise DomainError(f"{value} is after today ({today})")
    return value


def month(value: Month, b: Bounds | None = None, *, end: bool = False) -> Month:
    """A contribution month: from the rules' first month; a start not past the window, an end at most
    ``END_MONTH_YEARS`` years ahead."""
    b = b or bounds()
    if value < b.earliest_month:
        raise DomainError(f"{value} is before {b.earliest_month}, the first month the rules cover")
    latest = Month(b.today.year + END_MONTH_YEARS, 12) if end else b.latest_month
    if value > latest:
        raise DomainError(f"{value} is after {latest}")
    return value


# --------------------------------------------------------------------------- codes


def si_code(value: Any) -> str:
    clean = text(value, max_length=20)
    if not SI_CODE_RE.fullmatch(clean):
        raise DomainError(f"an SI code is 10 digits, got {safe_text(clean)!r}")
    return clean


def national_id(value: Any, *, required: bool = False) -> str:
    clean = text(value, max_length=20, required=required)
    if clean and not NATIONAL_ID_RE.fullmatch(clean):
        raise DomainError(f"a national ID is 12 digits (or 9 for an old ID card), got {len(clean)} characters")
    return clean


# --------------------------------------------------------------------------- contacts

#: Vietnamese mobile numbers: 10 digits, ``0`` then a network prefix 3, 5, 7, 8 or 9 (the 2018 plan of
#: the Ministry of Information and Communications moved every 11-digit mobile number to these)
VN_MOBILE_RE = re.compile(r"0[35789][0-9]{8}")
EMAIL_MAX = 254  # RFC 5321: a forward path of at most 256 octets, less the angle brackets


def email(value: Any, *, required: bool = False) -> str:
    """An e-mail address (a unit's contact for notices): Django's validator, the domain lower-cased;
    empty when not ``required``."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    clean = text(value, max_length=EMAIL_MAX, required=required)
    if not clean:
        return ""
    try:
        validate_email(clean)
    except ValidationError:
        raise DomainError(f"not an e-mail address: {safe_text(clean)!r}") from None
    local, _, host = clean.rpartition("@")
    return f"{local}@{host.lower()}"


def vn_mobile(value: Any, *, required: bool = False) -> str:
    """A Vietnamese mobile number, normalised to its 10 digits ``0xxxxxxxxx``: ``+84 912 345 678``,
    ``84912345678``, ``0912.345.678`` and ``0912-345-678`` all give ``0912345678``; empty when not
    ``required``. A landline or an old 11-digit number is refused (neither takes SMS nor Zalo)."""
    clean = text(value, max_length=20, required=required)
    if not clean:
        return ""
    digits = re.sub(r"[\s.()-]", "", clean)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not digits.isdigit():
        raise DomainError(f"a phone number is written in digits, got {safe_text(clean)!r}")
    if not VN_MOBILE_RE.fullmatch(digits):
        raise DomainError(f"a Vietnamese mobile number is 10 digits starting 03, 05, 07, 08 or 09 "
                          f"(or +84 then 9 digits), got {len(digits)} digits")
    return digits


def international_mobile(phone: str) -> str:
    """``0912345678`` → ``84912345678`` (the form Zalo ZNS takes: country code, no ``+``)."""
    return "84" + phone[1:] if phone.startswith("0") else phone
