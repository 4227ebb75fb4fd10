"""What the exchange commands print for a refused import (their arguments: ``core.args``, ``registry.args``)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sicollect.exchange.rows import ImportErrors


def fail_with(command: BaseCommand, exc: ImportErrors) -> CommandError:
    """Print every error (and warning) of a refused import; the CommandError exits with status 2."""
    for warning in exc.warnings:
        command.stderr.write(f"warning: {warning}", style_func=command.style.WARNING)
    for error in exc.errors:
        command.stderr.write(str(error))
    return CommandError(f"{len(exc.errors)} error(s); nothing was imported", returncode=2)
