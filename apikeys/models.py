import uuid
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from core import authstamp
from core.net import valid_ip_or_none

from . import keys
from .whitelist import IpWhitelist, display_block


def works_until(expires_at: datetime | None) -> str:
    """How every page, message and e-mail writes a key's expiry (without "Works until").

    A key chosen to work through a day stops at the next midnight UTC: that is written as
    the day itself, "2027-06-30 (end of day UTC)", so that the date people picked is the
    date they read. Any other moment (the ceiling of an unrestricted key) is written
    exactly, "2027-07-01 13:42 UTC". None: "never expires".
    """
    if expires_at is None:
        return "never expires"
    day, time = expiry_parts(expires_at)
    return f"{day} (end of day UTC)" if time == "end of day" else f"{day} {time} UTC"


def expiry_parts(expires_at: datetime) -> tuple[str, str]:
    """(last day, "end of day" or "HH:MM") in UTC: ``works_until`` in two lines (the table)."""
    moment = expires_at.astimezone(UTC)
    if moment.time() == datetime.min.time():
        return f"{moment - timedelta(days=1):%Y-%m-%d}", "end of day"
    return f"{moment:%Y-%m-%d}", f"{moment:%H:%M}"


def idle_cutoff(now: datetime) -> datetime:
    """A key last used (or, never used, created) at or before this moment is idle."""
    return now - timedelta(days=settings.APIKEY_IDLE_DAYS)


class ApiKeyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The keys ``user`` manages: its own and those of its active sub-accounts."""
        return self.filter(models.Q(user=user) | models.Q(user__in=user.active_subaccounts()))

    def idle(self, now: datetime):
        """Keys that still work but nobody has used for APIKEY_IDLE_DAYS (``is_idle``):
        neither disabled nor expired, idle since (``ApiKey.idle_since``) the cutoff."""
        # Since the last use (or creation), or the last "Enable" if that came later.
        used = Coalesce("last_used_at", "created_at")
        since = Greatest(used, Coalesce("enabled_at", "last_used_at", "created_at"))
        return self.annotate(_idle_since=since).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now),
            disabled_at__isnull=True,
            _idle_since__lte=idle_cutoff(now),
        )

    # Bulk updates bump the owners' stamps too (core/authstamp.py): the usage flush's
    # update of last_used_at doesn't, a change the gate reads does. (Deletes bump in
    # the post_delete receiver below, which sees cascades and bulk deletes as well.)
    def update(self, **kwargs):
        if any(name.removesuffix("_id") in ApiKey.AUTH_FIELDS for name in kwargs):
            authstamp.bump(*self.values_list("user_id", flat=True).distinct())
        return super().update(**kwargs)


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
    # Rolling: the material the key had before its last roll (HMAC: the secret,
    # encrypted; Ed25519: the public key), still accepted until ``previous_valid_until``.
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_public_key = models.TextField(blank=True, editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    # SHA-256 of the HMAC secret (and of the one before the last roll): how a leak report
    # finds the key of a secret without decrypting every row. The secret has 256 random
    # bits, so its digest can't be reversed by guessing.
    secret_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    previous_secret_digest = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False
    )
    # A disabled key exists but authenticates nothing until it is enabled again.
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=16, blank=True, editable=False)
    # When "Enable" last brought the key back: its idle period starts again from there.
    enabled_at = models.DateTimeField(null=True, blank=True)
    # The expiry the 7-day and the 1-day warning were sent for: each is sent once per
    # expiry, and a new expiry (Extend, Modify) is warned about afresh.
    warned_7d_for = models.DateTimeField(null=True, blank=True, editable=False)
    warned_1d_for = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    # What the signed-request gate reads of a key, besides its owner (api/auth.py). Every
    # write to one of these goes through apikeys/services.py.
    AUTH_FIELDS = (
        "api_key",
        "key_type",
        "secret_encrypted",
        "public_key",
        "previous_secret_encrypted",
        "previous_public_key",
        "previous_valid_until",
        "can_trade",
        "can_withdraw",
        "ip_whitelist",
        "expires_at",
        "disabled_at",
        "user",
    )

    class DisabledReason:
        LEAKED = "leaked"  # a secret scanner found the secret: only a roll brings it back
        IDLE = "idle"  # unused for APIKEY_IDLE_DAYS, its account asked: "Enable" brings it back

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "alias"], name="unique_alias_per_account"),
        ]

    def __str__(self):
        return f"{self.alias} ({self.api_key[:12]}…)"

    def save(self, *args, **kwargs):
        # Every path that disables, rolls, modifies or extends a key saves it here (the
        # services, the admin, a future idle auto-disable): the owner's stamp moves.
        changes_auth = not self._state.adding and authstamp.touches(kwargs, self.AUTH_FIELDS)
        super().save(*args, **kwargs)
        if changes_auth:
            authstamp.bump(self.user_id)

    PERMISSIONS = ("read", "trade", "withdraw")  # what a key may be granted, in order

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

    @property
    def expiry_state(self) -> str:
        """For display: "never", "expired", "soon" (within a week) or "later"."""
        if self.expires_at is None:
            return "never"
        left = self.expires_at - timezone.now()
        if left.total_seconds() <= 0:
            return "expired"
        return "soon" if left.days < 7 else "later"

    @property
    def works_until(self) -> str:
        """The expiry as people read it everywhere (``works_until``)."""
        return works_until(self.expires_at)

    @property
    def expiry_parts(self) -> tuple[str, str] | None:
        return expiry_parts(self.expires_at) if self.expires_at else None

    @property
    def expires_in_days(self) -> int | None:
        """Whole days left before the key expires (0: less than a day), None: never."""
        if self.expires_at is None:
            return None
        return max(0, (self.expires_at - timezone.now()).days)

    def is_idle(self, now: datetime | None = None) -> bool:
        """Works, but unused for APIKEY_IDLE_DAYS (``ApiKeyQuerySet.idle`` in SQL)."""
        now = now or timezone.now()
        if self.disabled_at is not None or self.is_expired(now):
            return False
        return self.idle_since <= idle_cutoff(now)

    @property
    def idle_since(self) -> datetime:
        """Since when nothing has used the key: its last use, else its creation, or its
        last "Enable" if that came later (``ApiKeyQuerySet.idle`` in SQL)."""
        used = self.last_used_at or self.created_at
        return max(used, self.enabled_at or used)

    @property
    def idle_days(self) -> int:
        """Whole days since the key was last used (never used: since it was created)."""
        return (timezone.now() - (self.last_used_at or self.created_at)).days

    @property
    def disabled_event(self):
        """The audit event that disabled the key (it says why and, for a leak, where)."""
        if self.disabled_at is None:
            return None
        return self.events.filter(action=AuditEvent.Action.DISABLED).first()

    def allows_ip(self, ip: str) -> bool:
        """Whether a request from ``ip`` may use this key (any IP when unrestricted)."""
        return not self.ip_whitelist or ip in IpWhitelist.from_blocks(self.ip_whitelist)

    @property
    def is_unrestricted(self) -> bool:
        return not self.ip_whitelist

    @property
    def whitelist_display(self) -> list[str]:
        """The whitelist as people write it: 203.0.113.7 rather than 203.0.113.7/32."""
        return [display_block(block) for block in self.ip_whitelist]

    def secret(self) -> str:
        """The HMAC secret, decrypted for checking a signature. Never display it."""
        return keys.decrypt_secret(self.secret_encrypted)

    # Templates call argument-less methods: {{ apikey.secret }} must render nothing.
    secret.do_not_call_in_templates = True

    def in_grace(self, now=None) -> bool:
        """Whether the material before the last roll is still accepted."""
        return self.previous_valid_until is not None and self.previous_valid_until > (
            now or timezone.now()
        )

    def verifies(self, payload: bytes, signature: str, now=None) -> bool:
        """Whether ``signature`` over ``payload`` was made with this key's material: the
        current one, or the one before the last roll while its grace period lasts."""
        if self.key_type == self.KeyType.ED25519:
            current, previous = self.public_key, self.previous_public_key
            check = keys.verify_ed25519
        else:
            current, previous = self.secret_encrypted, self.previous_secret_encrypted
            check = self._verify_hmac
        if check(current, payload, signature):
            return True
        return bool(previous) and self.in_grace(now) and check(previous, payload, signature)

    @staticmethod
    def _verify_hmac(encrypted: str, payload: bytes, signature: str) -> bool:
        return keys.verify_hmac(keys.decrypt_secret(encrypted), payload, signature)


class AuditEvent(models.Model):
    """Who did what to which key, from where. Outlives the key it names."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        MODIFIED = "modified", "Modified"
        DELETED = "deleted", "Deleted"
        DELETED_ALL = "deleted_all", "Deleted all"
        AUTH_FAILED = "auth_failed", "Refused request"
        ROLLED = "rolled", "Secret rolled"
        DISABLED = "disabled", "Disabled"
        GRACE_ENDED = "grace_ended", "Old secret ended"
        ENABLED = "enabled", "Enabled"
        IDLE_SETTING = "idle_setting", "Idle keys setting"

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

    @classmethod
    def record(
        cls, action, *, owner, apikey=None, actor=None, ip=None, changes=None, now=None
    ) -> "AuditEvent":
        """The one way an audit row is written (key pages, services and the API's gate).

        The key's code, alias and API key are copied so that the trail still reads after
        the key is deleted; ``ip`` is kept only when it is an address.
        """
        return cls.objects.create(
            owner=owner,
            actor=actor,
            apikey=apikey,
            key_code=apikey.code if apikey else None,
            key_alias=apikey.alias if apikey else "",
            api_key=apikey.api_key if apikey else "",
            action=action,
            changes=changes or {},
            ip=valid_ip_or_none(ip) if ip else None,
            created_at=now or timezone.now(),
        )

    def change_rows(self) -> list[tuple[str, str | None, str | None]]:
        """``changes`` for people: (what, before, after) as text.

        A creation has no "before", a deletion no "after": those are None.
        """
        rows = []
        # In a fixed order: PostgreSQL's jsonb does not keep the order keys were written in.
        order = list(_CHANGE_LABELS)
        names = sorted(self.changes, key=lambda n: order.index(n) if n in order else len(order))
        for name in names:
            diff = self.changes[name]
            if not isinstance(diff, dict):
                continue
            raw_before, raw_after = diff.get("before"), diff.get("after")
            snapshot = self.action == self.Action.CREATED or self.action in _GONE
            if raw_before == raw_after and not snapshot:
                continue  # Nothing changed (a roll without a grace period): no row.
            # Nothing before a value was set (a reason, a grace period) reads as just the value.
            unset = raw_before is None and name != "expires_at"
            no_before = self.action == self.Action.CREATED or unset
            before = None if no_before else _shown(name, raw_before)
            after = None if self.action in _GONE else _shown(name, raw_after)
            label = _CHANGE_LABELS.get(name) or name.replace("_", " ").capitalize()
            rows.append((label, before, after))
        return rows


