from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "sicollect.contributions"
    label = "contributions"
    verbose_name = "Thu (contributions)"
