"""A Django field that stores a :class:`Month` as the first day of the month."""
from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from .months import Month


class MonthFormField(forms.CharField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, date):
            return str(Month.of(value))
        return str(value) if isinstance(value, Month) else value

    def to_python(self, value: Any) -> Month | None:
        value = super().to_python(value)
        if not value:
            return None
        try:
            return Month.parse(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class MonthField(models.DateField):
    description = "A month (stored as its first day)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Month | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return Month.of(value)

    def to_python(self, value: Any) -> Month | None:
        if value is None or isinstance(value, Month):
            return value
        if isinstance(value, date):
            return Month.of(value)
        try:
            return Month.parse(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def get_prep_value(self, value: Any) -> date | None:
        if value is None:
            return None
        if isinstance(value, Month):
            return value.first_day
        if isinstance(value, str):
            return Month.parse(value).first_day
        if isinstance(value, date):
            return value.replace(day=1)
        raise TypeError(f"not a month: {value!r}")

    def value_to_string(self, obj: Any) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs: Any) -> forms.Field:
        return MonthFormField(max_length=7, **{k: v for k, v in kwargs.items() if k in ("required", "label", "help_text", "initial")})
