"""Create, modify and delete API keys: the workflows behind the API Management page.

Each function takes the ``owner`` (the account whose keys these are) and the ``actor``
(who acts: the owner itself, or the parent of a sub-account) separately, records an
audit event, and runs in one transaction. All changes to an owner's keys first lock the
owner's user row, so that the key limit and alias uniqueness hold when requests race.

The caller has already checked the actor's 2FA code (the forms do that).
"""

import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.mail import send_to_account
from accounts.securitylock import lock_message, security_lock_until, withdraw_key_refusal
from reviews.services import frozen_refusal

from . import keys
from .models import ApiKey, AuditEvent, IdleDigest, IdleKeyPolicy, week_of
from .whitelist import IpWhitelist

WITHDRAW_NEEDS_WHITELIST = (
    "Withdraw needs an IP whitelist: a withdrawal key that works from anywhere would let "
    "whoever steals it empty the account. Add the addresses your bot runs on."
)


def limit_reached_message() -> str:
    limit = settings.APIKEY_MAX_PER_ACCOUNT
    return f"This account has {limit} of {limit} API keys. Delete one to create another."


class KeyChoice:
    """Where a new key's material comes from (the form's choices)."""

    HMAC = "hmac-sha256"
    ED25519 = "ed25519"
    ED25519_OWN = "ed25519-own"
    CHOICES = [
        (HMAC, "HMAC-SHA256"),
        (ED25519, "Ed25519, generated for you"),
        (ED25519_OWN, "Ed25519, with your own public key"),
    ]


class KeyRefused(Exception):
    """The change breaks a rule that only holds under the lock (limit, alias, withdraw).

    ``field`` names the form field the message belongs to, or None for the whole form.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def key_refusals(
    *,
    owner,
    alias: str | None,
    can_withdraw: bool,
    whitelist,
    apikey: ApiKey | None = None,
    expires_on: date | None = None,
    now: datetime | None = None,
) -> list[KeyRefused]:
    """Every rule a new key (``apikey`` None) or a change to ``apikey`` breaks.

    The key limit (new keys only), a unique alias per owner (case-insensitive),
    Withdraw only with a whitelist, and no Withdraw given during a security lock. The
    form asks this before it spends the 2FA code; the service asks again under the
    owner's row lock, where the answer holds. An
    ``alias`` or ``whitelist`` of None (the form found it invalid already) is not asked.
    """
    refusals = []
    if apikey is None and (frozen := frozen_refusal(owner)):
        refusals.append(KeyRefused(frozen))
    if apikey is None and owner.apikeys.count() >= settings.APIKEY_MAX_PER_ACCOUNT:
        refusals.append(KeyRefused(limit_reached_message()))
    if alias is not None:
        taken = owner.apikeys.filter(alias__iexact=alias)
        if apikey is not None:
            taken = taken.exclude(pk=apikey.pk)
        if taken.exists():
            refusals.append(
                KeyRefused("This account already has a key with this alias.", field="alias")
            )
    if can_withdraw and whitelist is not None and not whitelist:
        refusals.append(KeyRefused(WITHDRAW_NEEDS_WHITELIST, field="can_withdraw"))
    had_withdraw = bool(apikey and apikey.can_withdraw)
    locked = withdraw_key_refusal(owner, had_withdraw=had_withdraw, wants_withdraw=can_withdraw)
    if locked:
        refusals.append(KeyRefused(locked, field="can_withdraw"))
    elif had_withdraw and can_withdraw and whitelist is not None:
        # Keeping Withdraw from more places is giving it: only narrowing during a lock.
        wider = not whitelist.within(IpWhitelist.from_blocks(apikey.ip_whitelist))
        if wider and (until := security_lock_until(owner)):
            refusals.append(
                KeyRefused(
                    f"{lock_message(until)} A Withdraw key's whitelist can only narrow until "
                    "then: remove addresses, or turn Withdraw off to add them.",
                    field="ip_whitelist",
                )
            )
    if whitelist is not None and (refused := expiry_refusal(expires_on, whitelist, now)):
        refusals.append(refused)
    return refusals


# --- Expiry ---------------------------------------------------------------------------


def expiry_ceiling(whitelist, now: datetime) -> datetime:
    """The latest a key may expire: a year ahead with a whitelist (a setting); without
    one, the unrestricted lifetime (a key that works from anywhere can't live long)."""
    if whitelist:
        return now + timedelta(days=settings.APIKEY_MAX_EXPIRY_DAYS)
    return now + timedelta(days=settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS)


def expiry_refusal(expires_on: date | None, whitelist, now: datetime | None) -> KeyRefused | None:
    """Why ``expires_on`` (the last day the key works) can't be chosen, or None."""
    if expires_on is None:
        return None
    now = now or timezone.now()
    if expires_on <= now.date():
        return KeyRefused("Choose a date after today.", field="expires_on")
    ceiling = expiry_ceiling(whitelist, now)
    if expires_on > ceiling.date():
        why = "" if whitelist else " for a key without an IP whitelist"
        return KeyRefused(f"The latest expiry date{why} is {ceiling:%Y-%m-%d}.", field="expires_on")
    return None


def chosen_expiry(expires_on: date, whitelist, now: datetime) -> datetime:
    """The moment a key chosen to work through ``expires_on`` stops: the end of that
    day (UTC), or the ceiling when that comes first."""
    end_of_day = datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=UTC)
    return min(end_of_day, expiry_ceiling(whitelist, now))


