"""Money to integer minor units (10^-8), asset precision and minimum withdrawal, transfers.

Existing amounts are read as Decimals (on SQLite through Django's converter, which
recovers what the old float column held) and written as whole units, never via a
float. A value the old column held with more than 8 decimal places (float leftovers
such as 0.409600000000001, or dust from withdrawals finer than any asset allows) can't
be kept exactly: it is rounded to the nearest unit and logged.
"""

import uuid
from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import migrations, models

import accounts.money
from accounts.migrations._exact_money import RULES, copy, copy_back


def to_units(apps, schema_editor):
    copy(apps, "accounts.Balance", "amount")
    copy(apps, "accounts.Asset", "usdt_price")


def from_units(apps, schema_editor):
    copy_back(apps, "accounts.Balance", "amount")
    copy_back(apps, "accounts.Asset", "usdt_price")


def seed_rules(apps, schema_editor):
    Asset = apps.get_model("accounts", "Asset")
    for symbol, (precision, minimum) in RULES.items():
        Asset.objects.filter(symbol=symbol).update(
            precision=precision, min_withdrawal=Decimal(minimum)
        )


def money(**kwargs):
    return accounts.money.MoneyField(**kwargs)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_address_book"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="balance", name="balance_not_negative"),
        migrations.AlterField(
            model_name="asset",
            name="usdt_price",
            field=models.DecimalField(decimal_places=12, max_digits=30, null=True, verbose_name="price (USDT)"),
        ),
        migrations.AddField(model_name="balance", name="amount_new", field=money(null=True)),
        migrations.AddField(model_name="asset", name="usdt_price_new", field=money(null=True)),
        migrations.RunPython(to_units, from_units),
        migrations.RemoveField(model_name="balance", name="amount"),
        migrations.RemoveField(model_name="asset", name="usdt_price"),
        migrations.RenameField(model_name="balance", old_name="amount_new", new_name="amount"),
        migrations.RenameField(model_name="asset", old_name="usdt_price_new", new_name="usdt_price"),
        migrations.AlterField(
            model_name="balance", name="amount", field=money(default=Decimal("0"))
        ),
        migrations.AlterField(
            model_name="asset", name="usdt_price", field=money(verbose_name="price (USDT)")
        ),
        migrations.AddConstraint(
            model_name="balance",
            constraint=models.CheckConstraint(condition=models.Q(("amount__gte", 0)), name="balance_not_negative"),
        ),
        migrations.AddField(
            model_name="asset",
            name="precision",
            field=models.PositiveSmallIntegerField(default=8, help_text="Decimal places an amount may have, at most 8.", validators=[MaxValueValidator(8)]),
        ),
        migrations.AddField(
            model_name="asset",
            name="min_withdrawal",
            field=money(default=Decimal("0"), verbose_name="minimum withdrawal"),
        ),
        migrations.AddConstraint(
            model_name="asset",
            constraint=models.CheckConstraint(condition=models.Q(("usdt_price__gte", 0)), name="asset_price_not_negative"),
        ),
        migrations.AddConstraint(
            model_name="asset",
            constraint=models.CheckConstraint(condition=models.Q(("precision__lte", 8)), name="asset_precision_fits_the_ledger"),
        ),
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
        migrations.CreateModel(
            name="Transfer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("amount", money()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("asset", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.asset")),
                ("created_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("from_user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="transfers_out", to=settings.AUTH_USER_MODEL)),
                ("to_user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="transfers_in", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="transfer_amount_positive"),
                    models.CheckConstraint(condition=models.Q(("from_user", models.F("to_user")), _negated=True), name="transfer_between_two_accounts"),
                ],
            },
        ),
    ]
