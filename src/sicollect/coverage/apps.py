from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "sicollect.coverage"
    label = "coverage"
    verbose_name = "Bao phủ (coverage: voluntary SI, household HI, agents)"
