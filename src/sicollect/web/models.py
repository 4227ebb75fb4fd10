"""The web app's own data: a user's saved worklist filters."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedFilter(models.Model):
    """A named set of worklist filters (the query string without page, format or date), one user's own."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.name}"
