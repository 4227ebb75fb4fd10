"""``{% failed_jobs_card %}``: on the dashboard, for managers only, the scheduled jobs whose last run failed."""
from __future__ import annotations

from typing import Any

from django import template

from sicollect.staff.models import Role
from sicollect.staff.policy import access

register = template.Library()


@register.inclusion_tag("ops/_failed_jobs.html", takes_context=True)
def failed_jobs_card(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or access(user).role not in (Role.PROVINCE_MANAGER, Role.GRASSROOTS_MANAGER):
        return {"failed_jobs": []}
    from sicollect.ops.jobs import failed_jobs

    return {"failed_jobs": failed_jobs()}
