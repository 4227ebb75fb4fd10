# Staff profiles moved to the staff app (issue 16): Django forgets the model here; its table stays
# (staff owns it). The content type follows the model, so admin log entries and any permissions
# granted on staff profiles keep pointing at it.

from django.db import migrations


def content_type_to_staff(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="staff", model="staffprofile").exists():
        ContentType.objects.using(db).filter(app_label="web", model="staffprofile").update(app_label="staff")


def content_type_to_web(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="web", model="staffprofile").exists():
        ContentType.objects.using(db).filter(app_label="staff", model="staffprofile").update(app_label="web")


class Migration(migrations.Migration):

    dependencies = [
        ("web", "0001_initial"),
        ("staff", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StaffProfile")],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_staff, content_type_to_web),
    ]
