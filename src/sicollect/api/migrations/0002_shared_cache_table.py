"""The table of the database cache ``CACHES["shared"]`` (``sicollect_cache``), where the API's rate
limit counts requests so that every server process sees the same count.

``createcachetable`` creates the table of each database cache in ``settings.CACHES`` that is not
there yet (nothing when none is configured), on SQLite and PostgreSQL alike; ``migrate`` on a fresh
clone (``make run`` → ``sicollect bootstrap``) and the test databases run it.
"""
from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):  # noqa: ANN001 (migration signature)
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False),
    ]
