"""Order prices and quantities and withdrawal amounts to integer minor units (10^-8).

Carried over exactly as accounts.0004 does (see there): read as Decimals, written as
whole units; a value with more than 8 decimal places is rounded and logged.
"""

from django.db import migrations, models

import accounts.money
from accounts.migrations import _exact_money as helpers

FIELDS = {"api.Order": ["price", "quantity"], "api.Withdrawal": ["amount"]}


def to_units(apps, schema_editor):
    for model, names in FIELDS.items():
        helpers.copy(apps, model, *names)


def from_units(apps, schema_editor):
    for model, names in FIELDS.items():
        helpers.copy_back(apps, model, *names)


def money(**kwargs):
    return accounts.money.MoneyField(**kwargs)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_exact_money"),
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="order", name="order_quantity_positive"),
        migrations.RemoveConstraint(model_name="order", name="order_price_matches_type"),
        migrations.RemoveConstraint(model_name="withdrawal", name="withdrawal_amount_positive"),
        migrations.AlterField(
            model_name="order",
            name="quantity",
            field=models.DecimalField(decimal_places=18, max_digits=36, null=True),
        ),
        migrations.AlterField(
            model_name="withdrawal",
            name="amount",
            field=models.DecimalField(decimal_places=18, max_digits=36, null=True),
        ),
        migrations.AddField(model_name="order", name="price_new", field=money(null=True, blank=True)),
        migrations.AddField(model_name="order", name="quantity_new", field=money(null=True)),
        migrations.AddField(model_name="withdrawal", name="amount_new", field=money(null=True)),
        migrations.RunPython(to_units, from_units),
        migrations.RemoveField(model_name="order", name="price"),
        migrations.RemoveField(model_name="order", name="quantity"),
        migrations.RemoveField(model_name="withdrawal", name="amount"),
        migrations.RenameField(model_name="order", old_name="price_new", new_name="price"),
        migrations.RenameField(model_name="order", old_name="quantity_new", new_name="quantity"),
        migrations.RenameField(model_name="withdrawal", old_name="amount_new", new_name="amount"),
        migrations.AlterField(model_name="order", name="quantity", field=money()),
        migrations.AlterField(model_name="withdrawal", name="amount", field=money()),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(condition=models.Q(("quantity__gt", 0)), name="order_quantity_positive"),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("price__isnull", True), ("type", "market")), models.Q(("price__gt", 0), ("type", "limit")), _connector="OR"), name="order_price_matches_type"),
        ),
        migrations.AddConstraint(
            model_name="withdrawal",
            constraint=models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="withdrawal_amount_positive"),
        ),
    ]
