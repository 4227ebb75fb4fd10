"""VietQR (NAPAS 247) payment codes: the EMVCo merchant-presented payload, written and read.

The payload is a list of TLV fields: a two-digit id, a two-digit length, the value.
For a transfer to a bank account (NAPAS "QRIBFTTA"):

====  =====================================================================
00    payload format indicator, ``01``
01    point of initiation: ``11`` static (no amount), ``12`` dynamic (amount)
38    merchant account: 00 GUID ``A000000727`` (NAPAS), 01 beneficiary
      (00 bank BIN, 01 account number), 02 service code ``QRIBFTTA``
53    currency, ``704`` (VND)
54    amount, whole đồng
58    country, ``VN``
62    additional data: 08 purpose of transaction (the transfer message)
63    CRC: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over every character
      before it *including* ``6304``, four upper-case hex digits
====  =====================================================================

Worked example, from the NAPAS VietQR specification: BIN 970403, card
9704031101234567 (service QRIBFTTC), 180,000 đồng, bill NPS6869, purpose
"thanh toan don hang" gives ``…6304A203``; see tests/arrears/test_vietqr.py.
"""
from __future__ import annotations

import re

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
TO_CARD = "QRIBFTTC"


class VietQRError(ValueError):
    pass


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE; ``crc16_ccitt_false(b"123456789") == 0x29B1`` (the catalogue check value)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    if len(tag) != 2 or not tag.isdigit():
        raise VietQRError(f"bad tag {tag!r}")
    if len(value) > 99:
        raise VietQRError(f"field {tag} longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


_SAFE = re.compile(r"^[0-9A-Za-z /.\-]*$")


def payload(bin_: str, account: str, amount: int | None = None, message: str = "",
            service: str = TO_ACCOUNT) -> str:
    """The VietQR string for a transfer of ``amount`` đồng to ``account`` at the bank ``bin_``."""
    if not (bin_.isascii() and bin_.isdigit() and len(bin_) == 6):
        raise VietQRError(f"bank BIN must be 6 digits, got {bin_!r}")
    if not account or not (account.isascii() and account.isalnum()):
        raise VietQRError(f"account must be ASCII letters and digits, got {account!r}")
    if not _SAFE.match(message) or len(message) > 25:
        raise VietQRError(f"transfer message must be ≤ 25 plain ASCII characters, got {message!r}")
    beneficiary = tlv("00", bin_) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", service)
    body = tlv("00", "01") + tlv("01", "12" if amount else "11") + tlv("38", merchant) + tlv("53", "704")
    if amount:
        if amount < 0:
            raise VietQRError("amount must be positive")
        body += tlv("54", str(int(amount)))
    body += tlv("58", "VN")
    if message:
        body += tlv("62", tlv("08", message))
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def fields(text: str) -> dict[str, str]:
    """Split one level of TLV fields; raises :class:`VietQRError` on a truncated field."""
    out: dict[str, str] = {}
    i = 0
    while i < len(text):
        if i + 4 > len(text):
            raise VietQRError(f"truncated field at {i}")
        tag, n = text[i:i + 2], text[i + 2:i + 4]
        if not n.isdigit():
            raise VietQRError(f"bad length at {i}: {n!r}")
        value = text[i + 4:i + 4 + int(n)]
        if len(value) != int(n):
            raise VietQRError(f"field {tag} is shorter than its length {n}")
        out[tag] = value
        i += 4 + int(n)
    return out


def is_valid(text: str) -> bool:
    """The CRC (field 63, last) matches the rest."""
    if len(text) < 8 or text[-8:-4] != "6304" or not text.isascii():
        return False
    return f"{crc16_ccitt_false(text[:-4].encode('ascii')):04X}" == text[-4:].upper()


def decode(text: str) -> dict[str, object]:
    """Account, amount and message of a VietQR string; checks the CRC first."""
    if not is_valid(text):
        raise VietQRError("checksum (field 63) does not match")
    top = fields(text)
    merchant = fields(top.get("38", ""))
    if merchant.get("00") != NAPAS_GUID:
        raise VietQRError("field 38 is not a NAPAS (VietQR) account")
    beneficiary = fields(merchant.get("01", ""))
    extra = fields(top.get("62", "")) if "62" in top else {}
    return {
        "bin": beneficiary.get("00", ""),
        "account": beneficiary.get("01", ""),
        "service": merchant.get("02", ""),
        "currency": top.get("53", ""),
        "amount": int(top["54"]) if "54" in top else None,
        "country": top.get("58", ""),
        "message": extra.get("08", ""),
        "bill": extra.get("01", ""),
        "dynamic": top.get("01") == "12",
    }


def svg_data_uri(text: str, scale: int = 4) -> str:
    """The QR image (segno, error level M) as an SVG data URI for the notice's HTML."""
    import segno

    return segno.make(text, error="m", micro=False).svg_data_uri(scale=scale)
