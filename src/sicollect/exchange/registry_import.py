"""``sicollect import DIR``: the registry, payments and plans from a directory of CSV files.

The import is all-or-nothing: every file is read and checked against the
database *and* against the other files of the same import before anything is
written, so a unit may name an office that only ``offices.csv`` creates, and a
single bad row anywhere leaves the database exactly as it was. All errors are
collected (not just the first), each tied to ``file:line: field``, because the
people fixing an export want the whole list in one go.

This module reads the registry's files (offices, communes, units, persons,
participations) and runs the whole import (:func:`import_dir`); ``payments.csv``
is read by :mod:`.payments_import`, and files of apps above this one by the
handlers they registered (:func:`.importing.register_file`: ``plans.csv`` by the
plans app), checked and written in the same pass and transaction.

Rows are matched to the database by their natural keys (codes, the
participation key) and looked up in bulk, then written with bulk inserts and
``executemany`` updates: ``persons.csv`` can hold hundreds of thousands of rows.
Importing the same files twice writes nothing the second time.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from sicollect.core import audit, domain
from sicollect.core.faults import fault_point
from sicollect.core.months import Month
from sicollect.registry.models import (
    Commune,
    Office,
    Ownership,
    Participation,
    Person,
    Unit,
    UnitStatus,
)

from .importing import (
    BulkWriter,
    Changes,
    FileCounts,
    FileHandler,
    FileKind,
    fetch,
    ids,
    max_length,
    registered_files,
)
from .payments_import import PAYMENTS
from .rows import Cells, ImportError_, ImportErrors, Table, read_table

#: The registry's files, in the order they are applied (references point backwards).
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
}


#: Columns a file may have besides its own: a unit's contacts for notices (core.domain.email and
#: vn_mobile). A file without them leaves the stored contacts as they are.
OPTIONAL: dict[str, tuple[str, ...]] = {"units.csv": ("email", "phone")}


def _header(path: Path) -> list[str]:
    """The lower-cased header of a CSV file (empty when unreadable: read_table reports it)."""
    import csv

    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [h.strip().lower() for h in next(csv.reader(fh), [])]
    except (UnicodeDecodeError, csv.Error, OSError):
        return []


def file_kinds() -> list[FileKind]:
    """The files after the registry's, in the order they are checked and written."""
    return [PAYMENTS, *registered_files()]


def file_names() -> tuple[str, ...]:
    """Every file an import reads, in order."""
    return (*COLUMNS, *(kind.name for kind in file_kinds()))


# Accepted spellings (compared after NFC normalisation, stripping and lower-casing).
OWNERSHIPS: dict[str, str] = {v: v for v in Ownership.values}
STATUSES: dict[str, str] = {v: v for v in UnitStatus.values} | {
    "dissolution-in-progress": UnitStatus.DISSOLVING.value,
}
REGIONS: dict[str, int] = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
CYCLES: dict[str, int] = {"monthly": 1, "3-monthly": 3, "6-monthly": 6, "1": 1, "3": 3, "6": 6}
SEXES: dict[str, str] = {"m": "M", "f": "F", "nam": "M", "nữ": "F"}
RETRO: dict[str, bool] = {"": False, "0": False, "1": True}


# --------------------------------------------------------------------------- results


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
    email: str = ""
    phone: str = ""


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


# --------------------------------------------------------------------------- the import


