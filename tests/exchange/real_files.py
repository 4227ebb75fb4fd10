"""The real-file corpus (tests/data/real, see SOURCES): copies converted to VND, entry counts read without the parser.

Conversion, on a temporary copy: every currency code becomes ``VND`` and every
amount is scaled by 10^d (d = the most decimals any amount in the file needs, at least 2) so
it is whole đồng, keeping the ratios between amounts. The counts are taken from
the raw text: ``:61:`` lines in MT940, ``<Ntry>`` elements in camt.053.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

REAL = Path(__file__).resolve().parent.parent / "data" / "real"

MT940_SUFFIXES = (".sta", ".940", ".swi", ".mt940", ".txt")


def corpus() -> list[Path]:
    return sorted(p for p in REAL.rglob("*") if p.is_file() and p.name not in ("SOURCES", "LICENSE"))


def is_camt(path: Path) -> bool:
    return path.read_bytes().lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def expected_count(path: Path) -> int:
    data = path.read_bytes()
    if is_camt(path):
        return len(re.findall(rb"<(?:\w+:)?Ntry>", data))
    return len(re.findall(rb"(?m)^\s*:61:", data))


# --------------------------------------------------------------------------- MT940

_BALANCE = re.compile(r"^(\s*:6[0245][FM]?:[CD]\d{6})([A-Z]{3})([0-9]+,[0-9]*)", re.M)
_LINE61 = re.compile(r"^(\s*:61:\d{6}(?:\d{4})?R?[CD][A-Z]?)([0-9]+,[0-9]*)", re.M)
_CUR25 = re.compile(r"^(:25:.*?)(EUR|USD|CHF|PLN|RUB|CZK|GBP)$", re.M)


def _decimals(amount: str, mark: str = ",") -> int:
    """Decimals that matter (``8.85000`` has 2), at least 2: the cents of EUR, CHF, PLN become đồng."""
    return max(2, len(amount.partition(mark)[2].rstrip("0")))


def _scale(amount: str, d: int) -> str:
    whole, _, frac = amount.partition(",")
    value = Decimal(f"{whole or 0}.{frac or 0}") * (10 ** d)
    return f"{int(value)},"


def mt940_to_vnd(text: str) -> str:
    amounts = [m.group(3) for m in _BALANCE.finditer(text)] + [m.group(2) for m in _LINE61.finditer(text)]
    d = max((_decimals(a) for a in amounts), default=2)
    text = _BALANCE.sub(lambda m: m.group(1) + "VND" + _scale(m.group(3), d), text)
    text = _LINE61.sub(lambda m: m.group(1) + _scale(m.group(2), d), text)
    return re.sub(r"(?m)^(:34F:)[A-Z]{3}", r"\1VND", text)


# --------------------------------------------------------------------------- camt

_CCY_AMT = re.compile(r'(<(?:\w+:)?(\w*Amt)\b[^>]*?Ccy=")([A-Z]{3})("[^>]*>)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(</)')


def camt_to_vnd(text: str) -> str:
    d = max((_decimals(m.group(5), ".") for m in _CCY_AMT.finditer(text)), default=2)
    text = _CCY_AMT.sub(lambda m: f"{m.group(1)}VND{m.group(4)}{int(Decimal(m.group(5)) * 10 ** d)}{m.group(6)}", text)
    return re.sub(r"<(\w+:)?(Ccy|AcctCcy)>[A-Z]{3}</", r"<\1\2>VND</", text)


def to_vnd(path: Path, into: Path) -> Path:
    """A VND copy of ``path`` in ``into`` (same name and bytes encoding)."""
    data = path.read_bytes()
    out = into / path.name
    into.mkdir(parents=True, exist_ok=True)
    if is_camt(path):
        out.write_text(camt_to_vnd(data.decode("utf-8")), encoding="utf-8")
    else:
        text = data.decode("latin-1")  # byte-preserving: only ASCII is changed
        out.write_bytes(mt940_to_vnd(text).encode("latin-1"))
    return out
