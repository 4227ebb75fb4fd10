from django.contrib import admin

from .models import PlanTarget


@admin.register(PlanTarget)
class PlanTargetAdmin(admin.ModelAdmin):
    list_display = ["year", "office", "indicator", "value"]
    list_filter = ["year", "indicator", "office"]
