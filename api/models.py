"""What the REST API records: paper orders and withdrawals.

How each key is used is state of the key: apikeys.models (KeyUsageHour, KeyIpAddress).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Asset
from accounts.money import MoneyField
from apikeys.models import ApiKey


class Order(models.Model):
    """A paper order: validated and recorded, never matched."""

    class Side(models.TextChoices):
        BUY = "buy", "Buy"
        SELL = "sell", "Sell"

    class Type(models.TextChoices):
        LIMIT = "limit", "Limit"
        MARKET = "market", "Market"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CANCELLED = "cancelled", "Cancelled"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="orders"
    )
    # The key that placed it; the order outlives a deleted key.
    apikey = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    symbol = models.CharField(max_length=24)
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=6, choices=Type.choices)
    price = MoneyField(null=True, blank=True)
    quantity = MoneyField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
            models.CheckConstraint(
                condition=Q(type="market", price__isnull=True) | Q(type="limit", price__gt=0),
                name="order_price_matches_type",
            ),
        ]

    def __str__(self):
        return f"{self.side} {self.quantity.normalize():f} {self.symbol} ({self.status})"


class Withdrawal(models.Model):
    """A withdrawal request. The balance is debited when it is recorded."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="withdrawals"
    )
    apikey = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField()
    address = models.CharField(max_length=128)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive"),
        ]

    def __str__(self):
        return f"{self.amount.normalize():f} {self.asset} to {self.address}"
