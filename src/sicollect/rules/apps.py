from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "sicollect.rules"
    label = "rules"
    verbose_name = "Quy định (rules)"
