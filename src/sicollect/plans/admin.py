from django.contrib import admin

from .models import Assignment, Evaluation, PlanTarget


@admin.register(PlanTarget)
class PlanTargetAdmin(admin.ModelAdmin):
    list_display = ["year", "office", "indicator", "value"]
    list_filter = ["year", "indicator", "office"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["year", "office", "agent", "officer", "indicator", "value"]
    list_filter = ["year", "indicator", "office"]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["period", "level", "office", "as_of", "made_by", "made_at"]
    list_filter = ["kind", "level"]
