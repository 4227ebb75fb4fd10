from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "sicollect.web"
    label = "web"
    verbose_name = "Staff web app"
