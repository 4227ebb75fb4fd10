from django.contrib import admin

from sicollect.core.money import format_ppm_percent

from .models import (
    BaseSalary,
    ContributionRate,
    DeadlineRule,
    InterestRegime,
    RegionalMinimumWage,
    WageCap,
)


@admin.register(ContributionRate)
class ContributionRateAdmin(admin.ModelAdmin):
    list_display = ["fund", "party", "variant", "valid_from", "rate_ppm", "percent", "source"]
    list_filter = ["fund", "party", "variant"]

    @admin.display(description="%")
    def percent(self, obj: ContributionRate) -> str:
        return format_ppm_percent(obj.rate_ppm)


@admin.register(RegionalMinimumWage)
class RegionalMinimumWageAdmin(admin.ModelAdmin):
    list_display = ["region", "valid_from", "amount", "source"]
    list_filter = ["region"]


@admin.register(BaseSalary)
class BaseSalaryAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "amount", "source"]


@admin.register(WageCap)
class WageCapAdmin(admin.ModelAdmin):
    list_display = ["fund", "valid_from", "multiple", "basis", "source"]


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ["cycle", "valid_from", "months_after", "source"]


@admin.register(InterestRegime)
class InterestRegimeAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "kind", "rate_ppm", "percent", "min_days_late", "source"]

    @admin.display(description="%")
    def percent(self, obj: InterestRegime) -> str:
        return format_ppm_percent(obj.rate_ppm)
