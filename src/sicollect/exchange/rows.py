"""Rows of an imported table, their typed cells and the ``file:line: field: reason`` errors.

Every file import of the project (the registry directory, D02-LT declarations, bank CSV
statements, tax lists, plan files, special-group lists) reads its file into a :class:`Table` of
:class:`Row` s, parses each row through :class:`Cells` (typed getters that record an error and
return None, never raise) and collects :class:`ImportError_` s into one :class:`ImportErrors`.

:func:`read_csv` is the one CSV reader: bytes → ``(physical line, cells)`` records. The directory
import reads strictly (UTF-8, comma, the exact header: :func:`read_table`); spreadsheet-made
files are read through :func:`sicollect.exchange.tabular.read_sheet` (detected encoding and
delimiter, aliased headers, xlsx).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sicollect.core import domain
from sicollect.core.months import Month

from .encodings import EncodingError, decode

T = TypeVar("T")

FUNDS: tuple[str, ...] = ("SI", "HI", "UI", "OADI")

_BIGINT_MAX = 2**63 - 1
_INT_RE = re.compile(r"-?[0-9]{1,30}")  # bounded: int() of huge strings is slow
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH_RE = re.compile(r"[0-9]{4}-[0-9]{2}")


@dataclass(frozen=True, order=True)
class ImportError_:  # noqa: N801 (trailing underscore: not the builtin ImportError)
    """One problem in one cell (or header) of one file."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


class ImportErrors(Exception):  # noqa: N818 (the name the callers use)
    """The files did not validate; nothing was written."""

    def __init__(self, errors: list[ImportError_], warnings: list[str] | None = None) -> None:
        super().__init__(errors)
        self.errors = errors
        self.warnings = warnings or []

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass(slots=True)
class Row:
    line: int  # physical line the record starts on (header = 1)
    cells: list[str]
    ok: bool  # False: wrong shape; its cells are only used to learn which codes the file holds


@dataclass
class Table:
    name: str
    path: Path
    index: dict[str, int]  # column name → position, as the file's header has it
    rows: list[Row]

    def keys(self, column: str) -> set[str]:
        """Every non-empty value of ``column``, from good and bad rows alike.

        References to a code that is in the file but on a bad row are not
        reported again as unknown: the bad row already has its error.
        """
        i = self.index.get(column)
        if i is None:
            return set()
        return {v for r in self.rows if i < len(r.cells) and (v := r.cells[i].strip())}


