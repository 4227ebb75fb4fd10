# Which months are closed moved here from close (issue 16): the ledger's writers read it, and the close
# writes it. The same table, ``close_closedmonth``; no SQL runs.

import sicollect.core.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0006_ledger_unit_index"),
        ("close", "0003_closedmonth_closelock"),  # the table exists
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ClosedMonth",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("month", sicollect.core.fields.MonthField(unique=True)),
                        ("closed_at", models.DateTimeField(auto_now_add=True)),
                        ("summary", models.JSONField(blank=True, default=dict)),
                    ],
                    options={"db_table": "close_closedmonth", "ordering": ["month"]},
                ),
            ],
            database_operations=[],
        ),
    ]
