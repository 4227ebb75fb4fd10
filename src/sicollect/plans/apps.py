from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "sicollect.plans"
    label = "plans"
    verbose_name = "Kế hoạch (plans)"
