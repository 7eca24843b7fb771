"""KeyUsageHour and KeyIpAddress are state of a key: the models move here from the api
app. State only: the tables (api_keyusagehour, api_keyipaddress) and their rows stay
where they are; api.0003 drops the models from the api app's state."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("apikeys", "0001_initial"),
        ("api", "0002_amounts_in_units"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="KeyUsageHour",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("hour", models.DateTimeField()),
                        ("requests", models.PositiveIntegerField(default=0)),
                        ("apikey", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="usage_hours", to="apikeys.apikey")),
                    ],
                    options={
                        "db_table": "api_keyusagehour",
                        "ordering": ["hour"],
                        "constraints": [models.UniqueConstraint(fields=("apikey", "hour"), name="one_usage_row_per_key_hour")],
                    },
                ),
                migrations.CreateModel(
                    name="KeyIpAddress",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("ip", models.GenericIPAddressField()),
                        ("first_seen", models.DateTimeField(default=django.utils.timezone.now)),
                        ("last_seen", models.DateTimeField(default=django.utils.timezone.now)),
                        ("apikey", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="used_ips", to="apikeys.apikey")),
                    ],
                    options={
                        "db_table": "api_keyipaddress",
                        "ordering": ["-last_seen", "-id"],
                        "constraints": [models.UniqueConstraint(fields=("apikey", "ip"), name="one_row_per_key_ip")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
