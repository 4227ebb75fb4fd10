import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('arrears', '0003_followups'),
    ]

    operations = [
        migrations.CreateModel(
            name='NoticeDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('email', 'E-mail'), ('sms', 'SMS'), ('zalo', 'Zalo ZNS'), ('post', 'Bưu điện')], max_length=5)),
                ('address', models.CharField(blank=True, max_length=254)),
                ('status', models.CharField(choices=[('queued', 'Chờ gửi'), ('sent', 'Đã gửi'), ('failed', 'Gửi lỗi'), ('delivered', 'Đã nhận'), ('bounced', 'Bị trả lại')], max_length=10)),
                ('at', models.DateTimeField(help_text='when the status was last set')),
                ('detail', models.CharField(blank=True, help_text="the outbox file, the provider's answer", max_length=500)),
                ('actor', models.CharField(blank=True, max_length=150)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('notice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='arrears.notice')),
            ],
            options={
                'ordering': ['notice_id', 'channel', 'id'],
                'indexes': [models.Index(fields=['notice', 'channel'], name='delivery_notice_channel')],
            },
        ),
    ]
