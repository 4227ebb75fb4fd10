# The audit trail moved to core (issue 16): Django forgets the model here; its table stays (core owns it).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("exchange", "0002_audit_unit_code"),
        ("core", "0001_auditevent"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
