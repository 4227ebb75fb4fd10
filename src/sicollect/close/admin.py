from django.contrib import admin

from .models import AgingBucket, DebtClass, UnitDebtState


@admin.register(AgingBucket)
class AgingBucketAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "min_months", "max_months"]


@admin.register(DebtClass)
class DebtClassAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "min_months", "max_months", "unit_statuses"]


@admin.register(UnitDebtState)
class UnitDebtStateAdmin(admin.ModelAdmin):
    list_display = ["unit", "since", "bucket", "debt_class", "months_late", "late_amount"]
    list_filter = ["bucket", "debt_class"]
    raw_id_fields = ["unit"]
