# Staff profiles moved here from the web app (issue 16): the same table, ``web_staffprofile``; only
# Django's record of which app owns the model changes (no SQL runs).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("registry", "0004_unit_officer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("web", "0001_initial"),  # the table exists (web's last migration that changed it)
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StaffProfile",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("role", models.CharField(choices=[("province_manager", "Province manager"),
                                                           ("grassroots_manager", "Grassroots manager"),
                                                           ("officer", "Collection officer"),
                                                           ("viewer", "Viewer")],
                                                  default="viewer", max_length=20)),
                        ("office", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                     related_name="staff", to="registry.office")),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                                      related_name="staff", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "web_staffprofile",
                        "ordering": ["office_id", "user_id"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
