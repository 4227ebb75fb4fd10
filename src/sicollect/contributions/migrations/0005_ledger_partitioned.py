"""PostgreSQL: the ledger becomes a table partitioned by ``period``, one partition a year.

``contributions_ledgerentry`` is rebuilt as ``PARTITION BY RANGE (period)`` with partitions for the
years 2020 … 2035 (and any other year its rows already have) and a DEFAULT partition; its rows,
columns, indexes (now partitioned indexes), foreign keys and the append-only trigger are kept, the
next id too. The primary key becomes ``(id, period)`` (PostgreSQL requires the partition key in it);
ids still come from one sequence. See ``contributions/partitions.py`` and docs/scale.md.

SQLite: nothing (no partitioning there). Reversible: back to a plain table with ``id`` as primary key.
Django's model state does not change (``id`` stays the model's primary key).
"""
from django.db import migrations

from sicollect.contributions.partitions import convert


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            convert(cur, partitioned=True)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            convert(cur, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("contributions", "0004_payment_payment_paid_on")]
    operations = [migrations.RunPython(forwards, backwards)]
