"""Who a staff user is: the office they work in and what their role lets them do.

The rules that turn a profile into what a user may see live in :mod:`sicollect.staff.policy`,
the one place every view asks.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sicollect.registry.models import Office


class Role(models.TextChoices):
    PROVINCE_MANAGER = "province_manager", _("Province manager")
    GRASSROOTS_MANAGER = "grassroots_manager", _("Grassroots manager")
    OFFICER = "officer", _("Collection officer")
    VIEWER = "viewer", _("Viewer")


class StaffProfile(models.Model):
    """A staff user's office and role. Users without one (other than superusers) see nothing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        db_table = "web_staffprofile"  # the table of before issue 16, when the web app owned the model
        ordering = ["office_id", "user_id"]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.office.code}"
