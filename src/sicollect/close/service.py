"""The monthly close: lock, compute every open month through a given one, record aging, unlock.

A close writes all its months in one transaction: a crash or a refusal leaves
the ledger as it was before the close began, never a half-written month. Two
closes at once: the second finds the lock row and is refused with the holder's
name. A lock left by a killed close on this machine (its process is gone) is broken
by the next close, which says so; one from another machine with ``--break-lock``.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Min, Sum

from sicollect.contributions.debts import Scope, unit_debts_many
from sicollect.contributions.models import ClosedMonth, LedgerEntry, Payment
from sicollect.contributions.posting import post_units
from sicollect.core import audit
from sicollect.core.months import Month
from sicollect.registry.models import Participation, Unit

from . import steps
from .aging import bucket_of, class_of, load_bands
from .engines import Engine, EngineResult
from .models import CloseLock, MonthEndDebt, UnitDebtState
from .preflight import stored_values_outside

#: At most this many stored values outside the domain are named when the close refuses.
OUTSIDE_LIMIT = 20


class CloseError(Exception):
    """A close that cannot run; the message says why and what to do."""


class CloseRefused(CloseError):
    pass


class StoredValuesOutside(CloseError):
    """Rows the close cannot compute (``preflight.stored_values_outside``): named in ``lines``, nothing closed."""

    def __init__(self, lines: list[str], limit: int) -> None:
        self.lines = lines
        more = "+" if len(lines) >= limit else ""
        super().__init__(f"{len(lines)}{more} stored value(s) outside the input domain (core/domain.py): fix or "
                         "remove them first; nothing was closed")


@dataclass
class CloseSummary:
    months: list[str] = field(default_factory=list)
    units: int = 0
    entries: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)  # ledger kind → đồng posted in the closed months
    steps: dict[str, Any] = field(default_factory=dict)  # step name → what it returned (close.steps)
    note: str = ""  # e.g. the lock of a dead close was broken
    resumed_from: str = ""  # the closed month whose saved state the engine started from ("": from the first month)
    recomputed: int = 0  # units recomputed from their first month all the same (their closed months' data changed)

    @property
    def debt_state_changes(self) -> int:
        """Units whose bucket or class changed (the ``aging`` step)."""
        return int(self.steps.get("aging") or 0)

    @property
    def arrears(self) -> dict[str, Any]:
        """Cases synced, steps proposed (the ``arrears`` step, when the arrears app is installed)."""
        return self.steps.get("arrears") or {}

    def as_dict(self) -> dict[str, Any]:
        return {"months": self.months, "units": self.units, "entries": self.entries,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                "debt_state_changes": self.debt_state_changes, "amounts": self.amounts, "arrears": self.arrears,
                "resumed_from": self.resumed_from, "recomputed": self.recomputed}


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_is_dead(holder: str) -> bool:
    """True when ``holder`` (``host:pid``) names a process of this machine that no longer runs."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _refusal(lock: CloseLock | None) -> CloseRefused:
    who = f"{lock.holder} since {lock.acquired_at:%Y-%m-%d %H:%M}" if lock else "another process"
    return CloseRefused(
        f"another close is running ({who}); wait for it to finish. If that process is dead, "
        "run the close again with --break-lock."
    )


def acquire_lock(break_lock: bool = False) -> str:
    """Take the close lock; returns a note when a dead close's lock had to be broken first.

    The lock row is read before the insert: on SQLite a running close holds the write lock of the
    whole file, so the insert would wait and fail with "database is locked" rather than say who runs.
    """
    note = ""
    lock = CloseLock.objects.filter(name="close").first()
    if lock is not None and not break_lock:
        if not _holder_is_dead(lock.holder):
            raise _refusal(lock)
        note = f"broke the lock of a close that died ({lock.holder} since {lock.acquired_at:%Y-%m-%d %H:%M})"
        break_lock = True
    if break_lock:
        CloseLock.objects.filter(name="close").delete()
    try:
        with transaction.atomic():
            CloseLock.objects.create(name="close", holder=holder_name())
    except IntegrityError:
        raise _refusal(CloseLock.objects.filter(name="close").first()) from None
    except OperationalError as exc:  # SQLite: another writer holds the file past the timeout
        if "locked" not in str(exc):
            raise
        raise _refusal(None) from None
    return note