def last_day(expires_at: datetime | None) -> date | None:
    """The last day (UTC) a key expiring at ``expires_at`` works: what the forms show."""
    if expires_at is None:
        return None
    return (expires_at.astimezone(UTC) - timedelta(microseconds=1)).date()


def _check_key_rules(**rules) -> None:
    if refusals := key_refusals(**rules):
        raise refusals[0]


@dataclass(frozen=True)
class NewKey:
    """A key just created, and the secret to show once (empty for a user's own public key).

    ``secret`` is the HMAC secret or the Ed25519 private key PEM. It exists here and on
    the page that shows it; the database holds it only encrypted (HMAC) or not at all.
    """

    apikey: ApiKey
    secret: str

    def __repr__(self):
        # Keeps the secret out of tracebacks, debuggers and log lines that print us.
        return f"NewKey(apikey={self.apikey!r}, secret=<hidden>)"


# Every local of this call and of whatever it calls is hidden from error reports.
@sensitive_variables()
@transaction.atomic
def create_key(
    *,
    owner,
    actor,
    alias: str,
    can_trade: bool = False,
    can_withdraw: bool = False,
    whitelist: IpWhitelist | None = None,
    key_choice: str = KeyChoice.HMAC,
    public_key_pem: str = "",
    expires_on: date | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> NewKey:
    """A new key for ``owner``; raises KeyRefused at the limit, on a taken alias or an
    expiry date beyond the ceiling. Without ``expires_on``, an unrestricted key expires
    after the unrestricted lifetime and a whitelisted one never."""
    now = now or timezone.now()
    whitelist = whitelist or IpWhitelist()
    _lock_owner(owner)
    _check_key_rules(
        owner=owner,
        alias=alias,
        can_withdraw=can_withdraw,
        whitelist=whitelist,
        expires_on=expires_on,
        now=now,
    )

    apikey = ApiKey(
        user=owner,
        created_by=actor,
        alias=alias,
        api_key=keys.new_api_key(),
        can_trade=can_trade,
        can_withdraw=can_withdraw,
        ip_whitelist=whitelist.as_blocks(),
        created_at=now,
        expires_at=(
            chosen_expiry(expires_on, whitelist, now) if expires_on else _expiry(whitelist, now)
        ),
    )
    secret = ""
    if key_choice == KeyChoice.HMAC:
        apikey.key_type = ApiKey.KeyType.HMAC
        secret = keys.new_hmac_secret()
        apikey.secret_encrypted = keys.encrypt_secret(secret)
        apikey.secret_digest = keys.secret_digest(secret)
    elif key_choice == KeyChoice.ED25519:
        apikey.key_type = ApiKey.KeyType.ED25519
        private_pem, apikey.public_key = keys.new_ed25519_pair()
        secret = private_pem
    elif key_choice == KeyChoice.ED25519_OWN:
        apikey.key_type = ApiKey.KeyType.ED25519
        apikey.public_key = keys.parse_ed25519_public_key(public_key_pem)
        apikey.user_supplied_key = True
    else:
        raise ValueError(f"Unknown key type {key_choice!r}")
    apikey.save()

    AuditEvent.record(
        AuditEvent.Action.CREATED,
        owner=owner,
        actor=actor,
        apikey=apikey,
        ip=ip,
        now=now,
        changes={
            "key_type": {"before": None, "after": apikey.get_key_type_display()},
            "permissions": {"before": None, "after": apikey.permissions},
            "ip_whitelist": {"before": None, "after": apikey.ip_whitelist},
            "expires_at": {"before": None, "after": _iso(apikey.expires_at)},
        },
    )
    _notify(owner, actor, "apikeys/email/key_created.txt", apikey=apikey, ip=ip, now=now)
    return NewKey(apikey=apikey, secret=secret)


@transaction.atomic
def modify_key(
    *,
    owner,
    actor,
    apikey: ApiKey,
    alias: str,
    can_trade: bool,
    can_withdraw: bool,
    whitelist: IpWhitelist | None,
    expires_on: date | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> dict:
    """Change alias, permissions, whitelist and expiry; return what changed.

    ``expires_on`` is the last day the key works. Without it: removing the whitelist
    restarts the expiry clock, a whitelisted key never expires, and an unrestricted one
    keeps its expiry.
    """
    now = now or timezone.now()
    whitelist = whitelist or IpWhitelist()
    _lock_owner(owner)
    apikey = ApiKey.objects.get(pk=apikey.pk, user=owner)
    _check_key_rules(
        owner=owner,
        alias=alias,
        can_withdraw=can_withdraw,
        whitelist=whitelist,
        apikey=apikey,
        expires_on=expires_on,
        now=now,
    )

    before = _snapshot(apikey)
    had_whitelist = bool(apikey.ip_whitelist)
    apikey.alias = alias
    apikey.can_trade = can_trade
    apikey.can_withdraw = can_withdraw
    apikey.ip_whitelist = whitelist.as_blocks()
    if expires_on is not None:
        if expires_on != last_day(apikey.expires_at):
            apikey.expires_at = chosen_expiry(expires_on, whitelist, now)
    elif whitelist or had_whitelist:
        apikey.expires_at = _expiry(whitelist, now)
    after = _snapshot(apikey)

    changes = {
        name: {"before": before[name], "after": after[name]}
        for name in before
        if before[name] != after[name]
    }
    if changes:
        apikey.save()
        AuditEvent.record(
            AuditEvent.Action.MODIFIED,
            owner=owner,
            actor=actor,
            apikey=apikey,
            ip=ip,
            now=now,
            changes=changes,
        )
        template = "apikeys/email/key_modified.txt"
        _notify(owner, actor, template, apikey=apikey, changes=changes, ip=ip, now=now)
    return changes


@transaction.atomic
def extend_key(*, owner, actor, apikey: ApiKey, expires_on: date, ip=None, now=None) -> dict:
    """Move the key's expiry to the end of ``expires_on`` ("Extend"), within the same
    ceilings as at creation; return what changed."""
    now = now or timezone.now()
    _lock_owner(owner)
    apikey = ApiKey.objects.get(pk=apikey.pk, user=owner)
    whitelist = IpWhitelist.from_blocks(apikey.ip_whitelist)
    if refused := expiry_refusal(expires_on, whitelist, now):
        raise refused
    before = _iso(apikey.expires_at)
    apikey.expires_at = chosen_expiry(expires_on, whitelist, now)
    if before == _iso(apikey.expires_at):
        return {}
    apikey.save()
    changes = {"expires_at": {"before": before, "after": _iso(apikey.expires_at)}}
    AuditEvent.record(
        AuditEvent.Action.MODIFIED,
        owner=owner,
        actor=actor,
        apikey=apikey,
        ip=ip,
        now=now,
        changes=changes,
    )
    return changes


class Grace:
    """How long the old secret keeps working after a roll (the roll form's choices)."""

    NONE = "none"
    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"
    CHOICES = [
        (NONE, "None: the old secret stops now"),
        (HOUR, "1 hour"),
        (DAY, "24 hours"),
        (WEEK, "7 days"),
    ]
    LENGTHS = {
        NONE: timedelta(0),
        HOUR: timedelta(hours=1),
        DAY: timedelta(hours=24),
        WEEK: timedelta(days=7),
    }


@sensitive_variables()
@transaction.atomic
def roll_secret(
    *,
    owner,
    actor,
    apikey: ApiKey,
    grace: str,
    public_key_pem: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> NewKey:
    """A new secret (HMAC) or key pair (Ed25519) for ``apikey``; the API key stays.

    The material before the roll keeps working for ``grace`` (a ``Grace`` choice), then
    stops by itself. A roll during a grace period replaces the older material: at most
    two are ever accepted. An Ed25519 key takes ``public_key_pem`` when given (the user
    keeps the private key), else a pair is generated and its private half shown once.
    """
    now = now or timezone.now()
    _lock_owner(owner)
    apikey = ApiKey.objects.get(pk=apikey.pk, user=owner)
    leaked = apikey.disabled_reason == ApiKey.DisabledReason.LEAKED
    # A leaked secret must never work again, not even for a grace period.
    length = timedelta(0) if leaked else Grace.LENGTHS[grace]
    secret = ""
    if apikey.key_type == ApiKey.KeyType.ED25519:
        apikey.previous_public_key = apikey.public_key
        if public_key_pem:
            apikey.public_key = keys.parse_ed25519_public_key(public_key_pem)
            apikey.user_supplied_key = True
        else:
            secret, apikey.public_key = keys.new_ed25519_pair()
            apikey.user_supplied_key = False
    else:
        apikey.previous_secret_encrypted = apikey.secret_encrypted
        apikey.previous_secret_digest = apikey.secret_digest
        secret = keys.new_hmac_secret()
        apikey.secret_encrypted = keys.encrypt_secret(secret)
        apikey.secret_digest = keys.secret_digest(secret)
    if length:
        apikey.previous_valid_until = now + length
    else:
        _forget_previous(apikey)
    apikey.save()
    AuditEvent.record(
        AuditEvent.Action.ROLLED,
        owner=owner,
        actor=actor,
        apikey=apikey,
        ip=ip,
        now=now,
        changes={
            "old_secret_valid_until": {"before": None, "after": _iso(apikey.previous_valid_until)}
        },
    )
    if leaked:
        # The leaked secret is gone: the key works again, with the new one only.
        why = "secret rolled after a leak"
        _enable(apikey, owner=owner, actor=actor, ip=ip, now=now, why=why)
    _notify(owner, actor, "apikeys/email/key_rolled.txt", apikey=apikey, ip=ip, now=now)
    return NewKey(apikey=apikey, secret=secret)


@transaction.atomic
def end_grace(*, owner, actor, apikey: ApiKey, ip: str | None = None, now=None) -> bool:
    """Stop accepting the material before the last roll now ("End now"); False when
    there was no grace period running."""
    now = now or timezone.now()
    _lock_owner(owner)
    apikey = ApiKey.objects.get(pk=apikey.pk, user=owner)
    if not apikey.in_grace(now):
        return False
    before = _iso(apikey.previous_valid_until)
    _forget_previous(apikey)
    apikey.save()
    AuditEvent.record(
        AuditEvent.Action.GRACE_ENDED,
        owner=owner,
        actor=actor,
        apikey=apikey,
        ip=ip,
        now=now,
        changes={"old_secret_valid_until": {"before": before, "after": _iso(now)}},
    )
    return True


def _forget_previous(apikey: ApiKey) -> None:
    apikey.previous_secret_encrypted = ""
    apikey.previous_secret_digest = ""
    apikey.previous_public_key = ""
    apikey.previous_valid_until = None


@transaction.atomic
def add_to_whitelist(*, owner, actor, apikey: ApiKey, address: str, ip=None, now=None) -> dict:
    """Add ``address`` to the key's whitelist and change nothing else.

    The key is read again under the owner's lock, so that a change made meanwhile in
    another tab (a permission taken away, say) is kept, not written back over.
    """
    _lock_owner(owner)
    apikey = ApiKey.objects.get(pk=apikey.pk, user=owner)
    whitelist = IpWhitelist.parse("\n".join([*apikey.ip_whitelist, address]))
    return modify_key(
        owner=owner,
        actor=actor,
        apikey=apikey,
        alias=apikey.alias,
        can_trade=apikey.can_trade,
        can_withdraw=apikey.can_withdraw,
        whitelist=whitelist,
        expires_on=last_day(apikey.expires_at) if apikey.ip_whitelist else None,
        ip=ip,
        now=now,
    )


@transaction.atomic
def delete_key(*, owner, actor, apikey: ApiKey, ip: str | None = None, now=None) -> None:
    """Revoke ``apikey`` at once: the row goes, so no request can authenticate with it."""
    now = now or timezone.now()
    _lock_owner(owner)
    apikey = ApiKey.objects.get(pk=apikey.pk, user=owner)
    AuditEvent.record(
        AuditEvent.Action.DELETED,
        owner=owner,
        actor=actor,
        apikey=apikey,
        ip=ip,
        now=now,
        changes={
            name: {"before": value, "after": None} for name, value in _snapshot(apikey).items()
        },
    )
    _notify(owner, actor, "apikeys/email/key_deleted.txt", apikey=apikey, ip=ip, now=now)
    # The event keeps the key's code, alias and API key; its link to the row goes null.
    apikey.delete()


@transaction.atomic
def delete_all_keys(*, owner, actor, ip: str | None = None, now=None) -> int:
    """Delete every key of ``owner`` in one transaction; return how many there were."""
    now = now or timezone.now()
    _lock_owner(owner)
    doomed = list(owner.apikeys.all())
    if not doomed:
        return 0
    AuditEvent.record(
        AuditEvent.Action.DELETED_ALL,
        owner=owner,
        actor=actor,
        ip=ip,
        now=now,
        changes={
            "keys": {
                "before": [_key_label(apikey) for apikey in doomed],
                "after": [],
            }
        },
    )
    _notify(owner, actor, "apikeys/email/keys_deleted_all.txt", apikeys=doomed, ip=ip, now=now)
    owner.apikeys.all().delete()
    return len(doomed)


@transaction.atomic
def reencrypt_secrets(*, pk: int) -> None:
    """Encrypt a key's secret (and the one before its last roll) with the newest
    APIKEY_ENCRYPTION_KEYS entry; the secrets themselves stay the same."""
    apikey = ApiKey.objects.select_for_update(no_key=True).get(pk=pk)
    apikey.secret_encrypted = keys.rotate_encrypted_secret(apikey.secret_encrypted)
    if apikey.previous_secret_encrypted:
        apikey.previous_secret_encrypted = keys.rotate_encrypted_secret(
            apikey.previous_secret_encrypted
        )
    apikey.save(update_fields=["secret_encrypted", "previous_secret_encrypted"])


# --- Expiry warnings ----------------------------------------------------------------

# (how long before expiry, the field recording it was sent, how the e-mail says it);
# nearest first, so that a key first seen inside a day gets only the 1-day warning.
WARNINGS = (
    (timedelta(days=1), "warned_1d_for", "1 day"),
    (timedelta(days=7), "warned_7d_for", "7 days"),
)


def send_expiry_warnings(*, now: datetime | None = None) -> int:
    """E-mail the owner of each key that expires within 7 days, then within 1 day: each
    warning once per expiry (the schedule runs this hourly). Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    due = ApiKey.objects.filter(
        expires_at__gt=now, expires_at__lte=now + WARNINGS[-1][0], disabled_at__isnull=True
    ).select_related("user", "user__parent")
    for apikey in due:
        sent += _warn_expiry(apikey=apikey, now=now)
    return sent


@transaction.atomic
def _warn_expiry(*, apikey: ApiKey, now: datetime) -> int:
    # of=("self",): PostgreSQL can't lock the nullable side (the parent) of the join.
    apikey = (
        ApiKey.objects.select_for_update(of=("self",))
        .select_related("user", "user__parent")
        .get(pk=apikey.pk)
    )
    left = apikey.expires_at - now
    for within, field, label in WARNINGS:
        if left <= within:
            if getattr(apikey, field) == apikey.expires_at:
                return 0
            setattr(apikey, field, apikey.expires_at)
            apikey.save(update_fields=[field])
            _notify(
                apikey.user,
                None,
                "apikeys/email/key_expiring.txt",
                apikey=apikey,
                within=label,
                link=settings.PORTAL_URL.rstrip("/") + _key_path(apikey),
                now=now,
            )
            return 1
    return 0


def _key_path(apikey: ApiKey) -> str:
    from django.urls import reverse

    if apikey.user.is_subaccount:
        return reverse("subaccounts:apikey_detail", args=[apikey.user.subaccount.code, apikey.code])
    return reverse("apikeys:detail", args=[apikey.code])


# --- Leaked secrets ------------------------------------------------------------------


def key_of_secret(token: str) -> ApiKey | None:
    """The key ``token`` is the secret of (or was, before a roll), or None.

    The checksum first: anything else costs no query. Then the digest index, and the
    decrypted secret compared in constant time.
    """
    if not keys.is_well_formed_secret(token):
        return None
    digest = keys.secret_digest(token)
    candidates = ApiKey.objects.filter(
        models.Q(secret_digest=digest) | models.Q(previous_secret_digest=digest)
    ).select_related("user", "user__parent")
    for apikey in candidates:
        for encrypted in (apikey.secret_encrypted, apikey.previous_secret_encrypted):
            if encrypted and hmac.compare_digest(keys.decrypt_secret(encrypted), token):
                return apikey
    return None


@sensitive_variables("token")
@transaction.atomic
def revoke_leaked_secret(*, token: str, url: str = "", source: str = "", now=None) -> bool:
    """Disable the key whose secret ``token`` is, at once; True when it is one of ours.

    Reported as found at ``url`` by a secret scanner (``source``: where it looked). A
    key already disabled as leaked stays as it is (the same report twice records and
    e-mails once); one disabled for another reason (idle) becomes leaked, so that only a
    roll brings it back.
    """
    apikey = key_of_secret(token)
    if apikey is None:
        return False
    now = now or timezone.now()
    owner = apikey.user
    _lock_owner(owner)
    apikey = ApiKey.objects.get(pk=apikey.pk)
    if apikey.disabled_reason == ApiKey.DisabledReason.LEAKED:
        return True
    apikey.disabled_at = apikey.disabled_at or now
    apikey.disabled_reason = ApiKey.DisabledReason.LEAKED
    apikey.save()
    AuditEvent.record(
        AuditEvent.Action.DISABLED,
        owner=owner,
        apikey=apikey,
        now=now,
        changes={
            "reason": {"before": None, "after": "secret found in public"},
            "found_at": {"before": None, "after": url[:500]},
            "source": {"before": None, "after": source[:100]},
        },
    )
    _notify(
        owner,
        None,
        "apikeys/email/key_leaked.txt",
        apikey=apikey,
        link=settings.PORTAL_URL.rstrip("/") + _key_path(apikey),
        url=url[:500],
        source=source[:100],
        now=now,
    )
    return True


# --- Disabled keys: enabling again --------------------------------------------------

LEAKED_NEEDS_ROLL = (
    "This key's secret was found in public, so it can't simply be enabled again: "
    "whoever found it could use it. Roll the secret (the old one stops at once) and the "
    "key works again with the new one; or delete it."
)


@transaction.atomic
def enable_key(*, owner, actor, apikey: ApiKey, ip=None, now=None) -> bool:
    """Let a disabled key authenticate again ("Enable"); False when it was not disabled.

    A key disabled because its secret leaked is refused (KeyRefused): the secret is
    public, so only a roll (``roll_secret``, which then enables it) brings the key back.
    """
    now = now or timezone.now()
    _lock_owner(owner)
    apikey = ApiKey.objects.get(pk=apikey.pk, user=owner)
    if apikey.disabled_at is None:
        return False
    if apikey.disabled_reason == ApiKey.DisabledReason.LEAKED:
        raise KeyRefused(LEAKED_NEEDS_ROLL)
    _enable(apikey, owner=owner, actor=actor, ip=ip, now=now)
    _notify(owner, actor, "apikeys/email/key_enabled.txt", apikey=apikey, ip=ip, now=now)
    return True


def _enable(apikey: ApiKey, *, owner, actor, ip, now, why: str = "") -> None:
    before = apikey.disabled_reason or "disabled"
    apikey.disabled_at = None
    apikey.disabled_reason = ""
    apikey.enabled_at = now
    apikey.save()
    changes = {"disabled": {"before": before, "after": None}}
    if why:
        changes["how"] = {"before": None, "after": why}
    AuditEvent.record(
        AuditEvent.Action.ENABLED,
        owner=owner,
        actor=actor,
        apikey=apikey,
        ip=ip,
        now=now,
        changes=changes,
    )


# --- Idle keys -----------------------------------------------------------------------


def disables_idle_keys(owner) -> bool:
    """Whether ``owner`` turned on "Disable keys idle for APIKEY_IDLE_DAYS days"."""
    return IdleKeyPolicy.objects.filter(owner=owner, disable_idle=True).exists()


@transaction.atomic
def set_idle_policy(*, owner, actor, disable_idle: bool, ip=None, now=None) -> bool:
    """Turn the account's "disable idle keys" on or off (the state asked for, never a
    toggle: a double submit changes nothing). True when it changed; audited."""
    now = now or timezone.now()
    _lock_owner(owner)
    policy, _ = IdleKeyPolicy.objects.get_or_create(owner=owner)
    if policy.disable_idle == disable_idle:
        return False
    policy.disable_idle = disable_idle
    policy.changed_at = now
    policy.save()
    label = {True: "On", False: "Off"}
    AuditEvent.record(
        AuditEvent.Action.IDLE_SETTING,
        owner=owner,
        actor=actor,
        ip=ip,
        now=now,
        changes={
            "disable_idle_keys": {"before": label[not disable_idle], "after": label[disable_idle]}
        },
    )
    return True


def disable_idle_keys(*, now: datetime | None = None) -> int:
    """Disable every idle key of the accounts that asked for it; how many were."""
    now = now or timezone.now()
    doomed = ApiKey.objects.idle(now).filter(
        user__is_active=True, user__idle_policy__disable_idle=True
    )
    return sum(_disable_idle(pk=pk, now=now) for pk in doomed.values_list("pk", flat=True))


@transaction.atomic
def _disable_idle(*, pk: int, now: datetime) -> int:
    owner = ApiKey.objects.select_related("user").get(pk=pk).user
    _lock_owner(owner)
    # Asked again under the lock: a request or "Enable" may have come in meanwhile.
    apikey = ApiKey.objects.idle(now).filter(pk=pk).first()
    if apikey is None or not disables_idle_keys(owner):
        return 0
    apikey.disabled_at = now
    apikey.disabled_reason = ApiKey.DisabledReason.IDLE
    apikey.save()
    last_used = _iso(apikey.last_used_at) or "never"
    AuditEvent.record(
        AuditEvent.Action.DISABLED,
        owner=owner,
        apikey=apikey,
        now=now,
        changes={
            "reason": {"before": None, "after": f"idle for {settings.APIKEY_IDLE_DAYS} days"},
            "last_used": {"before": None, "after": last_used},
        },
    )
    _notify(
        owner,
        None,
        "apikeys/email/key_disabled_idle.txt",
        apikey=apikey,
        days=settings.APIKEY_IDLE_DAYS,
        link=settings.PORTAL_URL.rstrip("/") + _key_path(apikey),
        now=now,
    )
    return 1


def send_idle_digests(*, now: datetime | None = None) -> int:
    """E-mail each account the week's list of its idle keys and its sub-accounts' (a
    sub-account's go to its parent); at most one digest per account and ISO week, however
    often this runs. Returns how many were sent."""
    now = now or timezone.now()
    idle = (
        ApiKey.objects.idle(now)
        .filter(user__is_active=True)
        .select_related("user", "user__parent", "user__subaccount")
        .order_by("user_id", "created_at", "id")
    )
    by_manager: dict = {}
    for apikey in idle:
        manager = apikey.user.parent if apikey.user.is_subaccount else apikey.user
        if manager.is_active:
            by_manager.setdefault(manager.pk, (manager, []))[1].append(apikey)
    return sum(
        _send_digest(manager=manager, apikeys=apikeys, now=now)
        for manager, apikeys in by_manager.values()
    )


@transaction.atomic
def _send_digest(*, manager, apikeys: list[ApiKey], now: datetime) -> int:
    _lock_owner(manager)
    week = week_of(now)
    if IdleDigest.objects.filter(recipient=manager, week=week).exists():
        return 0
    listed = [
        {
            **_key_label(apikey),
            "owner": apikey.user.username,
            "last_used": _iso(apikey.last_used_at),
        }
        for apikey in apikeys
    ]
    IdleDigest.objects.create(recipient=manager, week=week, sent_at=now, listed=listed)
    rows = [
        {
            "apikey": apikey,
            "link": settings.PORTAL_URL.rstrip("/") + _key_path(apikey),
        }
        for apikey in apikeys
    ]
    _notify(
        manager,
        None,
        "apikeys/email/idle_digest.txt",
        rows=rows,
        days=settings.APIKEY_IDLE_DAYS,
        now=now,
    )
    return 1


# --- Helpers -----------------------------------------------------------------------


def _lock_owner(owner) -> None:
    # One row lock per account serialises every change to its keys: two "Create API"
    # clicks at the limit can't both see 9 keys. (SQLite locks the whole database.)
    get_user_model().objects.select_for_update(no_key=True).filter(pk=owner.pk).values_list(
        "pk"
    ).get()


def _expiry(whitelist: IpWhitelist, now: datetime) -> datetime | None:
    # A key that works from anywhere should not work forever.
    if whitelist:
        return None
    return now + timedelta(days=settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS)


def _snapshot(apikey: ApiKey) -> dict:
    return {
        "alias": apikey.alias,
        "permissions": apikey.permissions,
        "ip_whitelist": list(apikey.ip_whitelist),
        "expires_at": _iso(apikey.expires_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _key_label(apikey: ApiKey) -> dict:
    return {"code": str(apikey.code), "alias": apikey.alias, "api_key": apikey.api_key}


def _notify(owner, actor, template: str, **ctx) -> None:
    """E-mail whoever manages the keys' account, and the actor, once committed.

    A sub-account is never e-mailed (its address is a reserved .invalid one): its
    notices go to the parent that manages it. The templates name alias, permissions,
    whitelist and the IP of the request; they are never given a secret.
    """
    manager = owner.parent if owner.is_subaccount else owner
    recipients = {user.pk: user for user in (manager, actor) if user and user.email}
    ctx.update(owner=owner, actor=actor)
    subject, _, body = render_to_string(template, ctx).strip().partition("\n")
    for user in recipients.values():
        send_to_account(user=user, subject=subject, body=body, what=template)
