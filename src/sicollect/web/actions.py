"""State changes made from the web app: one ``do_<verb>`` each, atomic, with an audit row."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from sicollect.core import audit
from sicollect.registry.models import Unit


def do_assign_units(units: list[Unit], officer: Any | None, actor: str) -> int:
    """Put ``officer`` (None: nobody) in charge of ``units``; returns how many changed hands."""
    new_id = officer.pk if officer is not None else None
    changing = [u for u in units if u.officer_id != new_id]
    if not changing:
        return 0
    with transaction.atomic():
        Unit.objects.filter(pk__in=[u.pk for u in changing]).update(officer_id=new_id)
        audit.record_many([audit.event("assign_officer", actor, "unit", u.code, unit_code=u.code,
                                       before={"officer": u.officer_id}, after={"officer": new_id})
                           for u in changing])
    return len(changing)
