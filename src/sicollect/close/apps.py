from django.apps import AppConfig


class CloseConfig(AppConfig):
    name = "sicollect.close"
    label = "close"
    verbose_name = "Khóa sổ (close)"

    def ready(self) -> None:
        # inside ready(): the apps' modules load only once the app registry is ready
        from sicollect.core.backup import refuse_restore_when

        from . import service, steps
        from .sql import duck  # noqa: F401 (registers the reader of the DuckDB close's state file for the other engines)

        steps.register("aging", 10, service.aging_step)
        refuse_restore_when(service.running_close)
