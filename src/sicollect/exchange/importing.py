"""What the files of ``sicollect import DIR`` share: counts, database helpers, the file kinds.

The directory import (:mod:`.registry_import`) reads a fixed list of files: the registry's
(offices, communes, units, persons, participations), then ``payments.csv``
(:mod:`.payments_import`), then any file an app above this one registered with
:func:`register_file` (the plans app registers ``plans.csv`` in its ``ready()``). A registered
file kind gives its name, its columns and a fresh handler per import: the handler's ``check``
runs with the other files' checks (adding to the one error list, given the codes the import
knows from the database and from the files), its ``write`` inside the same transaction after
the files before it were written; ``write`` may raise :class:`.rows.ImportErrors` to roll the
whole import back.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from django.db import connection, models
from tqdm import tqdm

from sicollect.core import domain

from .rows import Cells, ImportError_, Table

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

CHUNK = 900  # codes per ``__in`` lookup: stays under SQLite's bound-parameter limit
BATCH = 1000  # rows per INSERT / executemany


# --------------------------------------------------------------------------- results


@dataclass
class FileCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


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

    def all(self) -> Iterator[T]:
        """The rows to write, new and changed."""
        yield from self.create
        yield from (r for _, r in self.update)


# --------------------------------------------------------------------------- database helpers


@functools.cache
def max_length(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of a model's text field (what :meth:`.rows.Cells.text` enforces)."""
    length = model._meta.get_field(name).max_length
    assert isinstance(length, int), f"{model.__name__}.{name} has no max_length"
    return length


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fetch(
    queryset: models.QuerySet[Any], key: str, values: Iterable[Any], fields: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``values_list(*fields)`` of the rows whose ``key`` is among ``values``, in chunks."""
    out: list[tuple[Any, ...]] = []
    for chunk in chunks(sorted(set(values))):
        out.extend(queryset.filter(**{f"{key}__in": chunk}).values_list(*fields))
    return out


def ids(model: type[models.Model], key: str, values: Iterable[str]) -> dict[str, int]:
    """``{code: id}`` for the given codes (after a bulk create, whatever the backend returned)."""
    return {code: pk for code, pk in fetch(model._default_manager.all(), key, values, (key, "pk"))}


class BulkWriter:
    """Bulk inserts and updates, with a transient progress bar on stderr when asked for."""

    def __init__(self, progress: bool) -> None:
        self.progress = progress

    def bar(self, items: Sequence[T], desc: str) -> Iterable[T]:
        """``items``, with a transient progress bar on stderr when asked for (a terminal)."""
        if not self.progress:
            return items
        wrapped: Iterable[T] = tqdm(items, desc=desc, file=sys.stderr, leave=False)
        return wrapped

    def create(self, model: type[M], rows: Sequence[T], build: Callable[[T], M]) -> None:
        """Insert ``build(row)`` for every row, building instances one batch at a time (memory)."""
        manager = model._default_manager
        for chunk in self.bar(list(chunks(rows, BATCH)), f"create {model._meta.model_name}"):
            manager.bulk_create([build(r) for r in chunk])

    def update(
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
            for chunk in self.bar(list(chunks(rows, BATCH)), f"update {opts.model_name}"):
                params = []
                for pk, row in chunk:
                    obj = build(row, pk)
                    values = [
                        f.get_db_prep_save(getattr(obj, f.attname), connection)  # type: ignore[union-attr]
                        for f in targets
                    ]
                    params.append([*values, pk])
                cursor.executemany(sql, params)


# --------------------------------------------------------------------------- file kinds


class ImportContext(Protocol):
    """What a file handler may use of the import it is part of."""

    errors: list[ImportError_]  # every file's errors, reported together
    warnings: list[str]
    bounds: domain.Bounds
    office_codes: set[str]  # offices in the database or in offices.csv
    unit_codes: set[str]  # units in units.csv, or in the database and named by a file
    affected_units: set[str]  # units whose payments (or registration) this import changes

    def rows(self, table: Table) -> Iterator[Cells]:
        """The well-shaped rows of ``table``, ready to parse (a progress bar when asked for)."""
        ...

    def create(self, model: type[M], rows: Sequence[T], build: Callable[[T], M]) -> None: ...

    def unit_office(self, code: str) -> str | None:
        """The office code of unit ``code`` once the import is written (None: an unknown unit)."""
        ...


class FileHandler(Protocol):
    """One file of one import: ``check`` adds to ``context.errors``; ``write`` runs only when no
    file had an error, inside the import's transaction, and returns what it did (it may raise
    :class:`.rows.ImportErrors`: nothing of the import is then written)."""

    def check(self, table: Table, context: ImportContext) -> None: ...

    def write(self, context: ImportContext) -> FileCounts: ...


@dataclass(frozen=True)
class FileKind:
    name: str  # the file's name in the directory, e.g. "plans.csv"
    columns: tuple[str, ...]  # exactly these, in any order
    handler: Callable[[], FileHandler]  # a fresh handler for each import


_REGISTERED: dict[str, FileKind] = {}


def register_file(name: str, columns: Sequence[str], handler: Callable[[], FileHandler]) -> None:
    """Let ``sicollect import DIR`` read ``name`` after its own files (an app's ``ready()``)."""
    _REGISTERED[name] = FileKind(name, tuple(columns), handler)


def registered_files() -> list[FileKind]:
    """The file kinds apps registered, in registration order."""
    return list(_REGISTERED.values())
