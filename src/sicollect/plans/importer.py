"""``sicollect plan import FILE``: plan targets from xlsx or CSV, all or nothing, idempotent.

Columns (English or Vietnamese headers): ``year`` (năm), ``office_code`` (mã cơ quan),
``point_code`` (điểm thu, optional), ``officer`` (cán bộ: the user name, optional), ``indicator``
(chỉ tiêu: one of :class:`plans.models.Indicator`), ``value`` (giá trị; đồng for revenue, persons
for participants, hundredths of a per cent for the debt ratio ceiling). A row with neither point
nor officer is the office's target; with one of them it is that point's or officer's, which must
belong to the office.

Every row is checked first and every problem reported as ``file:line: field: reason``; then the
resulting plan is checked as a whole (children summing to their parent, :func:`targets.check`) and
any difference is reported against the file's last row of that indicator. Anything wrong: nothing
is written. The same file twice writes nothing the second time.

``plans.csv`` of ``sicollect import DIR`` (office targets: ``year, office_code, indicator, value``)
goes through the same row checks, writes and sum check (:class:`PlansCsv`, registered with the
directory import by :meth:`plans.apps.PlansConfig.ready`): its rows may name offices that the same
import's ``offices.csv`` creates, its errors are listed with the other files', and plans whose
children do not sum to their parent roll the whole import back.
"""
from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from sicollect.core import audit, domain
from sicollect.coverage.models import CollectionAgent
from sicollect.exchange.importing import FileCounts, ImportContext
from sicollect.exchange.rows import ImportError_, ImportErrors, Table
from sicollect.exchange.tabular import SheetCells, cells_of, read_sheet
from sicollect.registry.models import Office

from .models import Assignment, Indicator, PlanTarget
from .targets import check

ALIASES = {"nam": "year", "ma_co_quan": "office_code", "co_quan": "office_code", "office": "office_code",
           "diem_thu": "point_code", "ma_diem_thu": "point_code", "point": "point_code",
           "can_bo": "officer", "can_bo_thu": "officer", "chi_tieu": "indicator", "gia_tri": "value",
           "ke_hoach": "value"}
INDICATORS = {v: v for v in Indicator.values}
#: the columns of ``plans.csv`` in ``sicollect import DIR`` (office targets only)
CSV_COLUMNS = ("year", "office_code", "indicator", "value")

#: one checked row: (line, (year, office code, point code, officer, indicator), value)
PlanRow = tuple[int, tuple[Any, ...], int]

class _Lookups:
    """The offices, collection points and officers rows may name, each loaded on first use."""

    @functools.cached_property
    def office_ids(self) -> dict[str, int]:
        return dict(Office.objects.values_list("code", "pk"))

    @functools.cached_property
    def parents(self) -> dict[str, int | None]:
        return dict(Office.objects.values_list("code", "parent_id"))

    @functools.cached_property
    def agents(self) -> dict[str, Any]:
        return {a.code: a for a in CollectionAgent.objects.all()}

    @functools.cached_property
    def users(self) -> dict[str, Any]:
        return {u.username: u for u in
                get_user_model().objects.select_related("staff").filter(staff__isnull=False)}


def _check_rows(cells: Iterable[SheetCells], offices: Collection[str], look: _Lookups,
                managed: Collection[int] | None = None) -> list[PlanRow]:
    """The rows that passed every check; each problem recorded on its cells. ``offices``: the office
    codes a row may name; ``managed`` (None: any): the ids of the offices whose children the rows may
    plan for (an office row: an office under one of them; a point or officer row: one of them)."""
    seen: dict[Any, int] = {}
    rows: list[PlanRow] = []
    for c in cells:
        year = c.year("year")
        code = c.text("office_code", 20)
        c.known("office_code", code, offices, "office")
        point = c.raw("point_code")
        officer = c.raw("officer")
        indicator = c.choice("indicator", INDICATORS, Indicator.values)
        value = c.integer("value", minimum=0, maximum=domain.MAX_PLAN_VALUE)  # core.domain
        if point and officer:
            c.error("point_code", "a row is for a point or for an officer, not both")
        office_id = look.office_ids.get(code) if point or officer else None
        if point:
            if point not in look.agents:
                c.error("point_code", f"unknown collection point {point!r}")
            elif office_id is not None and look.agents[point].office_id != office_id:
                c.error("point_code", f"point {point} belongs to another office, not {code}")
        if officer:
            if officer not in look.users:
                c.error("officer", f"unknown officer {officer!r} (a user with a staff profile)")
            elif office_id is not None and look.users[officer].staff.office_id != office_id:
                c.error("officer", f"{officer} works at another office, not {code}")
        if managed is not None and c.ok:
            mine = (look.office_ids.get(code) if point or officer else look.parents.get(code)) in managed
            if not mine:
                c.error("office_code", f"{code}: you may plan only for the children of your own office "
                                       f"(its points and officers, or the offices under it)")
        if not c.ok:
            continue
        key = (year, code, point or None, officer or None, indicator)
        field = "+".join(("year", "office_code", *(["point_code"] if point else []),
                          *(["officer"] if officer else []), "indicator"))
        c.unique(field, key, seen, f"target {year} {code} {point or officer or ''} {indicator}".replace("  ", " "))
        if c.ok:
            rows.append((c.line, key, int(value)))  # type: ignore[arg-type]
    return rows