_CHANGE_LABELS = {
    "alias": "Alias Name",
    "key_type": "Key type",
    "permissions": "Permissions",
    "ip_whitelist": "Whitelist IP",
    "expires_at": "Expires",
    "keys": "Keys",
    "reason": "Reason",
    "last_used": "Last used",
    "disabled": "Disabled",
    "how": "How",
    "disable_idle_keys": "Disable idle keys",
    "old_secret_valid_until": "Old secret valid until",
    "found_at": "Found at",
}

# Changes that are moments: written as the rest of the page writes times.
_MOMENTS = {"old_secret_valid_until", "last_used"}


_GONE = {AuditEvent.Action.DELETED, AuditEvent.Action.DELETED_ALL}


def _shown(name: str, value) -> str:
    if name == "expires_at":
        return works_until(_moment(value)) if value else "Never"
    if value is None:
        return "—"
    if name in _MOMENTS and (moment := _moment(value)):
        return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if name == "permissions":
        return ", ".join(p.title() for p in value)
    if name == "ip_whitelist":
        return ", ".join(display_block(block) for block in value) or "Unrestricted"
    if name == "keys":
        return ", ".join(key.get("alias", "?") for key in value) or "none"
    return str(value)


def _moment(value) -> datetime | None:
    """An ISO time from ``changes`` as a datetime (UTC when naive); None when it is not one."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class IdleKeyPolicy(models.Model):
    """An account's choice about its idle keys: with ``disable_idle`` on, the weekly
    ``idle_keys`` command disables its keys unused for APIKEY_IDLE_DAYS. One row per
    account that ever chose; no row is "off"."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idle_policy"
    )
    disable_idle = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.owner_id}: disable idle keys {'on' if self.disable_idle else 'off'}"


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of ``moment``'s ISO week: the digest is sent once per such week."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


class IdleDigest(models.Model):
    """The weekly idle-key digest sent to ``recipient`` (the keys' manager: the owner,
    or the parent of a sub-account) for ``week``; its row is what makes a second run of
    the command in the same week send nothing. ``listed`` is the keys it named."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    week = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    listed = models.JSONField(default=list)

    class Meta:
        ordering = ["-week", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "week"], name="one_idle_digest_a_week"),
        ]

    def __str__(self):
        return f"{self.recipient_id} {self.week}: {len(self.listed)} idle key(s)"


class KeyUsageHour(models.Model):
    """How many authenticated requests a key made in one clock hour (UTC).

    Written from cache counters at most once a minute per key (see apikeys/usage.py), never
    on every request.
    """

    apikey = models.ForeignKey("ApiKey", on_delete=models.CASCADE, related_name="usage_hours")
    hour = models.DateTimeField()
    requests = models.PositiveIntegerField(default=0)

    class Meta:
        # Kept from when the api app held usage (moved state-only, see migrations).
        db_table = "api_keyusagehour"
        ordering = ["hour"]
        constraints = [
            models.UniqueConstraint(fields=["apikey", "hour"], name="one_usage_row_per_key_hour"),
        ]

    def __str__(self):
        return f"{self.apikey_id} {self.hour:%Y-%m-%d %H}:00 {self.requests}"


class KeyIpAddress(models.Model):
    """An IP address a key was used from (authenticated requests only)."""

    apikey = models.ForeignKey("ApiKey", on_delete=models.CASCADE, related_name="used_ips")
    ip = models.GenericIPAddressField()
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "api_keyipaddress"
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["apikey", "ip"], name="one_row_per_key_ip"),
        ]

    def __str__(self):
        return f"{self.ip} (last {self.last_seen:%Y-%m-%d %H:%M})"


@receiver(post_delete, sender=ApiKey)
def _key_deleted(sender, instance, **kwargs):
    # Any delete: Model.delete, QuerySet.delete, the admin's, a cascade from the owner.
    authstamp.bump(instance.user_id)