class _Importer(BulkWriter):
    """Validate a directory of CSV files (``check_*``), then write it (``write_*``).

    Also the :class:`.importing.ImportContext` of the other files' handlers.
    """

    def __init__(self, directory: Path, progress: bool) -> None:
        super().__init__(progress)
        self.directory = directory
        self.errors: list[ImportError_] = []
        self.warnings: list[str] = []
        self.tables: dict[str, Table] = {}
        # Codes known either to the database or to this import, for reference checks.
        self.office_codes: set[str] = set()
        self.commune_codes: set[str] = set()
        self.unit_codes: set[str] = set()
        self.si_codes: set[str] = set()
        # Database ids of rows the files refer to, and their current state.
        self.units_db: dict[str, tuple[int, tuple[Any, ...]]] = {}
        self.persons_db: dict[str, tuple[int, tuple[Any, ...]]] = {}
        self.unit_offices: dict[str, str] | None = None  # unit code → office code after the import
        # What to write.
        self.offices: Changes[OfficeRow] = Changes()
        self.communes: Changes[CommuneRow] = Changes()
        self.auto_communes: list[str] = []
        self.units: Changes[UnitRow] = Changes()
        self.persons: Changes[PersonRow] = Changes()
        self.participations: Changes[ParticipationRow] = Changes()
        # The files after the registry's: their handlers, and what their writes did.
        self.kinds = file_kinds()
        self.handlers: dict[str, FileHandler] = {}
        self.written: dict[str, FileCounts] = {}
        self.affected_units: set[str] = set()
        self.bounds = domain.bounds()  # the input domain's date window (core.domain)

    # ---- plumbing

    def read(self) -> None:
        columns = {**COLUMNS, **{kind.name: kind.columns for kind in self.kinds}}
        for name, expected in columns.items():
            path = self.directory / name
            if path.is_file():
                present = set(_header(path))
                expected = (*expected, *(c for c in OPTIONAL.get(name, ()) if c in present))
                self.tables[name] = read_table(path, expected, self.errors)
        for path in sorted(self.directory.glob("*.csv")):
            if path.name not in columns:
                self.warnings.append(f"{path.name}: ignored (not one of {', '.join(columns)})")

    def rows(self, table: Table) -> Iterator[Cells]:
        """The well-shaped rows of a file, ready to parse."""
        for row in self.bar(table.rows, table.name):
            if row.ok:
                yield Cells(table, row, self.errors, self.bounds)

    def keys(self, name: str, column: str) -> set[str]:
        table = self.tables.get(name)
        return table.keys(column) if table else set()

    def unit_office(self, code: str) -> str | None:
        """The office code unit ``code`` will have once this import is written (units.csv, else the
        database), or None for a unit known to neither."""
        if self.unit_offices is None:  # built once, after check_units (files are checked in order)
            self.unit_offices = {c: state[2] for c, (_, state) in self.units_db.items()}  # office__code
            self.unit_offices.update((r.code, r.office) for r in self.units.all())
        return self.unit_offices.get(code)

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
        ):
            check()
            if name in self.tables:
                self.tables[name].rows.clear()
        for kind in self.kinds:
            table = self.tables.get(kind.name)
            if table is not None:
                self.handlers[kind.name] = handler = kind.handler()
                handler.check(table, self)
                table.rows.clear()

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
            code = c.text("office_code", max_length(Office, "code"))
            name = c.text("name", max_length(Office, "name"))
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
        self.create(Office, self.offices.create, lambda r: Office(code=r.code, name=r.name))
        ids = dict(Office.objects.values_list("code", "pk"))

        def link(r: OfficeRow, pk: int) -> Office:
            return Office(pk=pk, name=r.name, parent_id=ids[r.parent] if r.parent else None)

        linked = [(ids[r.code], r) for r in self.offices.create if r.parent] + self.offices.update
        self.update(Office, linked, link, ["name", "parent"])

    # ---- communes

    def check_communes(self) -> None:
        wanted = self.keys("communes.csv", "commune_code") | self.keys(
            "persons.csv", "commune_code"
        )
        existing = {
            code: (pk, (name, office))
            for pk, code, name, office in fetch(
                Commune.objects.all(), "code", wanted, ("pk", "code", "name", "office__code")
            )
        }
        self.commune_codes = set(existing) | self.keys("communes.csv", "commune_code")
        table = self.tables.get("communes.csv")
        if table is None:
            return
        first: dict[str, int] = {}
        for c in self.rows(table):
            code = c.text("commune_code", max_length(Commune, "code"))
            name = c.text("name", max_length(Commune, "name"))
            office = c.raw("office_code") or None
            if code:
                c.unique("commune_code", code, first, repr(code))
            c.known("office_code", office, self.office_codes, "office")
            if c.ok:
                row = CommuneRow(code, name, office)
                self.communes.classify(row, existing.get(code), (name, office))

    def write_communes(self) -> None:
        offices = ids(Office, "code", {r.office for r in self.communes.all() if r.office})

        def build(r: CommuneRow, pk: int | None = None) -> Commune:
            return Commune(
                pk=pk, code=r.code, name=r.name, office_id=offices[r.office] if r.office else None
            )

        auto = [CommuneRow(code, code, None) for code in self.auto_communes]
        self.create(Commune, self.communes.create + auto, build)
        self.update(Commune, self.communes.update, build, ["name", "office"])

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
            "email",
            "phone",
        )
        self.units_db = {
            code: (pk, tuple(rest))
            for pk, code, *rest in fetch(
                Unit.objects.all(), "code", wanted, ("pk", "code", *fields)
            )
        }
        self.unit_codes = set(self.units_db) | self.keys("units.csv", "unit_code")
        table = self.tables.get("units.csv")
        if table is None:
            return
        first: dict[str, int] = {}
        for c in self.rows(table):
            code = c.text("unit_code", max_length(Unit, "code"))
            if code:
                c.unique("unit_code", code, first, repr(code))
            name = c.text("name", max_length(Unit, "name"))
            tax_code = c.text("tax_code", max_length(Unit, "tax_code"), required=False)
            office = c.text("office_code", max_length(Office, "code"))
            c.known("office_code", office, self.office_codes, "office")
            ownership = c.choice("ownership", OWNERSHIPS, Ownership.values)
            status = c.choice("status", STATUSES, STATUSES)
            region = c.choice("region", REGIONS, ("I", "II", "III", "IV", "1", "2", "3", "4"))
            cycle = c.choice("payment_cycle", CYCLES, CYCLES)
            registered_on = c.within(
                "registered_on", c.date("registered_on"), domain.registered_date
            )
            stored = self.units_db.get(code)
            email, phone = stored[1][8:10] if stored else ("", "")  # no column: as stored
            if "email" in table.index:
                email = self._contact(c, "email", domain.email)
            if "phone" in table.index:
                phone = self._contact(c, "phone", domain.vn_mobile)
            if c.ok:
                assert ownership and status and region and cycle and registered_on
                row = UnitRow(
                    code, name, tax_code, office, ownership, status, region, cycle, registered_on,
                    email, phone,
                )
                state = (
                    name, tax_code, office, ownership, status, region, cycle, registered_on, email, phone,
                )
                self.units.classify(row, self.units_db.get(code), state)

    @staticmethod
    def _contact(c: Cells, name: str, check: Any) -> str:
        """A contact cell through its core.domain check (the one every door uses)."""
        try:
            return str(check(c.cell(name)))
        except domain.DomainError as exc:
            c.error(name, str(exc))
            return ""

    def write_units(self) -> None:
        offices = ids(Office, "code", {r.office for r in self.units.all()})

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
                email=r.email,
                phone=r.phone,
            )

        self.create(Unit, self.units.create, build)
        self.update(
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
                "email",
                "phone",
            ],
        )

    # ---- persons

    def check_persons(self) -> None:
        wanted = self.keys("persons.csv", "si_code") | self.keys("participations.csv", "si_code")
        fields = ("national_id", "full_name", "birth_date", "sex", "commune__code")
        self.persons_db = {
            code: (pk, tuple(rest))
            for pk, code, *rest in fetch(
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
            si_code = c.text("si_code", max_length(Person, "si_code"))
            if si_code:
                c.unique("si_code", si_code, first, repr(si_code))
                c.within("si_code", si_code, lambda v, _b: domain.si_code(v))
            national_id = c.text("national_id", max_length(Person, "national_id"), required=False)
            c.within("national_id", national_id or None, lambda v, _b: domain.national_id(v))
            full_name = c.text("full_name", max_length(Person, "full_name"))
            birth_date = c.within(
                "birth_date", c.date("birth_date", required=False), domain.birth_date
            )
            sex = c.choice("sex", SEXES, ("M", "F", "Nam", "Nữ"))
            commune = c.text("commune_code", max_length(Commune, "code"), required=False) or None
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
        communes = ids(Commune, "code", {r.commune for r in self.persons.all() if r.commune})

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

        self.create(Person, self.persons.create, build)
        self.update(
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
        self, table: Table
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
            for pk, si_code, unit, from_month, declared_on, *state in fetch(
                Participation.objects.all(), "unit__code", units, fields
            )
            if si_code in persons
        }

    def write_participations(self) -> None:
        rows = list(self.participations.all())
        persons = ids(Person, "si_code", {r.si_code for r in rows})
        units = ids(Unit, "code", {r.unit for r in rows})

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

        self.create(Participation, self.participations.create, build)
        self.update(
            Participation,
            self.participations.update,
            build,
            ["to_month", "wage", "si", "hi", "ui", "oadi", "retro_interest"],
        )

    # ---- writing

    def write(self) -> None:
        self.write_offices()
        self.write_communes()
        self.write_units()
        self.write_persons()
        fault_point("import:persons-written")
        self.write_participations()
        for name, handler in self.handlers.items():
            self.written[name] = handler.write(self)

    def report(self) -> ImportReport:
        changes: dict[str, Changes[Any]] = {
            "offices.csv": self.offices,
            "communes.csv": self.communes,
            "units.csv": self.units,
            "persons.csv": self.persons,
            "participations.csv": self.participations,
        }
        counts = {name: c.counts() for name, c in changes.items() if name in self.tables}
        affected = {r.code for r in self.units.all()}
        affected |= {r.unit for r in self.participations.all()}
        affected |= self.affected_units
        return ImportReport(
            files=counts | self.written,
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
            order = {name: i for i, name in enumerate(file_names())}
            errors = sorted(importer.errors, key=lambda e: (order.get(e.file, len(order)), e.line))
            raise ImportErrors(errors, importer.warnings)
        fault_point("import:checked")
        try:
            importer.write()
        except ImportErrors as exc:  # a file's write found the whole wrong (plans that do not sum)
            raise ImportErrors(exc.errors, importer.warnings) from None
        fault_point("import:written")
        report = importer.report()
        if any(c.created or c.updated for c in report.files.values()):  # a no-op rerun records nothing
            audit.record("import_dir", actor, "import", path.name, source=str(path.resolve()),
                         after={name: str(c) for name, c in report.files.items()},
                         units=len(report.affected_units))
        fault_point("import:before-commit")
    return report
