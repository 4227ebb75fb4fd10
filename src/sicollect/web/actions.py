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


def do_save_filter(user: Any, name: str, query: str) -> Any:
    """Save ``query`` (a worklist query string) as ``user``'s filter ``name``; the same name again replaces it."""
    from .models import SavedFilter

    with transaction.atomic():
        before = SavedFilter.objects.filter(user=user, name=name).values_list("query", flat=True).first()
        saved, _created = SavedFilter.objects.update_or_create(user=user, name=name, defaults={"query": query})
        audit.record("save_filter", audit.actor_name(user), "saved_filter", saved.pk,
                     before={"query": before} if before is not None else None, after={"name": name, "query": query})
    return saved


def do_delete_filter(saved: Any, actor: str) -> None:
    """Delete a saved filter."""
    with transaction.atomic():
        audit.record("delete_filter", actor, "saved_filter", saved.pk,
                     before={"name": saved.name, "query": saved.query}, after=None)
        saved.delete()
