from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "sicollect.reports"
    label = "reports"
    verbose_name = "Báo cáo (reports)"
