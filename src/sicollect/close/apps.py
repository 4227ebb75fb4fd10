from django.apps import AppConfig


class CloseConfig(AppConfig):
    name = "sicollect.close"
    label = "close"
    verbose_name = "Khóa sổ (close)"
