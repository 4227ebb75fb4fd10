"""On PostgreSQL the saved state is UNLOGGED: written without the write-ahead log (a quarter faster to
save, 2.4 M rows and more each month at national scale). It is a cache of what the close computes from
the inputs: after a crash of the server PostgreSQL empties unlogged tables, ``close_closestate`` with them,
and the next close, finding no state, computes from the first month (docs/scale.md). SQLite: nothing."""
from django.db import migrations

TABLES = ["close_closestate", "close_state_item", "close_state_credit", "close_state_base", "close_state_fresh",
          "close_state_prev", "close_state_person"]


def set_logging(how: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET {how}")

    return run


class Migration(migrations.Migration):
    dependencies = [("close", "0007_close_state_keys")]

    operations = [migrations.RunPython(set_logging("UNLOGGED"), set_logging("LOGGED"))]
