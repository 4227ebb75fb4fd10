from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import LedgerEntry, Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["payment_id", "unit", "paid_on", "amount", "channel", "reference"]
    list_filter = ["channel"]
    search_fields = ["payment_id", "unit__code", "reference"]
    raw_id_fields = ["unit"]
    date_hierarchy = "paid_on"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["unit", "period", "posted_on", "kind", "fund", "target", "month", "amount", "is_correction"]
    list_filter = ["kind", "fund", "is_correction"]
    search_fields = ["unit__code"]
    raw_id_fields = ["unit", "payment"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
