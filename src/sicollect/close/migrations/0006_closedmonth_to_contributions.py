# ClosedMonth moved to contributions (issue 16): Django forgets the model here; its table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("close", "0005_close_state"),
        ("contributions", "0007_closedmonth"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ClosedMonth")],
            database_operations=[],
        ),
    ]