def _write_rows(rows: list[PlanRow], look: _Lookups) -> FileCounts:
    """Create or update each row's target (inside the caller's transaction)."""
    result = FileCounts()
    offices = {o.code: o for o in Office.objects.filter(code__in={k[1] for _l, k, _v in rows})}
    for _line, (year, code, point, officer, indicator), value in rows:
        office = offices[code]
        if point:
            obj, made = Assignment.objects.get_or_create(
                year=year, agent=look.agents[point], indicator=indicator,
                defaults={"value": value, "office": office})
        elif officer:
            obj, made = Assignment.objects.get_or_create(
                year=year, officer=look.users[officer], indicator=indicator,
                defaults={"value": value, "office": office})
        else:
            obj, made = PlanTarget.objects.get_or_create(year=year, office=office, indicator=indicator,
                                                         defaults={"value": value})
        if made:
            result.created += 1
        elif obj.value != value:
            obj.value = value
            obj.save(update_fields=["value"])
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def _sum_problems(name: str, rows: list[PlanRow]) -> list[ImportError_]:
    """The plan as written, checked whole (:func:`targets.check`) for the years the rows touch: each
    split whose children do not sum, on the file's last row of that year and indicator."""
    problems = []
    for year in sorted({k[0] for _l, k, _v in rows}):
        for message in check(year):
            indicator = message.split(":")[0].split(" ")[1]
            last = max((ln for ln, k, _v in rows if k[0] == year and k[4] == indicator), default=None)
            if last is not None:
                problems.append(ImportError_(name, last, "value", message))
    return problems


def import_plans(path: Path, actor: str = "", managed: Collection[int] | None = None) -> FileCounts:
    """Read, check and write; raise :class:`ImportErrors` (nothing written) on any problem. ``actor``:
    who the audit row names; ``managed``: see :func:`_check_rows` (a grassroots manager's offices)."""
    path = Path(path)
    errors: list[ImportError_] = []
    table = read_sheet(path, ("year", "office_code", "indicator", "value"), ("point_code", "officer"),
                       ALIASES, errors)
    look = _Lookups()
    rows = _check_rows(cells_of(table, errors), look.office_ids, look, managed)
    if errors:
        raise ImportErrors(sorted(errors))
    with transaction.atomic():
        result = _write_rows(rows, look)
        problems = _sum_problems(table.name, rows)
        if problems:
            raise ImportErrors(problems)
        audit.record("import_plans", actor, "plan_file", table.name, source=f"file {table.name}",
                     years=sorted({k[0] for _l, k, _v in rows}), rows=len(rows), created=result.created,
                     updated=result.updated, unchanged=result.unchanged)
    return result


class PlansCsv:
    """``plans.csv`` in ``sicollect import DIR``: checked with the other files (offices may come from the
    same import's ``offices.csv``), written after them in the same transaction, then checked whole."""

    def __init__(self) -> None:
        self.name = "plans.csv"
        self.rows: list[PlanRow] = []
        self.look = _Lookups()

    def check(self, table: Table, context: ImportContext) -> None:
        self.name = table.name
        self.rows = _check_rows(cells_of(table, context.errors), context.office_codes, self.look)

    def write(self, context: ImportContext) -> FileCounts:
        result = _write_rows(self.rows, self.look)
        problems = _sum_problems(self.name, self.rows)
        if problems:
            raise ImportErrors(problems)
        return result
