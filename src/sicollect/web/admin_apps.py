"""``django.contrib.admin``'s app config with the audited admin site (its own module: ``web.apps``
keeps one default app config)."""
from django.contrib.admin.apps import AdminConfig


class AuditedAdminConfig(AdminConfig):
    """``admin.site`` is :class:`sicollect.web.admin_audit.AuditedAdminSite`: every add, change and
    delete through the admin also writes an ``AuditEvent``."""

    default_site = "sicollect.web.admin_audit.AuditedAdminSite"