def read_csv(
    path: Path,
    errors: list[ImportError_],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> list[tuple[int, list[str]]]:
    """The CSV records of ``path`` as ``(physical line the record starts on, cells)``.

    ``encoding`` None: detected (:func:`.encodings.decode`); ``delimiter`` None: the most
    frequent of ``;``, ``,`` and tab in the first 4 KB. An undecodable file or unreadable CSV
    is recorded in ``errors`` (``file:line: encoding|row: reason``); the records before it are
    returned.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        text, _ = decode(data, encoding)
    except EncodingError as exc:
        errors.append(ImportError_(path.name, exc.line, "encoding", exc.reason))
        return []
    if delimiter is None:
        sample = text[:4096]
        delimiter = max((";", ",", "\t"), key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for cells in reader:
            out.append((last + 1, cells))
            last = reader.line_num
    except csv.Error as exc:
        errors.append(ImportError_(path.name, reader.line_num, "row", f"unreadable CSV: {exc}"))
    return out


def read_table(path: Path, columns: Sequence[str], errors: list[ImportError_]) -> Table:
    """Read one CSV file strictly (UTF-8, comma, exactly ``columns`` in any order), recording
    header and shape errors: the directory import's files."""
    name = path.name
    before = len(errors)
    records = read_csv(path, errors, encoding="utf-8-sig", delimiter=",")
    if len(errors) > before and not records:  # not UTF-8
        return Table(name, path, {}, [])
    if not records or not records[0][1]:
        errors.append(ImportError_(name, 1, "header", "no header row on line 1"))
        return Table(name, path, {}, [])
    header = [h.strip().lower() for h in records[0][1]]
    header_ok = check_header(name, header, columns, errors)
    rows: list[Row] = []
    for line, cells in records[1:]:
        if not cells or all(not c.strip() for c in cells):
            continue  # blank line
        ok = header_ok
        if len(cells) != len(header):
            ok = False
            errors.append(
                ImportError_(name, line, "row", f"expected {len(header)} fields, got {len(cells)}")
            )
        rows.append(Row(line, cells, ok))
    return Table(name, path, {col: i for i, col in reversed(list(enumerate(header)))}, rows)


def check_header(
    name: str, header: list[str], columns: Sequence[str], errors: list[ImportError_]
) -> bool:
    """Columns may come in any order, but every expected one exactly once and nothing else."""
    ok = True
    for col in columns:
        if col not in header:
            errors.append(ImportError_(name, 1, col, "missing column"))
            ok = False
    seen: set[str] = set()
    for col in header:
        if col not in columns:
            errors.append(ImportError_(name, 1, col or "(empty)", "unexpected column"))
            ok = False
        elif col in seen:
            errors.append(ImportError_(name, 1, col, "column appears twice"))
            ok = False
        seen.add(col)
    return ok


def norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().lower()


class Cells:
    """One data row being parsed: typed getters record an error and return None, never raise."""

    def __init__(
        self,
        table: Table,
        row: Row,
        errors: list[ImportError_],
        bounds: domain.Bounds | None = None,
    ) -> None:
        self.bounds = bounds or domain.bounds()
        self.file = table.name
        self.index = table.index
        self.line = row.line
        self.cells = row.cells
        self.errors = errors
        self.ok = True

    def raw(self, name: str) -> str:
        """The stripped cell (rows reaching here have the header's shape and all columns)."""
        return self.cells[self.index[name]].strip()

    def cell(self, name: str) -> str:
        """The cell as the file has it."""
        return self.cells[self.index[name]]

    def error(self, name: str, reason: str) -> None:
        self.errors.append(ImportError_(self.file, self.line, name, reason))
        self.ok = False

    def text(self, name: str, max_length: int, *, required: bool = True) -> str:
        """The cell NFC-normalised and stripped; control characters and over-long text refused
        (core.domain.text)."""
        try:
            return domain.text(self.cell(name), max_length=max_length, required=required)
        except domain.DomainError as exc:
            self.error(name, str(exc))
            return self.raw(name)

    def within(self, name: str, value: T | None, check: Callable[..., Any]) -> T | None:
        """``value`` if ``check(value, bounds)`` holds (core.domain), else an error and None."""
        if value is None:
            return None
        try:
            check(value, self.bounds)
        except domain.DomainError as exc:
            self.error(name, str(exc))
            return None
        return value

    def integer(self, name: str, *, minimum: int, maximum: int = _BIGINT_MAX) -> int | None:
        raw = self.raw(name)
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        if not _INT_RE.fullmatch(raw) or int(raw) < minimum:
            self.error(name, f"must be {what}, got {raw!r}")
            return None
        value = int(raw)
        if value > maximum:
            self.error(name, f"too large: {raw} (at most {maximum:,})")
            return None
        return value

    def year(self, name: str) -> int | None:
        raw = self.raw(name)
        if not re.fullmatch(r"[0-9]{4}", raw) or not 1900 <= int(raw) <= 2999:
            self.error(name, f"must be a year YYYY, got {raw!r}")
            return None
        return int(raw)

    def month(self, name: str, *, required: bool = True) -> Month | None:
        raw = self.raw(name)
        if not raw and not required:
            return None
        try:
            if not _MONTH_RE.fullmatch(raw):
                raise ValueError
            return Month.parse(raw)
        except ValueError:
            self.error(name, f"must be YYYY-MM, got {raw!r}")
            return None

    def date(self, name: str, *, required: bool = True) -> date | None:
        raw = self.raw(name)
        if not raw and not required:
            return None
        if not _DATE_RE.fullmatch(raw):
            self.error(name, f"must be YYYY-MM-DD, got {raw!r}")
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.error(name, f"not a valid date: {raw!r}")
            return None

    def choice(self, name: str, choices: Mapping[str, T], shown: Iterable[str]) -> T | None:
        raw = self.raw(name)
        try:
            return choices[norm(raw)]
        except KeyError:
            self.error(name, f"must be one of {', '.join(shown)}, got {raw!r}")
            return None

    def funds(self, name: str) -> dict[str, bool] | None:
        """``SI+HI`` → ``{"si": True, "hi": True, "ui": False, "oadi": False}``."""
        parts = [p.strip().upper() for p in self.raw(name).split("+")]
        bad = [p for p in parts if p not in FUNDS]
        if not any(parts):
            self.error(name, f"required: a +-joined list of {', '.join(FUNDS)}")
            return None
        if bad:
            self.error(
                name, f"unknown fund {', '.join(map(repr, bad))} (expected {', '.join(FUNDS)})"
            )
            return None
        return {f.lower(): f in parts for f in FUNDS}

    def known(self, name: str, value: str | None, known: Collection[str], what: str) -> None:
        if value and value not in known:
            self.error(name, f"unknown {what} {value!r}")

    def unique(self, name: str, key: Any, first: dict[Any, int], shown: str) -> None:
        """Record ``key`` as seen on this line; a second occurrence is an error."""
        if key in first:
            self.error(name, f"duplicate {shown} (first on line {first[key]})")
        else:
            first[key] = self.line
