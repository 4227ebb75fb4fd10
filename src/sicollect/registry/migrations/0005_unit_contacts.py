from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_unit_officer'),
    ]

    operations = [
        migrations.AddField(
            model_name='unit',
            name='email',
            field=models.CharField(blank=True, db_default='', default='', help_text='e-mail for notices', max_length=254),
        ),
        migrations.AddField(
            model_name='unit',
            name='phone',
            field=models.CharField(blank=True, db_default='', default='', help_text='mobile for SMS and Zalo, 10 digits 0xxxxxxxxx', max_length=10),
        ),
    ]