def pause_for_tests(point: str) -> None:
    """A test hook: with ``SICOLLECT_TEST_PAUSE=point:FILE`` the close, at ``point``, creates
    ``FILE.paused`` and waits while ``FILE`` exists (at most 10 minutes), so a test can kill it in
    the middle of its transaction or start a second close beside it (tests/close/test_robustness.py)."""
    spec = os.environ.get("SICOLLECT_TEST_PAUSE", "")
    where, _, path = spec.partition(":")
    if where != point or not path:
        return
    with open(path + ".paused", "w") as fh:
        fh.write(holder_name())
    deadline = time.monotonic() + 600
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def running_close() -> str:
    """Why a restore must wait: a close holds its lock (registered with ``core.backup``); "" when none."""
    return "a close is running (its lock is held)" if CloseLock.objects.exists() else ""


@contextmanager
def close_cache() -> Iterator[None]:
    """SQLite: the larger page cache of the close (``SqlTables.large_cache``) while it runs; elsewhere nothing."""
    if connection.vendor != "sqlite":
        yield
        return
    from .sql.dialect import dialect_for
    from .sql.tables import SqlTables

    with connection.cursor() as cur, SqlTables(cur, dialect_for(connection.vendor)).large_cache():
        yield


def release_lock() -> None:
    CloseLock.objects.filter(name="close", holder=holder_name()).delete()


def record_debt_states(days: list[date], computed: Mapping[date, list[Any]] | None = None) -> int:
    """Append a :class:`UnitDebtState` for every unit whose bucket or class changed, at each of ``days``,
    and keep each day's debts (:class:`MonthEndDebt`), one day at a time.

    ``computed``: the debts at those days as the engine left them (``close.sql.engine.MonthEndDebts``);
    without them (or for a day they lack) they are read from the ledger (``contributions.debts.unit_debts_many``)."""
    if not days:
        return 0
    buckets, classes = load_bands()
    latest: dict[int, tuple[str, str]] = {}
    for unit_id, bucket, klass in (UnitDebtState.objects.filter(since__lt=min(days)).order_by("unit_id", "since")
                                   .values_list("unit_id", "bucket", "debt_class")):
        latest[unit_id] = (bucket, klass)
    computed = computed or {}
    missing = sorted(day for day in days if day not in computed)
    from_ledger = unit_debts_many(Scope(None), missing) if missing else {}
    office_of = dict(Unit.objects.values_list("pk", "office_id"))
    changes = 0
    for as_of in sorted(days):
        found = computed[as_of] if as_of in computed else from_ledger[as_of]
        now: dict[int, tuple[str, str, int, int]] = {}
        for d in found:
            if d.late > 0:
                now[d.unit_id] = (bucket_of(d.months_late, buckets), class_of(d.months_late, d.status, classes),
                                  d.months_late, d.late)
        rows = []
        for unit_id in set(now) | set(latest):
            bucket, klass, months, late = now.get(unit_id, ("", "", 0, 0))
            if latest.get(unit_id, ("", "")) != (bucket, klass):
                rows.append(UnitDebtState(unit_id=unit_id, since=as_of, bucket=bucket, debt_class=klass,
                                          months_late=months, late_amount=late))
                latest[unit_id] = (bucket, klass)
        UnitDebtState.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        changes += len(rows)
        write_month_end_debts({as_of: found}, office_of)
    return changes


def write_month_end_debts(debts: Mapping[date, list[Any]], office_of: dict[int, int] | None = None) -> None:
    """Keep each closed month end's debts for the KPI report (see :class:`MonthEndDebt`): one
    ``executemany`` of plain rows (a model instance per row cost the monthly close ~0.4 s on the province)."""
    if office_of is None:
        office_of = dict(Unit.objects.values_list("pk", "office_id"))
    rows: list[tuple[Any, ...]] = []
    for as_of, found in debts.items():
        MonthEndDebt.objects.filter(as_of=as_of).delete()
        rest: dict[int, int] = {}
        for d in found:
            office_id = office_of[d.unit_id]
            if d.late > 0:
                rows.append((as_of, office_id, d.unit_id, d.outstanding, d.late, d.months_late))
            else:
                rest[office_id] = rest.get(office_id, 0) + d.outstanding
        rows += [(as_of, o, None, amount, 0, 0) for o, amount in rest.items()]
    if rows:
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {MonthEndDebt._meta.db_table} "
                            "(as_of, office_id, unit_id, outstanding, late, months_late) VALUES (%s, %s, %s, %s, %s, %s)",
                            rows)


