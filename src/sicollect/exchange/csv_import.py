"""Import the registry, payments and plans from a directory of CSV files.

The import is all-or-nothing: every file is read and checked against the
database *and* against the other files of the same import before anything is
written, so a unit may name an office that only ``offices.csv`` creates, and a
single bad row anywhere leaves the database exactly as it was. All errors are
collected (not just the first), each tied to ``file:line: field``, because the
people fixing an export want the whole list in one go.

Rows are matched to the database by their natural keys (codes, payment ids,
the participation key) and looked up in bulk, then written with
``bulk_create``/``bulk_update``: ``persons.csv`` can hold hundreds of thousands
of rows. Importing the same files twice writes nothing the second time.

Payments are money: one already in the database is never changed by an import;
the same id with different data is an error.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import sys
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

from django.db import connection, models, transaction
from tqdm import tqdm

from sicollect.contributions.models import Channel, Payment
from sicollect.core import audit, domain
from sicollect.core.faults import fault_point
from sicollect.core.months import Month
from sicollect.plans.models import Indicator, PlanTarget
from sicollect.registry.models import (
    Commune,
    Office,
    Ownership,
    Participation,
    Person,
    Unit,
    UnitStatus,
)

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

#: The files an import reads, in the order they are applied (references point backwards).
COLUMNS: dict[str, tuple[str, ...]] = {
    "offices.csv": ("office_code", "name", "parent_code"),
    "communes.csv": ("commune_code", "name", "office_code"),
    "units.csv": (
        "unit_code",
        "name",
        "tax_code",
        "office_code",
        "ownership",
        "status",
        "region",
        "payment_cycle",
        "registered_on",
    ),
    "persons.csv": ("si_code", "national_id", "full_name", "birth_date", "sex", "commune_code"),
    "participations.csv": (
        "si_code",
        "unit_code",
        "from_month",
        "to_month",
        "wage",
        "funds",
        "declared_on",
        "retro_interest",
    ),
    "payments.csv": ("payment_id", "unit_code", "paid_on", "amount", "reference"),
    "plans.csv": ("year", "office_code", "indicator", "value"),
}
FILES: tuple[str, ...] = tuple(COLUMNS)

# Accepted spellings (compared after NFC normalisation, stripping and lower-casing).
OWNERSHIPS: dict[str, str] = {v: v for v in Ownership.values}
STATUSES: dict[str, str] = {v: v for v in UnitStatus.values} | {
    "dissolution-in-progress": UnitStatus.DISSOLVING.value,
}
REGIONS: dict[str, int] = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
CYCLES: dict[str, int] = {"monthly": 1, "3-monthly": 3, "6-monthly": 6, "1": 1, "3": 3, "6": 6}
SEXES: dict[str, str] = {"m": "M", "f": "F", "nam": "M", "nữ": "F"}
RETRO: dict[str, bool] = {"": False, "0": False, "1": True}
INDICATORS: dict[str, str] = {v: v for v in Indicator.values}
FUNDS: tuple[str, ...] = ("SI", "HI", "UI", "OADI")

_CHUNK = 900  # codes per ``__in`` lookup: stays under SQLite's bound-parameter limit
_BATCH = 1000  # rows per INSERT / executemany
_BIGINT_MAX = 2**63 - 1
_INT_RE = re.compile(r"-?[0-9]{1,30}")  # bounded: int() of huge strings is slow
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH_RE = re.compile(r"[0-9]{4}-[0-9]{2}")


# --------------------------------------------------------------------------- results


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


@dataclass
class FileCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class ImportReport:
    """What a successful import did, per file present in the directory."""

    files: dict[str, FileCounts] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: communes referenced by persons.csv but found nowhere, created with name = code
    created_communes: list[str] = field(default_factory=list)
    #: units whose registration, participations or payments changed: the caller may re-post them
    affected_units: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------- parsed rows


@dataclass(frozen=True, slots=True)
class OfficeRow:
    code: str
    name: str
    parent: str | None


@dataclass(frozen=True, slots=True)
class CommuneRow:
    code: str
    name: str
    office: str | None


@dataclass(frozen=True, slots=True)
class UnitRow:
    code: str
    name: str
    tax_code: str
    office: str
    ownership: str
    status: str
    region: int
    payment_cycle: int
    registered_on: date


@dataclass(frozen=True, slots=True)
class PersonRow:
    si_code: str
    national_id: str
    full_name: str
    birth_date: date | None
    sex: str
    commune: str | None


@dataclass(frozen=True, slots=True)
class ParticipationRow:
    si_code: str
    unit: str
    from_month: Month
    declared_on: date | None
    to_month: Month | None
    wage: int
    si: bool
    hi: bool
    ui: bool
    oadi: bool
    retro_interest: bool


@dataclass(frozen=True, slots=True)
class PaymentRow:
    payment_id: str
    unit: str
    paid_on: date
    amount: int
    reference: str


@dataclass(frozen=True, slots=True)
class PlanRow:
    year: int
    office: str
    indicator: str
    value: int


@dataclass
class Changes(Generic[T]):
    """Validated rows of one file, sorted by what writing them will do."""

    create: list[T] = field(default_factory=list)
    update: list[tuple[int, T]] = field(default_factory=list)  # (database id, new values)
    unchanged: int = 0

    def classify(
        self, row: T, old: tuple[int, tuple[Any, ...]] | None, new: tuple[Any, ...]
    ) -> None:
        """File the row as new, changed (``old`` state differs) or unchanged."""
        if old is None:
            self.create.append(row)
        elif old[1] != new:
            self.update.append((old[0], row))
        else:
            self.unchanged += 1

    def counts(self) -> FileCounts:
        return FileCounts(len(self.create), len(self.update), self.unchanged)


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Row:
    line: int  # physical line the record starts on (header = 1)
    cells: list[str]
    ok: bool  # False: wrong shape; its cells are only used to learn which codes the file holds


@dataclass
class _Table:
    name: str
    path: Path
    index: dict[str, int]  # column name → position, as the file's header has it
    rows: list[_Row]

    def keys(self, column: str) -> set[str]:
        """Every non-empty value of ``column``, from good and bad rows alike.

        References to a code that is in the file but on a bad row are not
        reported again as unknown: the bad row already has its error.
        """
        i = self.index.get(column)
        if i is None:
            return set()
        return {v for r in self.rows if i < len(r.cells) and (v := r.cells[i].strip())}


def read_table(path: Path, columns: Sequence[str], errors: list[ImportError_]) -> _Table:
    """Read one CSV file into rows keyed by column, recording header and shape errors."""
    name = path.name
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        errors.append(ImportError_(name, line, "encoding", f"not valid UTF-8 at byte {exc.start}"))
        return _Table(name, path, {}, [])
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_Row] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if not header:
            errors.append(ImportError_(name, 1, "header", "no header row on line 1"))
            return _Table(name, path, {}, [])
        header_ok = _check_header(name, header, columns, errors)
        last = reader.line_num
        for cells in reader:
            line, last = last + 1, reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue  # blank line
            ok = header_ok
            if len(cells) != len(header):
                ok = False
                errors.append(
                    ImportError_(
                        name, line, "row", f"expected {len(header)} fields, got {len(cells)}"
                    )
                )
            rows.append(_Row(line, cells, ok))
    except csv.Error as exc:
        errors.append(ImportError_(name, reader.line_num, "row", f"unreadable CSV: {exc}"))
        header = []
    return _Table(name, path, {col: i for i, col in reversed(list(enumerate(header)))}, rows)


def _check_header(
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


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().lower()


@functools.cache
def _max(model: type[models.Model], name: str) -> int:
    max_length = model._meta.get_field(name).max_length
    assert isinstance(max_length, int), f"{model.__name__}.{name} has no max_length"
    return max_length


class _Cells:
    """One data row being parsed: typed getters record an error and return None, never raise."""

    def __init__(
        self,
        table: _Table,
        row: _Row,
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
            return choices[_norm(raw)]
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


# --------------------------------------------------------------------------- database helpers


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fetch(
    queryset: models.QuerySet[Any], key: str, values: Iterable[Any], fields: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``values_list(*fields)`` of the rows whose ``key`` is among ``values``, in chunks."""
    out: list[tuple[Any, ...]] = []
    for chunk in _chunks(sorted(set(values))):
        out.extend(queryset.filter(**{f"{key}__in": chunk}).values_list(*fields))
    return out


