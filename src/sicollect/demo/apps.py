from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "sicollect.demo"
    label = "demo"
