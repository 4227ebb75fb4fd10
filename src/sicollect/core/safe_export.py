"""Every CSV and xlsx the project writes passes its cells through :func:`cell` (OWASP, "CSV Injection"):

- text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, which a spreadsheet would run
  as a formula (``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3``), gets a leading ``'`` so it is shown as text;
- control characters (C0/C1 except the newline, which a cell may hold) are dropped: a ``\\x01`` or a NUL in
  an imported name would otherwise make openpyxl refuse the whole file (a 500) or a reader choke.

Numbers, dates and ``None`` pass unchanged (a negative amount stays a number). Use :func:`row` for a row,
:class:`SafeSheet` around an openpyxl worksheet, :func:`writer` instead of ``csv.writer``.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith(_TRIGGERS):
        value = "'" + value
    return _CONTROL.sub("", value)


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]


class SafeSheet:
    """An openpyxl worksheet whose ``append`` neutralises every cell; everything else is the sheet's."""

    def __init__(self, sheet: Any) -> None:
        self._sheet = sheet

    def append(self, values: Iterable[Any]) -> None:
        self._sheet.append(row(values))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sheet, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_sheet":
            object.__setattr__(self, name, value)
        else:
            setattr(self._sheet, name, value)

    def __getitem__(self, key: Any) -> Any:
        return self._sheet[key]


class _Writer:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def writerow(self, values: Sequence[Any]) -> Any:
        return self._inner.writerow(row(values))

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        for r in rows:
            self.writerow(r)


def writer(fh: Any, **kwargs: Any) -> _Writer:
    """``csv.writer(fh, **kwargs)`` whose rows are neutralised."""
    return _Writer(csv.writer(fh, **kwargs))
