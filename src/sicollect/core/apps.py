from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sicollect.core"
    label = "core"

    def ready(self) -> None:
        # inside ready(): the apps' modules load only once the app registry is ready
        from django.core.signals import request_started
        from django.db.backends.signals import connection_created

        from .reopen import remember_file, reopen_if_replaced

        connection_created.connect(remember_file, dispatch_uid="sicollect.core.reopen.remember")
        request_started.connect(reopen_if_replaced, dispatch_uid="sicollect.core.reopen.reopen")
