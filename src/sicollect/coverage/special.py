"""Importing the special-group lists communes prepare (e.g. permanent militia members).

Columns (English or Vietnamese headers): ``group`` (nhóm: militia, village_official,
commune_official, other), ``commune_code`` (mã xã), ``national_id`` (số CCCD, 12 digits),
``full_name`` (họ tên), ``birth_date`` (ngày sinh, optional), ``listed_on`` (ngày lập danh sách).
A member is keyed by group, commune and national ID and matched to a registry person by national
ID. All or nothing, every error as ``file:line: field: reason``; the same file twice changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from sicollect.core import domain
from sicollect.exchange.rows import ImportError_, ImportErrors
from sicollect.exchange.tabular import cells_of, read_sheet
from sicollect.registry.models import Commune, Person

from .models import SpecialGroup, SpecialGroupMember

ALIASES = {"nhom": "group", "ma_xa": "commune_code", "xa": "commune_code", "so_cccd": "national_id",
           "cccd": "national_id", "ho_ten": "full_name", "ho_va_ten": "full_name", "ngay_sinh": "birth_date",
           "ngay_lap_danh_sach": "listed_on", "ngay_lap": "listed_on"}
GROUPS = {v: v for v in SpecialGroup.values}
_ID = re.compile(r"[0-9]{12}")


@dataclass
class SpecialImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def import_special(path: Path) -> SpecialImportResult:
    path = Path(path)
    errors: list[ImportError_] = []
    table = read_sheet(path, ("group", "commune_code", "national_id", "full_name", "listed_on"), ("birth_date",),
                       ALIASES, errors)
    communes = dict(Commune.objects.values_list("code", "pk"))
    rows = []
    seen: dict[object, int] = {}
    for c in cells_of(table, errors):
        group = c.choice("group", GROUPS, SpecialGroup.values)
        commune = c.text("commune_code", 20)
        c.known("commune_code", commune, communes, "commune")
        nid = c.raw("national_id")
        if not _ID.fullmatch(nid):
            c.error("national_id", f"must be 12 digits, got {nid!r}")
        name = c.text("full_name", 200)
        born = c.within("birth_date", c.date("birth_date", required=False), domain.birth_date)  # core.domain
        listed = c.date("listed_on")
        if c.ok:
            c.unique("national_id", (group, commune, nid), seen, f"member {nid} of {group} in {commune}")
        if c.ok:
            rows.append((group, communes[commune], nid, name, born, listed))
    if errors:
        raise ImportErrors(sorted(errors))
    persons = dict(Person.objects.filter(national_id__in=[r[2] for r in rows]).values_list("national_id", "pk"))
    result = SpecialImportResult()
    with transaction.atomic():
        for group, commune_id, nid, name, born, listed in rows:
            values = {"full_name": name, "birth_date": born, "listed_on": listed, "person_id": persons.get(nid)}
            obj, made = SpecialGroupMember.objects.get_or_create(group=group, commune_id=commune_id, national_id=nid,
                                                                 defaults=values)
            if made:
                result.created += 1
            elif any(getattr(obj, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(obj, k, v)
                obj.save()
                result.updated += 1
            else:
                result.unchanged += 1
    return result
