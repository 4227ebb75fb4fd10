"""The audit trail: one row per state change, whatever app made it (``core.audit.record`` writes it)."""
from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """A state change (or a personal-data export): who, when, what, on which object, before and
    after, and where it came from (``detail["source"]``: a file, a command, an HTTP request).

    ``unit_code`` ties the event to one unit, for the audit page of a unit and its office scope;
    events of the whole province (an import, a close) have none and only province users see them.
    """

    action = models.CharField(max_length=60)
    actor = models.CharField(max_length=150, blank=True, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    unit_code = models.CharField(max_length=20, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        db_table = "exchange_auditevent"  # its table since the first release (the model moved here from exchange)
        indexes = [models.Index(fields=["object_type", "object_id"], name="exchange_au_object__4c82f2_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}:{self.object_id}"
