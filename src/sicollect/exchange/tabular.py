"""Reading a table from CSV or xlsx into the importer's row types.

The declaration, tax-list and bank CSV imports read files people make in
spreadsheets: the same columns may come as CSV or as the first sheet of an
xlsx workbook, with Vietnamese or English headers. This module turns either
into the :class:`.rows.Table` of :mod:`.rows` (read by its one CSV reader), so the typed cell
getters and the ``file:line: field: reason`` errors are shared with it.

Line numbers are what the person sees: the CSV physical line, the sheet row.
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

from sicollect.core import domain

from .rows import Cells, ImportError_, Row, Table, read_csv

XLSX_SUFFIXES = (".xlsx", ".xlsm")
#: an xlsx whose parts unpack to more than this is refused (a zip bomb), as is any part with a DTD
XLSX_MAX_UNPACKED = 200 * 1024 * 1024
_DTD_MARKS = (b"<!doctype", b"<!entity")


class UnsafeWorkbook(ValueError):
    """The file is not a plain xlsx workbook: not a zip, too large unpacked, or an XML part with a DTD."""


def check_xlsx(source: Path | bytes | io.BytesIO) -> None:
    """Refuse an xlsx before openpyxl parses it: a DTD or entity declaration in any XML part (XXE, billion
    laughs: no spreadsheet program writes one), more than ``XLSX_MAX_UNPACKED`` bytes unpacked, or not a
    zip at all. Raises :class:`UnsafeWorkbook` with the reason."""
    import zipfile

    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > XLSX_MAX_UNPACKED:
                raise UnsafeWorkbook(f"unpacks to more than {XLSX_MAX_UNPACKED // 2**20} MB")
            for member in members:
                if not member.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(member) as part:
                    head = part.read(4)
                    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else None
                    tail = b""
                    chunk = head
                    while chunk:
                        text = tail + chunk
                        if encoding:
                            text = text.decode(encoding, errors="ignore").encode()
                        if any(mark in text.lower() for mark in _DTD_MARKS):
                            raise UnsafeWorkbook(f"{member.filename} declares a DTD or entities: refused")
                        tail = chunk[-16:]
                        chunk = part.read(1 << 20)
    except zipfile.BadZipFile as exc:
        raise UnsafeWorkbook(f"not an xlsx workbook (not a zip archive: {exc})") from exc
    except (OSError, EOFError, RuntimeError, NotImplementedError) as exc:  # broken or encrypted member
        raise UnsafeWorkbook(f"not a readable xlsx workbook: {exc}") from exc
    finally:
        if isinstance(handle, io.BytesIO):
            handle.seek(0)


def safe_rows(source: Path | bytes, *, data_only: bool = True) -> list[tuple[object, ...]]:
    """The first sheet's rows as values, after :func:`check_xlsx`; any failure of openpyxl (a broken
    part, a bad style, a cell it cannot read) becomes :class:`UnsafeWorkbook`, never a traceback."""
    from openpyxl import load_workbook

    check_xlsx(source)
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        book = load_workbook(handle, read_only=True, data_only=data_only)
        try:
            sheet = book.worksheets[0]
            return list(sheet.iter_rows(values_only=True))
        finally:
            book.close()
    except UnsafeWorkbook:
        raise
    except Exception as exc:  # noqa: BLE001 (openpyxl and the XML parser raise many kinds)
        raise UnsafeWorkbook(f"not a readable xlsx workbook: {type(exc).__name__}: {exc}") from exc
#: whole đồng, optionally grouped by thousands with dots or commas (not a decimal part)
_MONEY_RE = re.compile(r"[0-9]{1,15}|[0-9]{1,3}(?:\.[0-9]{3}){1,4}|[0-9]{1,3}(?:,[0-9]{3}){1,4}")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` → ``d``, spaces and dashes as ``_``: header matching."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return "_".join(text.replace("-", " ").replace("/", " ").split())


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, errors: list[ImportError_]) -> list[tuple[int, list[str]]]:
    try:
        rows = safe_rows(path)
    except UnsafeWorkbook as exc:
        errors.append(ImportError_(path.name, 1, "file", str(exc)))
        return []
    return [(i, [_cell_text(v) for v in row]) for i, row in enumerate(rows, start=1)]


def _find_header(raw: list[tuple[int, list[str]]], required: Sequence[str], optional: Sequence[str],
                 aliases: Mapping[str, str], sheet_title_rows: int) -> int:
    """The index of the header row: the first of the first rows that names every required column, alone or
    with the row under it as a two-row header (title rows above it, as the VSS portal's templates and bank
    exports have, are skipped)."""
    def names(cells: list[str]) -> set[str]:
        return {aliases.get(fold(c), fold(c)) for c in cells}

    for k, (_, cells) in enumerate(raw[: sheet_title_rows + 1]):
        if all(r in names(cells) for r in required):
            return k
    for k, (_, cells) in enumerate(raw[: sheet_title_rows + 1]):
        if k + 1 < len(raw) and all(
                r in names(_two_row_header(cells, raw[k + 1][1], required, optional, aliases)) for r in required):
            return k
    return 0


def read_sheet(
    path: Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
    aliases: Mapping[str, str] | None = None,
    errors: list[ImportError_] | None = None,
    *,
    ignore: Collection[str] | bool = (),
    ignored: list[str] | None = None,
    title_rows: int = 0,
    encoding: str | None = None,
    header_rows: int = 1,
) -> Table:
    """Read ``path`` (CSV or xlsx) into a table keyed by canonical column names.

    The header is the first non-blank row, or with ``title_rows`` the first of
    the next rows that names every required column. Headers are matched after
    :func:`fold`, through ``aliases`` (folded header → column). Every column in
    ``required`` must appear, any of ``optional`` may; ``ignore`` (folded
    names, or True for all others) are read past and listed in ``ignored``;
    others are errors, as is a column twice. ``header_rows`` = 2 (0: when the
    row under the header has no digits in it): a second header row under the first (its cells name sub-columns of a merged cell
    above; a blank cell keeps the name above). Rows with a wrong shape are kept
    with ``ok=False``.
    """
    errors = errors if errors is not None else []
    path = Path(path)
    name = path.name
    raw = _read_xlsx(path, errors) if path.suffix.lower() in XLSX_SUFFIXES else read_csv(path, errors, encoding=encoding)
    raw = [(line, cells) for line, cells in raw if any(c.strip() for c in cells)]
    if not raw:
        if not errors:
            errors.append(ImportError_(name, 1, "header", "the file has no header row"))
        return Table(name, path, {}, [])
    aliases = aliases or {}
    start = _find_header(raw, required, optional, aliases, title_rows) if title_rows else 0
    header_line, header_cells = raw[start]
    body = raw[start + 1:]
    if body and (header_rows == 2 or header_rows == 0 and _is_sub_header(body[0][1])):
        header_cells = _two_row_header(header_cells, body[0][1], required, optional, aliases)
        body = body[1:]
    if header_rows != 1 and body and all(_COLUMN_NO.fullmatch(c.strip()) for c in body[0][1] if c.strip()):
        body = body[1:]  # the forms' row of column numbers, (1) (2) (3) …
    # xlsx rows run as wide as the widest row: ignore empty trailing header cells
    while header_cells and not header_cells[-1].strip():
        header_cells = header_cells[:-1]
    known = set(required) | set(optional)
    index: dict[str, int] = {}
    header_ok = True
    for i, cell in enumerate(header_cells):
        folded = fold(cell)
        column = aliases.get(folded, folded)
        if column not in known and (ignore is True or (ignore and folded in ignore) or not folded):
            if ignored is not None and cell.strip():
                ignored.append(cell.strip())
            continue
        if column not in known:
            errors.append(ImportError_(name, header_line, cell.strip() or "(empty)", "unexpected column"))
            header_ok = False
        elif column in index:
            errors.append(ImportError_(name, header_line, column, "column appears twice"))
            header_ok = False
        else:
            index[column] = i
    for column in required:
        if column not in index:
            errors.append(ImportError_(name, header_line, column, "missing column"))
            header_ok = False
    width = len(header_cells)
    rows: list[Row] = []
    for line, cells in body:
        extra = cells[width:]
        cells = cells[:width]
        ok = header_ok
        if any(c.strip() for c in extra) or len(cells) < width and not _is_xlsx(path):
            errors.append(ImportError_(name, line, "row", f"expected {width} fields, got {len(cells) + len(extra)}"))
            ok = False
        cells = cells + [""] * (width - len(cells))
        rows.append(Row(line, cells, ok))
    return Table(name, path, index, rows)


_COLUMN_NO = re.compile(r"\(?[0-9]{1,3}\)?|[A-Z]")


def _is_sub_header(cells: list[str]) -> bool:
    """A second header row: text only (every data row has digits: codes, dates, amounts)."""
    filled = [c for c in cells if c.strip()]
    return bool(filled) and not any(ch.isdigit() for c in filled for ch in c)


def _two_row_header(top: list[str], sub: list[str], required: Sequence[str], optional: Sequence[str],
                    aliases: Mapping[str, str]) -> list[str]:
    """One header from two rows: a cell of the second row names the column when it is a known column or
    the cell above is blank (merged); else the cell above, carried right over merged blanks, names it
    (``Tháng/ năm`` over ``bắt đầu``/``kết thúc``: each sub-cell is tried alone and after the one above)."""
    known = set(required) | set(optional)
    width = max(len(top), len(sub))
    top = top + [""] * (width - len(top))
    sub = sub + [""] * (width - len(sub))
    out: list[str] = []
    above = ""
    for t, b in zip(top, sub):
        above = t if t.strip() else above
        if not b.strip():
            out.append(t)
            continue
        combined = f"{above} {b}"
        for candidate in (combined, b):
            if aliases.get(fold(candidate), fold(candidate)) in known:
                out.append(candidate)
                break
        else:
            out.append(combined if above.strip() else b)
    return out


def _is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


class SheetCells(Cells):
    """The CSV importer's cell getters, with optional columns (absent → empty) and MM/YYYY months."""

    def raw(self, name: str) -> str:
        i = self.index.get(name)
        return self.cells[i].strip() if i is not None else ""

    def cell(self, name: str) -> str:
        i = self.index.get(name)
        return self.cells[i] if i is not None else ""

    def month(self, name: str, *, required: bool = True):  # type: ignore[no-untyped-def]
        value = self.raw(name)
        if "/" in value:  # forms write 07/2025; xlsx dates arrive as 2025-07-01
            parts = value.split("/")
            if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                value = f"{int(parts[1]):04d}-{int(parts[0]):02d}"
        elif len(value) == 10 and value[4] == "-" and value.endswith("-01"):
            value = value[:7]
        i = self.index.get(name)
        if i is not None:
            self.cells[i] = value
        return super().month(name, required=required) if i is not None or required else None

    def money(self, name: str, *, required: bool = True, maximum: int = domain.MAX_AMOUNT) -> int | None:
        """Whole đồng; ``12.000.000``, ``12,000,000`` and ``12000000`` are the same amount; at most
        ``maximum`` (core.domain)."""
        value = self.raw(name).replace(" ", "")
        if not value:
            if required:
                self.error(name, "required")
            return None if required else 0
        if not _MONEY_RE.fullmatch(value):
            self.error(name, f"must be a whole number of đồng, got {value!r}")
            return None
        number = int(value.replace(".", "").replace(",", ""))
        if number > maximum:
            self.error(name, f"too large: {number:,} (at most {maximum:,})")
            return None
        return number


def cells_of(table: Table, errors: list[ImportError_]) -> list[SheetCells]:
    bounds = domain.bounds()
    return [SheetCells(table, row, errors, bounds) for row in table.rows if row.ok]
