"""Default aging buckets and B03-TS classes (editable in the admin)."""
from django.db import migrations


def load(apps, schema_editor):
    from sicollect.close.aging import DEFAULT_BUCKETS, DEFAULT_CLASSES

    Bucket = apps.get_model("close", "AgingBucket")
    Class = apps.get_model("close", "DebtClass")
    for b in DEFAULT_BUCKETS:
        Bucket.objects.get_or_create(code=b.code, defaults={"label": b.label, "min_months": b.min_months or 0,
                                                            "max_months": b.max_months})
    for c in DEFAULT_CLASSES:
        Class.objects.get_or_create(code=c.code, defaults={"label": c.label, "min_months": c.min_months,
                                                           "max_months": c.max_months,
                                                           "unit_statuses": ",".join(c.statuses)})


class Migration(migrations.Migration):
    dependencies = [("close", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
