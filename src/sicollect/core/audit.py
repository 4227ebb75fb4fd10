"""The audit trail's one door: :func:`record` writes an audit row (:class:`~sicollect.core.models.AuditEvent`),
whatever app makes the change, as zulip's ``do_*`` actions write ``RealmAuditLog``; :func:`cli_actor` is who a
command-line action is recorded as."""
from __future__ import annotations

import getpass
from typing import Any

from .models import AuditEvent


def event(action: str, actor: str, object_type: str, object_id: object, *, unit_code: str = "",
          before: object = None, after: object = None, source: str = "", **detail: object) -> AuditEvent:
    """An audit row, not yet saved: who (``actor``) did what (``action``) to which object, the state
    ``before`` and ``after``, and where it came from (``source``: a file, a command, an HTTP request);
    ``detail`` adds keys."""
    body = {**detail, "before": before, "after": after, "source": source}
    return AuditEvent(action=action, actor=actor, object_type=object_type, object_id=str(object_id)[:64],
                      unit_code=unit_code, detail=body)


def record(action: str, actor: str, object_type: str, object_id: object, *, using: str | None = None,
           **fields: object) -> AuditEvent:
    """Write one audit row (the fields of :func:`event`). Call it inside the action's transaction so both
    commit or neither; ``using``: another database (the restore writes into the restored file)."""
    row = event(action, actor, object_type, object_id, **fields)  # type: ignore[arg-type]
    row.save(using=using)
    return row


def record_many(rows: list[AuditEvent], batch_size: int = 500) -> list[AuditEvent]:
    """Write several rows made by :func:`event` at once (an action on many objects), ``batch_size`` a statement."""
    return AuditEvent.objects.bulk_create(rows, batch_size=batch_size)


def actor_name(officer: Any) -> str:
    """The name an action is recorded as: a user's user name, or the name given."""
    return str(getattr(officer, "username", officer) or "")


def cli_actor() -> str:
    """The operating-system user running ``sicollect``, as ``cli:<user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container)
        return "cli:unknown"
