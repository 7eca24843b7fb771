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


def copy(apps, model, old, new):
    Model = apps.get_model(*model.split("."))
    for row in Model.objects.all().iterator():
        setattr(row, new, exact(getattr(row, old), f"{model} {row.pk} {old}"))
        row.save(update_fields=[new])


def copy_back(apps, model, old, new):
    Model = apps.get_model(*model.split("."))
    for row in Model.objects.all().iterator():
        setattr(row, old, getattr(row, new))
        row.save(update_fields=[old])


