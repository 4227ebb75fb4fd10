from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "sicollect.coverage"
    label = "coverage"
    verbose_name = "Bao phủ (coverage: voluntary SI, household HI, agents)"

    def ready(self) -> None:
        # inside ready(): the apps' modules load only once the app registry is ready
        from sicollect.close import steps

        from . import counts

        # the participant counts at each closed month end (coverage.CoverageCount), after the close's aging
        steps.register("coverage", 30, counts.close_step)
