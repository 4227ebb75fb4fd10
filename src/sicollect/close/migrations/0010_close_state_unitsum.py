"""The per-unit checksum sums of the saved state's inputs (PostgreSQL: which units' closed months changed);
UNLOGGED on PostgreSQL like the other state tables (0008): a cache of what the close computes."""
from django.db import migrations, models


def set_logging(how: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE close_state_unitsum SET {how}")

    return run


class Migration(migrations.Migration):
    dependencies = [("close", "0009_state_kept_in")]

    operations = [
        migrations.CreateModel(
            name="CloseStateUnitSum",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("q", models.SmallIntegerField()),
                ("unit_id", models.BigIntegerField()),
                ("n", models.BigIntegerField()),
                ("s1", models.BigIntegerField()),
                ("s2", models.BigIntegerField()),
            ],
            options={"db_table": "close_state_unitsum"},
        ),
        migrations.AddConstraint(
            model_name="closestateunitsum",
            constraint=models.UniqueConstraint(fields=("q", "unit_id"), name="close_state_unitsum_key"),
        ),
        migrations.RunPython(set_logging("UNLOGGED"), set_logging("LOGGED")),
    ]
