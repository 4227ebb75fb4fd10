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
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from sicollect.core import domain
from sicollect.coverage.models import CollectionAgent
from sicollect.exchange.csv_import import ImportError_, ImportErrors
from sicollect.exchange.tabular import cells_of, read_sheet
from sicollect.registry.models import Office

from .models import Assignment, Indicator, PlanTarget
from .targets import check

ALIASES = {"nam": "year", "ma_co_quan": "office_code", "co_quan": "office_code", "office": "office_code",
           "diem_thu": "point_code", "ma_diem_thu": "point_code", "point": "point_code",
           "can_bo": "officer", "can_bo_thu": "officer", "chi_tieu": "indicator", "gia_tri": "value",
           "ke_hoach": "value"}
INDICATORS = {v: v for v in Indicator.values}


@dataclass
class PlanImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def import_plans(path: Path) -> PlanImportResult:
    """Read, check and write; raise :class:`ImportErrors` (nothing written) on any problem."""
    path = Path(path)
    errors: list[ImportError_] = []
    table = read_sheet(path, ("year", "office_code", "indicator", "value"), ("point_code", "officer"),
                       ALIASES, errors)
    offices = {o.code: o for o in Office.objects.all()}
    agents = {a.code: a for a in CollectionAgent.objects.all()}
    users = {u.username: u for u in get_user_model().objects.select_related("staff").filter(staff__isnull=False)}
    seen: dict[Any, int] = {}
    rows: list[tuple[int, tuple[Any, ...], int]] = []  # line, key, value
    for c in cells_of(table, errors):
        year = c.year("year")
        code = c.text("office_code", 20)
        c.known("office_code", code, offices, "office")
        point = c.raw("point_code")
        officer = c.raw("officer")
        indicator = c.choice("indicator", INDICATORS, Indicator.values)
        value = c.integer("value", minimum=0, maximum=domain.MAX_PLAN_VALUE)  # core.domain
        if point and officer:
            c.error("point_code", "a row is for a point or for an officer, not both")
        if point:
            if point not in agents:
                c.error("point_code", f"unknown collection point {point!r}")
            elif code in offices and agents[point].office_id != offices[code].pk:
                c.error("point_code", f"point {point} belongs to another office, not {code}")
        if officer:
            if officer not in users:
                c.error("officer", f"unknown officer {officer!r} (a user with a staff profile)")
            elif code in offices and users[officer].staff.office_id != offices[code].pk:
                c.error("officer", f"{officer} works at another office, not {code}")
        if not c.ok:
            continue
        key = (year, code, point or None, officer or None, indicator)
        c.unique("indicator", key, seen, f"target {year} {code} {point or officer or ''} {indicator}".replace("  ", " "))
        if c.ok:
            rows.append((c.line, key, int(value)))  # type: ignore[arg-type]
    if errors:
        raise ImportErrors(sorted(errors))
    result = PlanImportResult()
    with transaction.atomic():
        for _line, (year, code, point, officer, indicator), value in rows:
            office = offices[code]
            if point:
                obj, made = Assignment.objects.get_or_create(
                    year=year, agent=agents[point], indicator=indicator,
                    defaults={"value": value, "office": office})
            elif officer:
                obj, made = Assignment.objects.get_or_create(
                    year=year, officer=users[officer], indicator=indicator,
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
        problems = []
        for year in sorted({k[0] for _l, k, _v in rows}):
            for message in check(year):
                indicator = message.split(":")[0].split(" ")[1]
                last = max((ln for ln, k, _v in rows if k[0] == year and k[4] == indicator), default=None)
                if last is not None:
                    problems.append(ImportError_(table.name, last, "value", message))
        if problems:
            raise ImportErrors(problems)
    return result
