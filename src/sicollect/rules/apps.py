from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "sicollect.rules"
    label = "rules"
    verbose_name = "Quy định (rules)"

    def ready(self) -> None:
        # inside ready(): the apps' modules load only once the app registry is ready
        from sicollect.core import domain

        from .models import first_day_in_force

        domain.rules_start_from(first_day_in_force)  # the doors accept no date before the rules start
