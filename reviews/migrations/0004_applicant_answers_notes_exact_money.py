"""The trader's answers, officers' internal notes, and exact money.

The balance and threshold at submission move from DecimalField (a float on SQLite) to
integer 10^-8 units, carried over through Decimals as accounts 0004 did.
"""

import accounts.money
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from accounts.migrations._exact_money import copy, copy_back


def to_units(apps, schema_editor):
    copy(apps, "reviews.Application", "balance_usdt", "threshold_usdt")


def from_units(apps, schema_editor):
    copy_back(apps, "reviews.Application", "balance_usdt", "threshold_usdt")


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0003_compliance_group'),
        ('accounts', '0004_exact_money'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='application',
            name='monthly_volume',
            field=models.CharField(blank=True, choices=[('lt_100k', 'Under 100,000'), ('lt_1m', '100,000 – 1,000,000'), ('lt_10m', '1,000,000 – 10,000,000'), ('gte_10m', '10,000,000 or more')], max_length=10, verbose_name='expected monthly volume (USDT)'),
        ),
        migrations.AddField(
            model_name='application',
            name='platform',
            field=models.CharField(blank=True, max_length=100, verbose_name='third-party platform'),
        ),
        migrations.AddField(
            model_name='application',
            name='purpose',
            field=models.CharField(blank=True, choices=[('own_bot', 'My own trading bot'), ('third_party', 'A third-party platform'), ('market_making', 'Market making'), ('other', 'Other')], max_length=20),
        ),
        migrations.AddField(
            model_name='application',
            name='server_ips',
            field=models.TextField(blank=True, verbose_name="servers' IP addresses"),
        ),
        migrations.AddField(
            model_name='application',
            name='strategy',
            field=models.TextField(blank=True, verbose_name='strategy'),
        ),
        migrations.AddField(
            model_name='application', name='balance_usdt_new', field=accounts.money.MoneyField(null=True)
        ),
        migrations.AddField(
            model_name='application', name='threshold_usdt_new', field=accounts.money.MoneyField(null=True)
        ),
        migrations.RunPython(to_units, from_units),
        migrations.RemoveField(model_name='application', name='balance_usdt'),
        migrations.RemoveField(model_name='application', name='threshold_usdt'),
        migrations.RenameField(model_name='application', old_name='balance_usdt_new', new_name='balance_usdt'),
        migrations.RenameField(model_name='application', old_name='threshold_usdt_new', new_name='threshold_usdt'),
        migrations.AlterField(
            model_name='application',
            name='balance_usdt',
            field=accounts.money.MoneyField(verbose_name='balance at submission (USDT)'),
        ),
        migrations.AlterField(
            model_name='application',
            name='threshold_usdt',
            field=accounts.money.MoneyField(verbose_name='fast-track threshold (USDT)'),
        ),
        migrations.AddField(
            model_name='application',
            name='business_days',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='business days to decision'),
        ),
        migrations.CreateModel(
            name='Note',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('text', models.TextField()),
                ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notes', to='reviews.application')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['created_at', 'pk'],
            },
        ),
    ]
