from django.contrib import admin

from .models import StaffProfile


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "office", "role"]
    list_filter = ["office", "role"]
    raw_id_fields = ["user"]
