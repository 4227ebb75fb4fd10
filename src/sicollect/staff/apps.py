from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "sicollect.staff"
    label = "staff"
    verbose_name = "Staff and roles"
