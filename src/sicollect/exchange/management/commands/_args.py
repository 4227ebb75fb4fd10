"""Shared argument parsing for the exchange commands."""
from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from sicollect.core.months import Month
from sicollect.exchange.rows import ImportErrors
from sicollect.registry.models import Unit


def month_arg(text: str | None, name: str) -> Month | None:
    if not text:
        return None
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise CommandError(f"{name}: {exc}", returncode=2) from exc


def date_arg(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{name}: expected YYYY-MM-DD, got {text!r}", returncode=2) from exc


def unit_arg(code: str) -> Unit:
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist as exc:
        raise CommandError(f"unknown unit {code!r}", returncode=2) from exc


def fail_with(command: BaseCommand, exc: ImportErrors) -> CommandError:
    """Print every error (and warning) of a refused import; the CommandError exits with status 2."""
    for warning in exc.warnings:
        command.stderr.write(f"warning: {warning}", style_func=command.style.WARNING)
    for error in exc.errors:
        command.stderr.write(str(error))
    return CommandError(f"{len(exc.errors)} error(s); nothing was imported", returncode=2)
