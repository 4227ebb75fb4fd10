"""Coverage where people live: HI vs the population and SI vs the working-age labour force, per
commune and per office (the communes an office serves), and the special-group lists of communes.

Persons count in the commune they live in (``Person.commune``; household members without one in
their household's commune), whatever office manages their unit; one query for all communes.
Population and labour force are the commune's figures (``registry.Commune``).

    HI 4 persons of a commune of 10 → 40.00 %; SI 3 of a labour force of 8 → 37.50 %.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sicollect.core.money import pct
from sicollect.core.months import Month
from sicollect.registry.models import Commune, Office

from .counts import counts_by, zero


@dataclass
class AreaRow:
    code: str
    name: str
    office: str
    population: int
    labour_force: int
    hi: int
    si_total: int
    si_compulsory: int
    si_voluntary: int

    @property
    def hi_pct(self) -> float | None:
        return pct(self.hi, self.population)

    @property
    def si_pct(self) -> float | None:
        return pct(self.si_total, self.labour_force)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "hi_pct_population": self.hi_pct, "si_pct_labour_force": self.si_pct}


def by_commune(as_of: date, office_ids: Iterable[int] | None = None) -> list[AreaRow]:
    """One row per commune (of the offices ``office_ids``, else all), by code."""
    communes = Commune.objects.select_related("office").order_by("code")
    if office_ids is not None:
        communes = communes.filter(office_id__in=list(office_ids))
    found = counts_by("commune", as_of)
    rows = []
    for c in communes:
        n = found.get(c.pk, zero())
        rows.append(AreaRow(c.code, c.name, c.office.code if c.office else "", c.population or 0,
                            c.labour_force or 0, n["hi"], n["si_total"], n["si_compulsory"], n["si_voluntary"]))
    return rows


def by_office(as_of: date, office_ids: Iterable[int] | None = None) -> list[AreaRow]:
    """One row per grassroots office: the sums of its communes' rows."""
    offices = Office.objects.filter(parent__isnull=False).order_by("code")
    if office_ids is not None:
        offices = offices.filter(pk__in=list(office_ids))
    communes = by_commune(as_of, [o.pk for o in offices])
    out = []
    for o in offices:
        mine = [r for r in communes if r.office == o.code]
        out.append(AreaRow(o.code, o.name, o.code, *(sum(getattr(r, f) for r in mine) for f in (
            "population", "labour_force", "hi", "si_total", "si_compulsory", "si_voluntary"))))
    return out


# --------------------------------------------------------------------------- special groups


STATUS_SQL_FIELDS = ("hi", "si_compulsory", "si_voluntary")


def special_status(as_of: date, group: str | None = None, office_ids: Iterable[int] | None = None
                   ) -> list[dict[str, Any]]:
    """Every member of the special-group lists with what they have at ``as_of``: HI, compulsory SI,
    voluntary SI (``None`` when the national ID matches no person in the registry). Two queries."""
    from django.db import connection

    from .counts import COVERED_SQL
    from .models import SpecialGroupMember

    qs = SpecialGroupMember.objects.select_related("commune", "person").order_by("group", "commune__code",
                                                                                 "full_name")
    if group:
        qs = qs.filter(group=group)
    if office_ids is not None:
        qs = qs.filter(commune__office_id__in=list(office_ids))
    members = list(qs)
    with connection.cursor() as cur:
        cur.execute(COVERED_SQL + " SELECT DISTINCT c.person_id, c.scheme FROM covered c "
                    "JOIN coverage_specialgroupmember s ON s.person_id = c.person_id",
                    {"m": Month.of(as_of).first_day.isoformat(), "d": as_of.isoformat()})
        has: dict[int, set[str]] = {}
        for person_id, scheme in cur.fetchall():
            has.setdefault(person_id, set()).add(scheme)
    out = []
    for m in members:
        schemes = has.get(m.person_id, set()) if m.person_id else None
        out.append({
            "group": m.group, "commune": m.commune.code, "commune_name": m.commune.name,
            "national_id": m.national_id, "full_name": m.full_name,
            "si_code": m.person.si_code if m.person else None,
            **{f: (f in schemes) if schemes is not None else None for f in STATUS_SQL_FIELDS},
        })
    return out


def special_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per group and commune: listed, found in the registry, with HI, with SI (compulsory or voluntary)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        s = out.setdefault((r["group"], r["commune"]), {"group": r["group"], "commune": r["commune"],
                                                        "listed": 0, "found": 0, "hi": 0, "si": 0})
        s["listed"] += 1
        s["found"] += r["si_code"] is not None
        s["hi"] += bool(r["hi"])
        s["si"] += bool(r["si_compulsory"] or r["si_voluntary"])
    return [out[k] for k in sorted(out)]
