from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running sicollect in an office: scheduled jobs (``sicollect job …``), ``/health/``, JSON-lines logs."""

    name = "sicollect.ops"
    label = "ops"
