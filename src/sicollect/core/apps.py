from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sicollect.core"
    label = "core"
