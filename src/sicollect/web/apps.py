from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "sicollect.web"
    label = "web"
    verbose_name = "Staff web app"

    def ready(self) -> None:
        from . import otp  # noqa: F401  (its user_logged_in receiver)
