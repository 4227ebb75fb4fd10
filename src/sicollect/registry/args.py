"""Command-line arguments that name a registry row: an unknown code exits 2 naming it."""
from __future__ import annotations

from django.core.management.base import CommandError

from .models import Office, Unit


def unit_arg(code: str) -> Unit:
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist as exc:
        raise CommandError(f"unknown unit {code!r}", returncode=2) from exc


def office_arg(code: str | None, name: str = "--office") -> Office | None:
    """The office of ``code`` (None when not given)."""
    if not code:
        return None
    office = Office.objects.filter(code=code).first()
    if office is None:
        raise CommandError(f"{name}: unknown office {code!r}", returncode=2)
    return office
