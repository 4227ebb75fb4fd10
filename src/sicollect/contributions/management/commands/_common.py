from __future__ import annotations

from django.core.management.base import CommandError

from sicollect.core.months import Month
from sicollect.registry.models import Unit


def month_arg(text: str, name: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise CommandError(f"{name}: {exc}") from exc


def unit_arg(code: str) -> Unit:
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist as exc:
        raise CommandError(f"unknown unit {code!r}") from exc
