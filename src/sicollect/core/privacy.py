"""Personal identifiers are masked wherever they leave the database by default."""
from __future__ import annotations

import logging
import re


def mask_id(value: str, keep: int = 3) -> str:
    """``"001085012345"`` → ``"*********345"``: only the last ``keep`` characters show."""
    if not value:
        return ""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


#: a national ID (CCCD, 12 digits; old CMND, 9 digits) or a Vietnamese phone number (0 or +84 / 84,
#: then 9 digits, the mobile and landline forms, with optional spaces, dots or dashes between groups)
PERSONAL_NUMBER = re.compile(
    r"(?<![\w])(?:(?:\+?84|0)(?:[\s.-]?\d){9}|\d{12}|\d{9})(?![\w])"
)


def mask_personal_numbers(text: str) -> str:
    """``"CCCD 001085012345, ĐT 0912 345 678"`` → ``"CCCD *********345, ĐT *******678"``: every
    national ID and phone number keeps its last three digits."""
    def one(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return mask_id(digits)

    return PERSONAL_NUMBER.sub(one, text)


class MaskPersonalData(logging.Filter):
    """A logging filter (settings.LOGGING, every handler): the formatted message, and the text of an
    exception, leave with national IDs and phone numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask_personal_numbers(text)
        return True


def mask_email(value: str) -> str:
    """``"ketoan@congty.vn"`` → ``"k*****@congty.vn"``: the first letter of the mailbox and the domain."""
    if not value or "@" not in value:
        return mask_id(value)
    local, _, host = value.rpartition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{host}"


def mask_contact(value: str) -> str:
    """A contact address as shown in logs, exports and pages: an e-mail by :func:`mask_email`, a phone
    number by :func:`mask_id` (its last three digits)."""
    return mask_email(value) if "@" in (value or "") else mask_id(value)
