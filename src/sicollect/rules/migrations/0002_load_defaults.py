"""Load the RULES.md values (rules/defaults.py) as rule rows."""
from django.db import migrations


def load(apps, schema_editor):
    from sicollect.core.months import Month
    from sicollect.rules import defaults as d

    M = lambda name: apps.get_model("rules", name)  # noqa: E731
    for fund, party, variant, valid_from, ppm, src in d.RATES:
        M("ContributionRate").objects.get_or_create(
            fund=fund, party=party, variant=variant, valid_from=Month.parse(valid_from).first_day,
            defaults={"rate_ppm": ppm, "source": src},
        )
    for region, valid_from, amount, src in d.REGIONAL_MINIMUM:
        M("RegionalMinimumWage").objects.get_or_create(region=region, valid_from=valid_from, defaults={"amount": amount, "source": src})
    for valid_from, amount, src in d.BASE_SALARY:
        M("BaseSalary").objects.get_or_create(valid_from=valid_from, defaults={"amount": amount, "source": src})
    for fund, valid_from, multiple, basis, src in d.CAPS:
        M("WageCap").objects.get_or_create(
            fund=fund, valid_from=Month.parse(valid_from).first_day, defaults={"multiple": multiple, "basis": basis, "source": src}
        )
    for cycle, valid_from, months_after, src in d.DEADLINES:
        M("DeadlineRule").objects.get_or_create(
            cycle=cycle, valid_from=Month.parse(valid_from).first_day, defaults={"months_after": months_after, "source": src}
        )
    for valid_from, kind, ppm, min_days, src in d.INTEREST:
        M("InterestRegime").objects.get_or_create(
            valid_from=valid_from, defaults={"kind": kind, "rate_ppm": ppm, "min_days_late": min_days, "source": src}
        )


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
