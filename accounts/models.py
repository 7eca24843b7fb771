import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from core import authstamp

from .money import LEDGER_PLACES, MoneyField, decimal_places, usdt_value
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
    # Until then no withdrawal and no key with Withdraw (accounts/securitylock.py).
    security_locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Shown in every e-mail we send, so the owner can tell ours from fakes.
    anti_phishing_phrase = models.CharField(max_length=40, blank=True, validators=[plain_text])
    # When the owner opened the verification link (accounts/emailverify.py); None: not yet.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    # What the signed-request gate reads of an account and its parent (api/auth.py,
    # owner_refusal), and the security lock a withdrawal asks for. A save that may change
    # one of them bumps the account's stamp (core/authstamp.py); so does every
    # QuerySet.update of them (reviews and subaccounts set_frozen, start_security_lock).
    AUTH_FIELDS = ("is_active", "is_frozen", "parent", "security_locked_until")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="user_not_own_parent"),
            # "demo" and "DEMO" would be two accounts that read as one.
            models.UniqueConstraint(Lower("username"), name="username_unique_ignoring_case"),
        ]

    def save(self, *args, **kwargs):
        changes_auth = not self._state.adding and authstamp.touches(kwargs, self.AUTH_FIELDS)
        super().save(*args, **kwargs)
        if changes_auth:
            authstamp.bump(self.pk)

    @property
    def is_subaccount(self) -> bool:
        return self.parent_id is not None

    def active_subaccounts(self):
        """This account's sub-accounts that are not deleted: the one way to ask for them.

        (A method here rather than on the manager: a custom UserManager would be a
        migration of its own for no change to the schema.)
        """
        return self.subaccounts.filter(is_active=True)


@receiver(post_delete, sender=User)
def _account_deleted(sender, instance, **kwargs):
    # Any delete (the admin's bulk action too): its keys went with it.
    authstamp.bump(instance.pk)


class Asset(models.Model):
    symbol = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=50)
    usdt_price = MoneyField("price (USDT)")
    # A rule over the fixed storage scale (accounts/money.py): amounts of this asset may
    # have at most this many decimal places.
    precision = models.PositiveSmallIntegerField(
        default=LEDGER_PLACES,
        validators=[MaxValueValidator(LEDGER_PLACES)],
        help_text=f"Decimal places an amount may have, at most {LEDGER_PLACES}.",
    )
    min_withdrawal = MoneyField("minimum withdrawal", default=Decimal(0))

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(condition=Q(usdt_price__gte=0), name="asset_price_not_negative"),
            models.CheckConstraint(
                condition=Q(precision__lte=LEDGER_PLACES), name="asset_precision_fits_the_ledger"
            ),
        ]

    def __str__(self):
        return self.symbol

    def clean(self):
        if self.min_withdrawal is not None and self.min_withdrawal < 0:
            raise ValidationError({"min_withdrawal": "Can't be negative."})
        if (
            self.min_withdrawal is not None
            and self.precision is not None
            and decimal_places(self.min_withdrawal) > self.precision
        ):
            raise ValidationError(
                {"min_withdrawal": f"Use at most {self.precision} decimal places (the precision)."}
            )


class Balance(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="balances")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="balances")
    amount = MoneyField(default=Decimal(0))

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
        return usdt_value(self.amount, self.asset.usdt_price)


class Transfer(models.Model):
    """Funds moved between a parent account and one of its sub-accounts.

    Both balances change in the transaction that records it; rows are never edited or
    deleted, so each account's page can list what moved, when, and who moved it.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    from_user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="transfers_out")
    to_user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="transfers_in")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(from_user=models.F("to_user")), name="transfer_between_two_accounts"
            ),
        ]

    def __str__(self):
        return f"{self.amount.normalize():f} {self.asset} {self.from_user} → {self.to_user}"


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


class SignInEvent(models.Model):
    """One attempt to sign in to an account: kept SIGNIN_HISTORY_DAYS (prune_activity)."""

    class Outcome(models.TextChoices):
        OK = "ok", "Signed in"
        WRONG_PASSWORD = "wrong_password", "Wrong password"
        WRONG_CODE = "wrong_code", "Wrong 2FA code"
        # Kept when nobody finishes the code step: what a stolen password looks like.
        CODE_NOT_COMPLETED = "code_not_completed", "Password right, code step not completed"
        WRONG_PASSKEY = "wrong_passkey", "Passkey refused"

    class Factor(models.TextChoices):
        """What proved the second step of a sign-in (none: an account without 2FA)."""

        CODE = "code", "authenticator code"
        BACKUP_CODE = "backup_code", "backup code"
        PASSKEY = "passkey", "passkey"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_ins")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    factor = models.CharField(max_length=20, choices=Factor.choices, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.user} {self.outcome} {self.at:%Y-%m-%d %H:%M}"


class UserSession(models.Model):
    """A signed-in session of an account, as the Security page lists it. The session
    itself is Django's (its row in django_session); signing out deletes that row."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="portal_sessions")
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user} session from {self.ip}"
