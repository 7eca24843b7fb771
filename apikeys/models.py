import ipaddress
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import keys


class ApiKey(models.Model):
    """An API key of an account (a trader or one of its sub-accounts).

    ``user`` owns the key; for a sub-account's key, ``created_by`` is the parent who
    made it. Read is always granted; Trade and Withdraw each on their own.
    """

    class KeyType(models.TextChoices):
        HMAC = "hmac-sha256", "HMAC-SHA256"
        ED25519 = "ed25519", "Ed25519"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="apikeys"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    alias = models.CharField("Alias Name", max_length=50)
    api_key = models.CharField("API key", max_length=64, unique=True, editable=False)
    key_type = models.CharField(max_length=16, choices=KeyType.choices, default=KeyType.HMAC)
    # HMAC: the secret, Fernet-encrypted (the server needs it to check signatures).
    secret_encrypted = models.TextField(blank=True, editable=False)
    # Ed25519: the public key only (PEM). The private key never reaches the database.
    public_key = models.TextField(blank=True, editable=False)
    user_supplied_key = models.BooleanField(default=False, editable=False)
    can_trade = models.BooleanField("Trade", default=False)
    can_withdraw = models.BooleanField("Withdraw", default=False)
    # Normalised CIDR blocks; empty means unrestricted (and then the key expires).
    ip_whitelist = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "alias"], name="unique_alias_per_account"),
        ]

    def __str__(self):
        return f"{self.alias} ({self.api_key[:12]}…)"

    @property
    def permissions(self) -> list[str]:
        granted = ["read"]
        if self.can_trade:
            granted.append("trade")
        if self.can_withdraw:
            granted.append("withdraw")
        return granted

    def has_permission(self, permission: str) -> bool:
        return permission in self.permissions

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def allows_ip(self, ip: str) -> bool:
        if not self.ip_whitelist:
            return True
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(block) for block in self.ip_whitelist)

    def secret(self) -> str:
        """The HMAC secret, decrypted for checking a signature. Never display it."""
        return keys.decrypt_secret(self.secret_encrypted)


class AuditEvent(models.Model):
    """Who did what to which key, from where. Outlives the key it names."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        MODIFIED = "modified", "Modified"
        DELETED = "deleted", "Deleted"
        DELETED_ALL = "deleted_all", "Deleted all"
        AUTH_FAILED = "auth_failed", "Refused request"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    apikey = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    # Copies of the key's names, so that the trail still reads after deletion.
    key_code = models.UUIDField(null=True, blank=True)
    key_alias = models.CharField(max_length=50, blank=True)
    api_key = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.key_alias} at {self.created_at:%Y-%m-%d %H:%M}"
