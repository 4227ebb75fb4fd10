"""Load RULES.md §8 (coverage/defaults.py) as rule rows."""
from django.db import migrations


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    from sicollect.coverage import defaults

    V = apps.get_model("coverage", "VoluntaryRule")
    S = apps.get_model("coverage", "VoluntarySupport")
    H = apps.get_model("coverage", "HouseholdRule")
    for valid_from, rate, low, multiple, source in defaults.VOLUNTARY:
        V.objects.get_or_create(valid_from=valid_from, defaults=dict(rate_ppm=rate, min_income=low,
                                                                     max_base_multiple=multiple, source=source))
    for category, valid_from, share, source in defaults.SUPPORT:
        S.objects.get_or_create(category=category, valid_from=valid_from, defaults=dict(share_ppm=share, source=source))
    for valid_from, rate, second, third, fourth, fifth, source in defaults.HOUSEHOLD:
        H.objects.get_or_create(valid_from=valid_from, defaults=dict(
            rate_ppm=rate, second_ppm=second, third_ppm=third, fourth_ppm=fourth, fifth_on_ppm=fifth, source=source))


class Migration(migrations.Migration):
    dependencies = [("coverage", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
