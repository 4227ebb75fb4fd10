# The audit trail moved here from exchange (issue 16): the same table, ``exchange_auditevent``; only Django's
# record of which app owns the model changes (no SQL runs).

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("exchange", "0002_audit_unit_code"),  # the table exists, with its last column
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("action", models.CharField(max_length=60)),
                        ("actor", models.CharField(blank=True, db_index=True, max_length=150)),
                        ("object_type", models.CharField(max_length=60)),
                        ("object_id", models.CharField(max_length=64)),
                        ("unit_code", models.CharField(blank=True, db_index=True, max_length=20)),
                        ("detail", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "exchange_auditevent",
                        "ordering": ["created_at", "id"],
                        "indexes": [models.Index(fields=["object_type", "object_id"],
                                                 name="exchange_au_object__4c82f2_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
