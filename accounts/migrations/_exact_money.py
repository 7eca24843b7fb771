"""Shared by the migrations that moved money to integer units (accounts 0004, api 0002)."""

import logging
from decimal import ROUND_HALF_EVEN, Decimal

logger = logging.getLogger("accounts.migrations")

UNIT = Decimal("0.00000001")

# (precision, minimum withdrawal), as the larger exchanges list them.
RULES = {
    "BTC": (8, "0.0001"),
    "ETH": (8, "0.001"),
    "USDT": (6, "1"),
    "XRP": (6, "1"),
    "BNB": (8, "0.001"),
    "SOL": (8, "0.01"),
    "USDC": (6, "1"),
    "TRX": (6, "1"),
    "DOGE": (8, "10"),
    "ADA": (6, "1"),
    "HYPE": (8, "0.01"),
    "BCH": (8, "0.001"),
    "LINK": (8, "0.1"),
    "LEO": (8, "1"),
    "ZEC": (8, "0.001"),
}


def exact(value, what):
    if value is None:
        return None
    value = Decimal(value)
    kept = value.quantize(UNIT, rounding=ROUND_HALF_EVEN)
    if kept != value:
        logger.warning("%s: %s rounded to %s (more than 8 decimal places)", what, value, kept)
    return kept


def copy(apps, model, *names):
    """Each of ``names`` into its ``<name>_new`` column, a row at a time, in one save: on
    PostgreSQL a row updated twice in a transaction queues foreign-key checks that would
    then stop the ALTER TABLE coming next."""
    Model = apps.get_model(*model.split("."))
    for row in Model.objects.all().iterator():
        for name in names:
            setattr(row, f"{name}_new", exact(getattr(row, name), f"{model} {row.pk} {name}"))
        row.save(update_fields=[f"{name}_new" for name in names])


def copy_back(apps, model, *names):
    Model = apps.get_model(*model.split("."))
    for row in Model.objects.all().iterator():
        for name in names:
            setattr(row, name, getattr(row, f"{name}_new"))
        row.save(update_fields=list(names))