def _ids(model: type[models.Model], key: str, values: Iterable[str]) -> dict[str, int]:
    """``{code: id}`` for the given codes (after a bulk create, whatever the backend returned)."""
    return {code: pk for code, pk in _fetch(model._default_manager.all(), key, values, (key, "pk"))}


# --------------------------------------------------------------------------- the import


class _Importer:
    """Validate a directory of CSV files (``check_*``), then write it (``write_*``)."""

    def __init__(self, directory: Path, progress: bool) -> None:
        self.directory = directory
        self.progress = progress
        self.errors: list[ImportError_] = []
        self.warnings: list[str] = []
        self.tables: dict[str, _Table] = {}
        # Codes known either to the database or to this import, for reference checks.
        self.office_codes: set[str] = set()
        self.commune_codes: set[str] = set()
        self.unit_codes: set[str] = set()
        self.si_codes: set[str] = set()
        # Database ids of rows the files refer to, and their current state.
        self.units_db: dict[str, tuple[int, tuple[Any, ...]]] = {}
        self.persons_db: dict[str, tuple[int, tuple[Any, ...]]] = {}
        # What to write.
        self.offices: Changes[OfficeRow] = Changes()
        self.communes: Changes[CommuneRow] = Changes()
        self.auto_communes: list[str] = []
        self.units: Changes[UnitRow] = Changes()
        self.persons: Changes[PersonRow] = Changes()
        self.participations: Changes[ParticipationRow] = Changes()
        self.payments: Changes[PaymentRow] = Changes()
        self.plans: Changes[PlanRow] = Changes()
        self.bounds = domain.bounds()  # the input domain's date window (core.domain)

    # ---- plumbing

    def bar(self, items: Sequence[T], desc: str) -> Iterable[T]:
        """``items``, with a transient progress bar on stderr when asked for (a terminal)."""
        if not self.progress:
            return items
        wrapped: Iterable[T] = tqdm(items, desc=desc, file=sys.stderr, leave=False)
        return wrapped

    def read(self) -> None:
        for name, columns in COLUMNS.items():
            path = self.directory / name
            if path.is_file():
                self.tables[name] = read_table(path, columns, self.errors)
        for path in sorted(self.directory.glob("*.csv")):
            if path.name not in COLUMNS:
                self.warnings.append(f"{path.name}: ignored (not one of {', '.join(FILES)})")

    def rows(self, table: _Table) -> Iterator[_Cells]:
        """The well-shaped rows of a file, ready to parse."""
        for row in self.bar(table.rows, table.name):
            if row.ok:
                yield _Cells(table, row, self.errors, self.bounds)

    def keys(self, name: str, column: str) -> set[str]:
        table = self.tables.get(name)
        return table.keys(column) if table else set()

    def check(self) -> None:
        """Check files in dependency order; a file's raw rows are dropped once parsed (memory).

        A check may look at the codes of later files (to fetch their database
        rows in one go) but never at earlier ones, so dropping is safe.
        """
        for name, check in (
            ("offices.csv", self.check_offices),
            ("communes.csv", self.check_communes),
            ("units.csv", self.check_units),
            ("persons.csv", self.check_persons),
            ("participations.csv", self.check_participations),
            ("payments.csv", self.check_payments),
            ("plans.csv", self.check_plans),
        ):
            check()
            if name in self.tables:
                self.tables[name].rows.clear()

    # ---- offices

    def check_offices(self) -> None:
        existing = {
            code: (pk, (name, parent))
            for pk, code, name, parent in Office.objects.values_list(
                "pk", "code", "name", "parent__code"
            )
        }
        self.office_codes = set(existing) | self.keys("offices.csv", "office_code")
        table = self.tables.get("offices.csv")
        if table is None:
            return
        parents: dict[str, str | None] = {code: state[1] for code, (_, state) in existing.items()}
        rows: list[tuple[int, OfficeRow]] = []
        first: dict[str, int] = {}
        for c in self.rows(table):
            code = c.text("office_code", _max(Office, "code"))
            name = c.text("name", _max(Office, "name"))
            parent = c.raw("parent_code") or None
            if code:
                c.unique("office_code", code, first, repr(code))
            if parent == code:
                c.error("parent_code", "an office cannot be its own parent")
            c.known("parent_code", parent, self.office_codes, "office")
            if c.ok:
                rows.append((c.line, OfficeRow(code, name, parent)))
        parents.update({r.code: r.parent for _, r in rows})
        for line, r in rows:
            seen, up = {r.code}, r.parent
            while up is not None and up not in seen:
                seen.add(up)
                up = parents.get(up)
            if up == r.code:
                self.errors.append(
                    ImportError_(
                        table.name, line, "parent_code", f"parent chain loops back to {r.code!r}"
                    )
                )
            self.offices.classify(r, existing.get(r.code), (r.name, r.parent))

    def write_offices(self) -> None:
        """Create new offices without parents first, then link parents: a parent may come later."""
        self._create(Office, self.offices.create, lambda r: Office(code=r.code, name=r.name))
        ids = dict(Office.objects.values_list("code", "pk"))

        def link(r: OfficeRow, pk: int) -> Office:
            return Office(pk=pk, name=r.name, parent_id=ids[r.parent] if r.parent else None)

        linked = [(ids[r.code], r) for r in self.offices.create if r.parent] + self.offices.update
        self._update(Office, linked, link, ["name", "parent"])

    # ---- communes

    def check_communes(self) -> None:
        wanted = self.keys("communes.csv", "commune_code") | self.keys(
            "persons.csv", "commune_code"
        )
        existing = {
            code: (pk, (name, office))
            for pk, code, name, office in _fetch(
                Commune.objects.all(), "code", wanted, ("pk", "code", "name", "office__code")
            )
        }
        self.commune_codes = set(existing) | self.keys("communes.csv", "commune_code")
        table = self.tables.get("communes.csv")
        if table is None:
            return
        first: dict[str, int] = {}
        for c in self.rows(table):
            code = c.text("commune_code", _max(Commune, "code"))
            name = c.text("name", _max(Commune, "name"))
            office = c.raw("office_code") or None
            if code:
                c.unique("commune_code", code, first, repr(code))
            c.known("office_code", office, self.office_codes, "office")
            if c.ok:
                row = CommuneRow(code, name, office)
                self.communes.classify(row, existing.get(code), (name, office))

    def write_communes(self) -> None:
        offices = _ids(Office, "code", {r.office for r in self._all(self.communes) if r.office})

        def build(r: CommuneRow, pk: int | None = None) -> Commune:
            return Commune(
                pk=pk, code=r.code, name=r.name, office_id=offices[r.office] if r.office else None
            )

        auto = [CommuneRow(code, code, None) for code in self.auto_communes]
        self._create(Commune, self.communes.create + auto, build)
        self._update(Commune, self.communes.update, build, ["name", "office"])

    # ---- units

    def check_units(self) -> None:
        wanted = (
            self.keys("units.csv", "unit_code")
            | self.keys("participations.csv", "unit_code")
            | self.keys("payments.csv", "unit_code")
        )
        fields = (
            "name",
            "tax_code",
            "office__code",
            "ownership",
            "status",
            "region",
            "payment_cycle",
            "registered_on",
        )
        self.units_db = {
            code: (pk, tuple(rest))
            for pk, code, *rest in _fetch(
                Unit.objects.all(), "code", wanted, ("pk", "code", *fields)
            )
        }
        self.unit_codes = set(self.units_db) | self.keys("units.csv", "unit_code")
        table = self.tables.get("units.csv")
        if table is None:
            return
        first: dict[str, int] = {}
        for c in self.rows(table):
            code = c.text("unit_code", _max(Unit, "code"))
            if code:
                c.unique("unit_code", code, first, repr(code))
            name = c.text("name", _max(Unit, "name"))
            tax_code = c.text("tax_code", _max(Unit, "tax_code"), required=False)
            office = c.text("office_code", _max(Office, "code"))
            c.known("office_code", office, self.office_codes, "office")
            ownership = c.choice("ownership", OWNERSHIPS, Ownership.values)
            status = c.choice("status", STATUSES, STATUSES)
            region = c.choice("region", REGIONS, ("I", "II", "III", "IV", "1", "2", "3", "4"))
            cycle = c.choice("payment_cycle", CYCLES, CYCLES)
            registered_on = c.within(
                "registered_on", c.date("registered_on"), domain.registered_date
            )
            if c.ok:
                assert ownership and status and region and cycle and registered_on
                row = UnitRow(
                    code, name, tax_code, office, ownership, status, region, cycle, registered_on
                )
                state = (name, tax_code, office, ownership, status, region, cycle, registered_on)
                self.units.classify(row, self.units_db.get(code), state)

    def write_units(self) -> None:
        offices = _ids(Office, "code", {r.office for r in self._all(self.units)})

        def build(r: UnitRow, pk: int | None = None) -> Unit:
            return Unit(
                pk=pk,
                code=r.code,
                name=r.name,
                tax_code=r.tax_code,
                office_id=offices[r.office],
                ownership=r.ownership,
                status=r.status,
                region=r.region,
                payment_cycle=r.payment_cycle,
                registered_on=r.registered_on,
            )

        self._create(Unit, self.units.create, build)
        self._update(
            Unit,
            self.units.update,
            build,
            [
                "name",
                "tax_code",
                "office",
                "ownership",
                "status",
                "region",
                "payment_cycle",
                "registered_on",
            ],
        )

    # ---- persons

    def check_persons(self) -> None:
        wanted = self.keys("persons.csv", "si_code") | self.keys("participations.csv", "si_code")
        fields = ("national_id", "full_name", "birth_date", "sex", "commune__code")
        self.persons_db = {
            code: (pk, tuple(rest))
            for pk, code, *rest in _fetch(
                Person.objects.all(), "si_code", wanted, ("pk", "si_code", *fields)
            )
        }
        self.si_codes = set(self.persons_db) | self.keys("persons.csv", "si_code")
        table = self.tables.get("persons.csv")
        if table is None:
            return
        first: dict[str, int] = {}
        unknown_communes: set[str] = set()
        for c in self.rows(table):
            si_code = c.text("si_code", _max(Person, "si_code"))
            if si_code:
                c.unique("si_code", si_code, first, repr(si_code))
                c.within("si_code", si_code, lambda v, _b: domain.si_code(v))
            national_id = c.text("national_id", _max(Person, "national_id"), required=False)
            c.within("national_id", national_id or None, lambda v, _b: domain.national_id(v))
            full_name = c.text("full_name", _max(Person, "full_name"))
            birth_date = c.within(
                "birth_date", c.date("birth_date", required=False), domain.birth_date
            )
            sex = c.choice("sex", SEXES, ("M", "F", "Nam", "Nữ"))
            commune = c.text("commune_code", _max(Commune, "code"), required=False) or None
            if not c.ok:
                continue
            assert sex is not None
            if commune and commune not in self.commune_codes:
                unknown_communes.add(commune)
            row = PersonRow(si_code, national_id, full_name, birth_date, sex, commune)
            state = (national_id, full_name, birth_date, sex, commune)
            self.persons.classify(row, self.persons_db.get(si_code), state)
        self.auto_communes = sorted(unknown_communes)
        if self.auto_communes:
            self.warnings.append(
                f"persons.csv: {len(self.auto_communes)} commune code(s) in neither the database "
                f"nor communes.csv, created with name = code: {', '.join(self.auto_communes)}"
            )

    def write_persons(self) -> None:
        communes = _ids(Commune, "code", {r.commune for r in self._all(self.persons) if r.commune})

        def build(r: PersonRow, pk: int | None = None) -> Person:
            return Person(
                pk=pk,
                si_code=r.si_code,
                national_id=r.national_id,
                full_name=r.full_name,
                birth_date=r.birth_date,
                sex=r.sex,
                commune_id=communes[r.commune] if r.commune else None,
            )

        self._create(Person, self.persons.create, build)
        self._update(
            Person,
            self.persons.update,
            build,
            ["national_id", "full_name", "birth_date", "sex", "commune"],
        )

    # ---- participations

    def check_participations(self) -> None:
        table = self.tables.get("participations.csv")
        if table is None:
            return
        existing = self._existing_participations(table)
        first: dict[tuple[Any, ...], int] = {}
        for c in self.rows(table):
            si_code = c.raw("si_code")
            if not si_code:
                c.error("si_code", "required")
            c.known("si_code", si_code, self.si_codes, "person")
            unit = c.raw("unit_code")
            if not unit:
                c.error("unit_code", "required")
            c.known("unit_code", unit, self.unit_codes, "unit")
            from_month = c.within("from_month", c.month("from_month"), domain.month)
            to_month = c.within(
                "to_month",
                c.month("to_month", required=False),
                lambda v, b: domain.month(v, b, end=True),
            )
            if from_month and to_month and to_month < from_month:
                c.error("to_month", f"{to_month} is before from_month {from_month}")
            wage = c.integer("wage", minimum=0, maximum=domain.MAX_WAGE)
            funds = c.funds("funds")
            declared_on = c.within(
                "declared_on", c.date("declared_on", required=False), domain.money_date
            )
            retro = c.choice("retro_interest", RETRO, ("0", "1"))
            key = (si_code, unit, from_month, declared_on)
            if c.ok:
                shown = (
                    f"participation ({si_code}, {unit}, {from_month}, {declared_on or 'in time'})"
                )
                c.unique("si_code+unit_code+from_month+declared_on", key, first, shown)
            if not c.ok:
                continue
            assert from_month and wage is not None and funds is not None and retro is not None
            row = ParticipationRow(
                si_code,
                unit,
                from_month,
                declared_on,
                to_month,
                wage,
                retro_interest=retro,
                **funds,
            )
            state = (to_month, wage, funds["si"], funds["hi"], funds["ui"], funds["oadi"], retro)
            self.participations.classify(row, existing.get(key), state)

    def _existing_participations(
        self, table: _Table
    ) -> dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]]:
        """Participations in the database of the file's (unit, person) pairs, by natural key."""
        units = [u for u in table.keys("unit_code") if u in self.units_db]
        persons = table.keys("si_code")
        fields = (
            "pk",
            "person__si_code",
            "unit__code",
            "from_month",
            "declared_on",
            "to_month",
            "wage",
            "si",
            "hi",
            "ui",
            "oadi",
            "retro_interest",
        )
        return {
            (si_code, unit, from_month, declared_on): (pk, tuple(state))
            for pk, si_code, unit, from_month, declared_on, *state in _fetch(
                Participation.objects.all(), "unit__code", units, fields
            )
            if si_code in persons
        }

    def write_participations(self) -> None:
        rows = list(self._all(self.participations))
        persons = _ids(Person, "si_code", {r.si_code for r in rows})
        units = _ids(Unit, "code", {r.unit for r in rows})

        def build(r: ParticipationRow, pk: int | None = None) -> Participation:
            return Participation(
                pk=pk,
                person_id=persons[r.si_code],
                unit_id=units[r.unit],
                from_month=r.from_month,
                to_month=r.to_month,
                wage=r.wage,
                si=r.si,
                hi=r.hi,
                ui=r.ui,
                oadi=r.oadi,
                declared_on=r.declared_on,
                retro_interest=r.retro_interest,
            )

        self._create(Participation, self.participations.create, build)
        self._update(
            Participation,
            self.participations.update,
            build,
            ["to_month", "wage", "si", "hi", "ui", "oadi", "retro_interest"],
        )

    # ---- payments

    def check_payments(self) -> None:
        table = self.tables.get("payments.csv")
        if table is None:
            return
        existing = {
            payment_id: rest
            for payment_id, *rest in _fetch(
                Payment.objects.all(),
                "payment_id",
                table.keys("payment_id"),
                ("payment_id", "unit__code", "paid_on", "amount", "reference"),
            )
        }
        first: dict[str, int] = {}
        for c in self.rows(table):
            payment_id = c.text("payment_id", _max(Payment, "payment_id"))
            if payment_id:
                c.unique("payment_id", payment_id, first, repr(payment_id))
            unit = c.text("unit_code", _max(Unit, "code"))
            c.known("unit_code", unit, self.unit_codes, "unit")
            paid_on = c.within("paid_on", c.date("paid_on"), domain.money_date)
            amount = c.integer("amount", minimum=1, maximum=domain.MAX_AMOUNT)
            reference = c.text("reference", _max(Payment, "reference"), required=False)
            if not c.ok:
                continue
            assert paid_on and amount
            row = PaymentRow(payment_id, unit, paid_on, amount, reference)
            old = existing.get(payment_id)
            if old is None:
                self.payments.create.append(row)
                continue
            for name, was, now in zip(  # noqa: B905 (three fixed-length tuples)
                ("unit_code", "paid_on", "amount", "reference"),
                old,
                (unit, paid_on, amount, reference),
            ):
                if was != now:
                    c.error(
                        name,
                        f"payment {payment_id!r} was imported with {name} {str(was)!r}, "
                        f"this file has {str(now)!r}; an import never changes a payment",
                    )
            if c.ok:
                self.payments.unchanged += 1

    def write_payments(self) -> None:
        if not self.payments.create:
            return
        units = _ids(Unit, "code", {r.unit for r in self.payments.create})
        source = str(self.tables["payments.csv"].path.resolve())[-_max(Payment, "source") :]

        def build(r: PaymentRow) -> Payment:
            return Payment(
                payment_id=r.payment_id,
                unit_id=units[r.unit],
                paid_on=r.paid_on,
                amount=r.amount,
                reference=r.reference,
                channel=Channel.BANK,
                source=source,
            )

        self._create(Payment, self.payments.create, build)

    # ---- plans

    def check_plans(self) -> None:
        table = self.tables.get("plans.csv")
        if table is None:
            return
        existing = {
            (year, office, indicator): (pk, (value,))
            for pk, year, office, indicator, value in PlanTarget.objects.values_list(
                "pk", "year", "office__code", "indicator", "value"
            )
        }
        first: dict[tuple[Any, ...], int] = {}
        for c in self.rows(table):
            year = c.year("year")
            office = c.text("office_code", _max(Office, "code"))
            c.known("office_code", office, self.office_codes, "office")
            indicator = c.choice("indicator", INDICATORS, Indicator.values)
            value = c.integer("value", minimum=0, maximum=domain.MAX_PLAN_VALUE)
            key = (year, office, indicator)
            if c.ok:
                c.unique(
                    "year+office_code+indicator",
                    key,
                    first,
                    f"plan ({year}, {office}, {indicator})",
                )
            if c.ok:
                assert year and indicator and value is not None
                self.plans.classify(
                    PlanRow(year, office, indicator, value), existing.get(key), (value,)
                )

    def write_plans(self) -> None:
        offices = _ids(Office, "code", {r.office for r in self._all(self.plans)})

        def build(r: PlanRow, pk: int | None = None) -> PlanTarget:
            return PlanTarget(
                pk=pk,
                year=r.year,
                office_id=offices[r.office],
                indicator=r.indicator,
                value=r.value,
            )

        self._create(PlanTarget, self.plans.create, build)
        self._update(PlanTarget, self.plans.update, build, ["value"])

    # ---- writing

    @staticmethod
    def _all(changes: Changes[T]) -> Iterator[T]:
        yield from changes.create
        yield from (r for _, r in changes.update)

    def _create(self, model: type[M], rows: Sequence[T], build: Callable[[T], M]) -> None:
        """Insert ``build(row)`` for every row, building instances one batch at a time (memory)."""
        manager = model._default_manager
        for chunk in self.bar(list(_chunks(rows, _BATCH)), f"create {model._meta.model_name}"):
            manager.bulk_create([build(r) for r in chunk])

    def _update(
        self,
        model: type[M],
        rows: Sequence[tuple[int, T]],
        build: Callable[[T, int], M],
        fields: list[str],
    ) -> None:
        """Set ``fields`` from ``build(row, pk)`` on the existing rows.

        One parametrised ``UPDATE … WHERE pk = %s`` run with ``executemany``
        rather than ``bulk_update``: the CASE expressions bulk_update builds cost
        about a millisecond of Python per row, minutes for a full re-declaration.
        Values go through each field's own ``get_db_prep_save`` (months, foreign
        keys), exactly as the ORM would send them.
        """
        if not rows:
            return
        opts = model._meta
        targets = [opts.get_field(name) for name in fields]
        qn = connection.ops.quote_name
        assignments = ", ".join(f"{qn(f.column)} = %s" for f in targets)  # type: ignore[union-attr]
        sql = f"UPDATE {qn(opts.db_table)} SET {assignments} WHERE {qn(opts.pk.column)} = %s"
        with connection.cursor() as cursor:
            for chunk in self.bar(list(_chunks(rows, _BATCH)), f"update {opts.model_name}"):
                params = []
                for pk, row in chunk:
                    obj = build(row, pk)
                    values = [
                        f.get_db_prep_save(getattr(obj, f.attname), connection)  # type: ignore[union-attr]
                        for f in targets
                    ]
                    params.append([*values, pk])
                cursor.executemany(sql, params)

    def write(self) -> None:
        self.write_offices()
        self.write_communes()
        self.write_units()
        self.write_persons()
        fault_point("import:persons-written")
        self.write_participations()
        self.write_payments()
        self.write_plans()

    def report(self) -> ImportReport:
        changes: dict[str, Changes[Any]] = {
            "offices.csv": self.offices,
            "communes.csv": self.communes,
            "units.csv": self.units,
            "persons.csv": self.persons,
            "participations.csv": self.participations,
            "payments.csv": self.payments,
            "plans.csv": self.plans,
        }
        affected = {r.code for r in self._all(self.units)}
        affected |= {r.unit for r in self._all(self.participations)}
        affected |= {r.unit for r in self.payments.create}
        return ImportReport(
            files={name: changes[name].counts() for name in FILES if name in self.tables},
            warnings=list(self.warnings),
            created_communes=list(self.auto_communes),
            affected_units=affected,
        )


def import_dir(path: Path, *, progress: bool | None = None, actor: str = "") -> ImportReport:
    """Validate every CSV file in ``path``, then write them all in one transaction.

    Raises :class:`ImportErrors` (and writes nothing) if any row of any file is
    wrong. ``progress`` shows tqdm bars on stderr; by default only on a terminal.
    """
    path = Path(path)
    if not path.is_dir():
        raise NotADirectoryError(f"{path}: not a directory")
    if progress is None:
        progress = sys.stderr.isatty()
    importer = _Importer(path, progress)
    with transaction.atomic():
        importer.read()
        importer.check()
        if importer.errors:
            order = {name: i for i, name in enumerate(FILES)}
            errors = sorted(importer.errors, key=lambda e: (order.get(e.file, len(order)), e.line))
            raise ImportErrors(errors, importer.warnings)
        fault_point("import:checked")
        importer.write()
        fault_point("import:written")
        report = importer.report()
        if any(c.created or c.updated for c in report.files.values()):  # a no-op rerun records nothing

            audit.record("import_dir", actor, "import", path.name, source=str(path.resolve()),
                              after={name: str(c) for name, c in report.files.items()},
                              units=len(report.affected_units))
        fault_point("import:before-commit")
    return report
