import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .validators import plain_text

# Sub-accounts get an address here: never e-mailed (notices go to the parent), but the
# column is unique, and a reserved domain (RFC 2606) can't be anybody's real address.
SUBACCOUNT_EMAIL_DOMAIN = "subaccount.invalid"


class User(AbstractUser):
    """A trader, or a sub-account of one (``parent`` set).

    Sub-accounts have no usable password and never log in: their parent manages them.
    """

    email = models.EmailField("e-mail address", unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subaccounts",
    )
    note = models.CharField(max_length=200, blank=True, validators=[plain_text])
    # A frozen sub-account keeps its keys, but the REST API refuses them.
    is_frozen = models.BooleanField(default=False)

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="user_not_own_parent"),
        ]

    @property
    def is_subaccount(self) -> bool:
        return self.parent_id is not None


class Asset(models.Model):
    symbol = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=50)
    usdt_price = models.DecimalField("price (USDT)", max_digits=30, decimal_places=12)

    class Meta:
        ordering = ["symbol"]

    def __str__(self):
        return self.symbol


class Balance(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="balances")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="balances")
    amount = models.DecimalField(max_digits=36, decimal_places=18, default=Decimal(0))

    class Meta:
        ordering = ["asset__symbol"]
        constraints = [
            models.UniqueConstraint(fields=["user", "asset"], name="one_balance_per_asset"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="balance_not_negative"),
        ]

    def __str__(self):
        return f"{self.amount.normalize():f} {self.asset.symbol}"

    @property
    def usdt_value(self) -> Decimal:
        return self.amount * self.asset.usdt_price


class AddressManagement(models.Model):
    """The account's "Address Management" switch: when on, withdrawals through the API go
    only to addresses in its address book (a stolen key can't send funds elsewhere)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="address_management"
    )
    enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Address Management {'on' if self.enabled else 'off'} for {self.user}"


class WithdrawalAddress(models.Model):
    """An entry of the account's withdrawal address book, added with a 2FA code."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="withdrawal_addresses")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=128)
    label = models.CharField(max_length=50, validators=[plain_text])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["asset__symbol", "label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "asset", "address"], name="one_book_entry_per_address"
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.asset.symbol} {self.address})"
