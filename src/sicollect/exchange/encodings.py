"""Reading the bytes of an imported text file (CSV, MT940) as text.

Without a stated encoding: a byte-order mark decides (UTF-8, UTF-16 LE/BE);
UTF-16 without a mark is told by its NUL bytes; then strict UTF-8; then the
best of the single-byte code pages banks and spreadsheets in Vietnam and
Europe write (Windows-1258, Windows-1252/1250, ISO-8859-1/2/15), chosen by
``charset-normalizer``. ``--encoding NAME`` skips the guess.
"""
from __future__ import annotations

import codecs
import re
import unicodedata

SINGLE_BYTE = ("cp1258", "cp1252", "cp1250", "iso8859_1", "iso8859_2", "iso8859_15")


class EncodingError(ValueError):
    """The bytes are not text in the stated (or any detected) encoding; ``line`` is where it broke."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _line_of(data: bytes, pos: int) -> int:
    return data[:pos].count(b"\n") + 1


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """``(text, encoding used)``; raises :class:`EncodingError`."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise EncodingError(1, f"unknown encoding {encoding!r}") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise EncodingError(_line_of(data, exc.start),
                                f"not valid {encoding} at byte {exc.start}") from None
        return _nfc(text.lstrip("\ufeff")), encoding
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16").lstrip("\ufeff"), "utf-16"
    head = data[:400]
    if len(head) >= 4 and head.count(b"\x00") * 3 > len(head):
        enc = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return _strict(data, enc), enc
    try:
        return _nfc(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    if _looks_cp1258(data):
        return _nfc(data.decode("cp1258")), "cp1258"
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(SINGLE_BYTE)).best()
    enc = best.encoding if best is not None else "cp1258"
    return _strict(data, enc), enc


#: cp1258 writes Vietnamese tones as combining marks after the vowel (grave, acute, tilde, hook, dot below)
_CP1258_TONE = re.compile(rb"[AEIOUYaeiouy\xc2\xc3\xca\xd4\xd5\xdd\xe2\xe3\xea\xf4\xf5\xfd][\xcc\xec\xde\xd2\xf2]")


def _looks_cp1258(data: bytes) -> bool:
    high = sum(1 for b in data if b >= 0x80)
    tones = len(_CP1258_TONE.findall(data))
    return tones >= 3 and 2 * tones >= high // 2


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _strict(data: bytes, enc: str) -> str:
    try:
        return _nfc(data.decode(enc))
    except UnicodeDecodeError as exc:
        raise EncodingError(_line_of(data, exc.start), f"not valid {enc} at byte {exc.start}") from None
