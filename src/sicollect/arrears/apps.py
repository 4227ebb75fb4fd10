from django.apps import AppConfig


class ArrearsConfig(AppConfig):
    name = "sicollect.arrears"
    label = "arrears"
    verbose_name = "Đôn đốc thu nợ (arrears)"

    def ready(self) -> None:
        # inside ready(): the apps' modules load only once the app registry is ready
        from sicollect.close import steps

        from .cases import close_step

        # after the close's aging: sync the cases from the month end's debts, propose the next steps
        steps.register("arrears", 20, close_step)
