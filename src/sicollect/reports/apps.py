from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "sicollect.reports"
    label = "reports"
    verbose_name = "Báo cáo (reports)"

    def ready(self) -> None:
        # inside ready(): the apps' modules load only once the app registry is ready
        from sicollect.close import steps

        from . import summary

        # the KPI report's revenue and debts at each closed month end (reports.OfficeRevenue, OfficeDebt),
        # after the close's aging kept the units' debts (close.MonthEndDebt)
        steps.register("kpi", 40, summary.close_step)
