from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sicollect.api"
    label = "api"
    verbose_name = "API"
