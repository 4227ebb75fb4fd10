from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "sicollect.plans"
    label = "plans"
    verbose_name = "Kế hoạch (plans)"

    def ready(self) -> None:
        # plans.csv in ``sicollect import DIR``: the exchange app, below this one, reads it through
        # the handler registered here (exchange never imports plans)
        from sicollect.exchange.importing import register_file

        from .importer import CSV_COLUMNS, PlansCsv

        register_file("plans.csv", CSV_COLUMNS, PlansCsv)
