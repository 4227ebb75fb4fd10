"""The ledger's index on unit_id alone is dropped: the (unit_id, period) index serves every lookup by
unit. Plain SQL (the same name on SQLite and PostgreSQL, where dropping the partitioned index drops its
partitions' too): altering the field through the schema editor would rebuild the table on SQLite, and
with it lose the append-only triggers."""
import django.db.models.deletion
from django.db import migrations, models

INDEX = "contributions_ledgerentry_unit_id_b246153e"


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0005_ledger_partitioned"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="unit",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="ledger", to="registry.unit"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {INDEX}",
                                  reverse_sql=f"CREATE INDEX {INDEX} ON contributions_ledgerentry (unit_id)"),
            ],
        ),
    ]
