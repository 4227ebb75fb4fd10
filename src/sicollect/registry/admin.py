from typing import Any

from django import forms
from django.contrib import admin

from sicollect.core import domain

from .models import Commune, Office, Participation, Person, Unit


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "office", "population", "labour_force"]
    list_filter = ["office"]
    search_fields = ["code", "name"]


class UnitForm(forms.ModelForm):
    """The unit's contacts through core.domain, as the registry import checks them: the mobile stored as
    its 10 digits."""

    phone = forms.CharField(max_length=20, required=False, help_text="mobile: 0912345678 or +84 912 345 678")

    class Meta:
        model = Unit
        fields = "__all__"

    def _domain(self, name: str, check: Any) -> str:
        try:
            return str(check(self.cleaned_data.get(name, "")))
        except domain.DomainError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_email(self) -> str:
        return self._domain("email", domain.email)

    def clean_phone(self) -> str:
        return self._domain("phone", domain.vn_mobile)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = UnitForm
    list_display = ["code", "name", "tax_code", "office", "status", "region", "payment_cycle"]
    list_filter = ["office", "status", "region", "payment_cycle", "ownership"]
    search_fields = ["code", "name", "tax_code"]


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["si_code", "full_name", "masked_national_id", "birth_date", "sex", "commune"]
    search_fields = ["si_code", "full_name"]
    exclude = ["national_id"]
    readonly_fields = ["masked_national_id"]
    inlines = [ParticipationInline]

    @admin.display(description="national ID")
    def masked_national_id(self, obj: Person) -> str:
        return obj.national_id_masked


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ["person", "unit", "from_month", "to_month", "wage", "funds_text", "declared_on", "retro_interest"]
    raw_id_fields = ["person", "unit"]
    search_fields = ["person__si_code", "unit__code"]
