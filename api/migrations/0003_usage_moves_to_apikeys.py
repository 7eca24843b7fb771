"""Usage figures moved to the apikeys app (apikeys.0002): state only, the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0002_amounts_in_units"),
        ("apikeys", "0002_usage_moves_from_api"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="KeyUsageHour"),
                migrations.DeleteModel(name="KeyIpAddress"),
            ],
            database_operations=[],
        ),
    ]
