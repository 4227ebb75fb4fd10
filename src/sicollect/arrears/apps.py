from django.apps import AppConfig


class ArrearsConfig(AppConfig):
    name = "sicollect.arrears"
    label = "arrears"
    verbose_name = "Đôn đốc thu nợ (arrears)"
