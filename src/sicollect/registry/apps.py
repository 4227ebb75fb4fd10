from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "sicollect.registry"
    label = "registry"
    verbose_name = "Danh mục (registry)"