def earliest_month() -> Month | None:
    starts = [Participation.objects.aggregate(m=Min("from_month"))["m"]]
    paid = Payment.objects.aggregate(d=Min("paid_on"))["d"]
    starts.append(Month.of(paid) if paid else None)
    found = [m for m in starts if m is not None]
    return min(found) if found else None


def amounts_posted(months: list[Month]) -> dict[str, int]:
    """What the closed months hold, per ledger kind (assessment, payment, interest, …), in đồng."""
    if not months:
        return {}
    rows = (LedgerEntry.objects.filter(period__gte=months[0], period__lte=months[-1])
            .values("kind").annotate(total=Sum("amount")).order_by("kind"))
    return {r["kind"]: int(r["total"]) for r in rows}


def aging_step(closed: steps.Closed) -> int:
    """The close's own step: every unit's bucket and class at each month end closed (``UnitDebtState``)
    and the debts kept for the KPI report (``MonthEndDebt``); returns the bucket/class changes."""
    return record_debt_states([m.last_day for m in closed.months], closed.debts)


def reference_engine(through: Month, closed_through: Month | None, progress: bool) -> EngineResult:
    """The per-unit calculator as an engine (``contributions.posting.post_units``): slow, the reference."""
    t0 = time.perf_counter()
    appended = post_units(Unit.objects.order_by("code"), through, progress=progress).appended
    return EngineResult(entries=appended, seconds={"ledger": time.perf_counter() - t0})


def close(through: Month, engine: Engine = reference_engine, progress: bool = False,
          break_lock: bool = False, actor: str = "") -> CloseSummary:
    """Close every open month through ``through``.

    Refused before anything is written when ``through`` is closed already, when another close runs, or when
    stored rows hold values the close cannot compute (:class:`StoredValuesOutside`, naming them)."""
    closed = ClosedMonth.last()
    if closed is not None and through <= closed:
        raise CloseRefused(f"{through} is already closed (closed through {closed}); nothing to do")
    started = time.perf_counter()
    outside = stored_values_outside(OUTSIDE_LIMIT)
    if outside:
        raise StoredValuesOutside(outside, OUTSIDE_LIMIT)
    note = acquire_lock(break_lock)
    # every second of the close under a name, so that the steps add up to its time: the pre-flight check
    # and the lock first, the engine's steps and those after it, then recording the months and the commit
    # (on SQLite the commit checkpoints the WAL: the pages the close changed written into the database
    # file and flushed to disk, 0.5 s of the province's monthly close)
    summary = CloseSummary(note=note, seconds={"preflight and lock": time.perf_counter() - started})
    result: EngineResult | None = None
    try:
        # SQLite: the close's page cache for the whole transaction, not the engine's part only: shrunk back
        # while the transaction still held the engine's changed pages, the steps after it (aging, arrears)
        # spilled them to the WAL first (aging 0.28 → 0.11 s a month on the province)
        with close_cache(), transaction.atomic():
            t0 = time.perf_counter()
            result = engine(through, closed, progress)
            pause_for_tests("ledger")  # the ledger is written, nothing committed yet
            summary.entries = result.entries
            summary.seconds.update(result.seconds)
            summary.resumed_from = str(result.resumed_from) if result.resumed_from else ""
            summary.recomputed = result.recomputed
            first = (closed + 1) if closed else (earliest_month() or through)
            months = [Month.from_index(i) for i in range(first.index, through.index + 1)]
            done = steps.Closed(months, result.debts, persons=result.persons, columnar=result.columnar)
            for step in steps.registered():
                t0 = time.perf_counter()
                summary.steps[step.name] = step.run(done)
                summary.seconds[step.name] = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary.units = Unit.objects.count()
            summary.months = [str(m) for m in months]
            summary.amounts = amounts_posted(months)
            for m in months:
                ClosedMonth.objects.create(month=m, summary=summary.as_dict())
            audit.record("close", actor, "close", f"{months[0]}…{months[-1]}", source="sicollect close",
                         before={"closed_through": str(closed) if closed else None},
                         after={"closed_through": str(through), "amounts": summary.amounts,
                                "entries": summary.entries})
        summary.seconds["record and commit"] = time.perf_counter() - t0
    finally:
        if result is not None and result.columnar is not None:
            result.columnar.close()
        release_lock()
    return summary
