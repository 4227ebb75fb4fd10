from django.contrib import admin

from .models import (
    Case,
    CaseEvent,
    CaseStep,
    Commitment,
    Disclosure,
    LadderStep,
    Notice,
    Visit,
    WorkingGroup,
)


@admin.register(LadderStep)
class LadderStepAdmin(admin.ModelAdmin):
    list_display = ["order", "code", "name", "kind", "min_days_late", "min_months_late", "min_amount",
                    "amount_or_months", "debt_classes", "requires", "wait_days", "active"]
    list_editable = ["min_days_late", "min_months_late", "min_amount", "wait_days", "active"]


class StepInline(admin.TabularInline):
    model = CaseStep
    extra = 0
    readonly_fields = ["step", "status", "proposed_on", "confirmed_on", "confirmed_by", "late_amount", "months_late"]


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["on", "kind", "actor", "text", "data"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["unit", "opened_on", "closed_on", "late_amount", "months_late", "debt_class", "officer"]
    list_filter = ["debt_class", "close_reason"]
    search_fields = ["unit__code", "unit__name", "unit__tax_code"]
    raw_id_fields = ["unit"]
    inlines = [StepInline, EventInline]


admin.site.register([Notice, WorkingGroup, Visit, Commitment, Disclosure])
