"""The database refuses to change or remove a ledger row, whoever asks.

UPDATE is refused on both engines; DELETE on PostgreSQL (TRUNCATE, used by test
tear-down and restores, stays possible for the owner).
"""
from django.db import migrations

PG = """
CREATE OR REPLACE FUNCTION sicollect_ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: post a correcting entry instead';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON contributions_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION sicollect_ledger_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS ledger_no_update ON contributions_ledgerentry;
DROP FUNCTION IF EXISTS sicollect_ledger_append_only();
"""
SQLITE = """
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON contributions_ledgerentry
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: post a correcting entry instead'); END;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_no_update")


class Migration(migrations.Migration):
    dependencies = [("contributions", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
