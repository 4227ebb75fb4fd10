import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("arrears", "0004_notice_delivery"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkingGroupMember",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200)),
                ("agency", models.CharField(max_length=200)),
                ("position", models.CharField(blank=True, max_length=200)),
                ("added_on", models.DateField()),
                ("group", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="members",
                                            to="arrears.workinggroup")),
            ],
            options={"ordering": ["group_id", "id"]},
        ),
    ]
