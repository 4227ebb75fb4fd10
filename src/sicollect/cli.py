"""The ``sicollect`` console script: Django's management commands under one name."""
from __future__ import annotations

import os
import sys


def unapplied_migrations() -> list[str]:
    """``app.name`` of each migration the database has not applied, in the order ``migrate`` would apply them."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _ in plan]


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    args = list(sys.argv[1:] if argv is None else argv)
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        execute_from_command_line(["sicollect", *args])
    except (OperationalError, ProgrammingError):
        # a command run on a database that `migrate` has not brought up to date: say so, not a traceback
        try:
            pending = unapplied_migrations()
        except Exception:  # noqa: BLE001 - the database cannot even be read: the original error says more
            pending = []
        if not pending:
            raise
        sys.stderr.write(f"sicollect: the database has {len(pending)} migration(s) not applied (first: {pending[0]}): "
                         "run `sicollect migrate` first\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
