"""Command-line arguments every command reads the same way: a bad value exits 2 naming the option."""
from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError

from .months import Month


def month_arg(text: str | None, name: str) -> Month | None:
    """``YYYY-MM`` (None when not given)."""
    if not text:
        return None
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise CommandError(f"{name}: {exc}", returncode=2) from exc


def date_arg(text: str | None, name: str) -> date | None:
    """``YYYY-MM-DD`` (None when not given)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{name}: expected YYYY-MM-DD, got {text!r}", returncode=2) from exc
