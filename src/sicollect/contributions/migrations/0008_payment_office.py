# Payment ids are unique per office, not province-wide (issue 17): two grassroots offices' counters or
# banks may issue the same id, and refusing one office's payment because another office used its id
# reveals that office's payment. Each payment gets the office of its unit (when it was recorded), and
# the unique key becomes (office, payment_id).
#
# The backfill is one UPDATE (a join on the unit's primary key), fast on millions of rows; the ledger
# table and its append-only triggers (0002) are not touched.

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = {
    # PostgreSQL: a join, not a subquery per row
    "postgresql": """UPDATE contributions_payment AS p SET office_id = u.office_id
                     FROM registry_unit AS u WHERE u.id = p.unit_id AND p.office_id IS NULL""",
    # SQLite (≥ 3.33 has UPDATE … FROM too, but the correlated form works on every version)
    "default": """UPDATE contributions_payment SET office_id =
                    (SELECT u.office_id FROM registry_unit AS u WHERE u.id = contributions_payment.unit_id)
                  WHERE office_id IS NULL""",
}


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(BACKFILL.get(vendor, BACKFILL["default"]))
    if vendor == "postgresql":
        # the new foreign key is checked at commit (DEFERRABLE INITIALLY DEFERRED): check it now, or the
        # ALTER TABLE … SET NOT NULL below fails with "pending trigger events"
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ("contributions", "0007_closedmonth"),
        ("registry", "0004_unit_officer"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="office",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="payments", to="registry.office"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="payment",
            name="office",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="payments",
                                    to="registry.office"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="payment_id",
            field=models.CharField(help_text="the bank's or counter's own id (unique per office)", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(fields=("office", "payment_id"), name="payment_id_per_office"),
        ),
    ]
