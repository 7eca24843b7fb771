"""The security lock: for 24 hours after the password is reset or changed, or 2FA is
turned off, the account cannot withdraw through the API, and no key may be created with
Withdraw or given it.

Exchanges do this so that a stolen password (or a session that turned 2FA off) cannot
be turned into a withdrawal before the owner reads the e-mail and reacts. The one rule
is ``security_lock_until``; the key form and service ask ``withdraw_key_refusal``, the
API's withdrawal asks ``security_lock_until`` under its row locks.

A sub-account follows its parent's lock: it has no password or 2FA of its own, and the
parent's session manages its keys and moves its funds, so a stolen parent password must
not reach a withdrawal through a sub-account either.
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from core import authstamp

from .models import User

LOCK = timedelta(hours=24)


def start_security_lock(*, user, now: datetime | None = None) -> datetime:
    """Lock ``user`` for 24 hours from ``now``; return when the lock lifts.

    A lock already running longer is kept: a change never shortens it.
    """
    until = (now or timezone.now()) + LOCK
    User.objects.filter(pk=user.pk).filter(
        Q(security_locked_until__isnull=True) | Q(security_locked_until__lt=until)
    ).update(security_locked_until=until)
    authstamp.bump(user.pk)
    stored = User.objects.values_list("security_locked_until", flat=True).get(pk=user.pk)
    user.security_locked_until = stored
    return stored


def security_lock_until(user, *, now: datetime | None = None) -> datetime | None:
    """When the lock on ``user`` (a sub-account: its parent) lifts; None when unlocked.

    Read from the database each time: a lock another session started a moment ago counts.
    """
    owner_id = user.parent_id or user.pk
    until = User.objects.values_list("security_locked_until", flat=True).get(pk=owner_id)
    if until is None or until <= (now or timezone.now()):
        return None
    return until


def lock_message(until: datetime) -> str:
    return (
        "Security lock: after a password or 2FA change, no withdrawal and no key with "
        f"Withdraw until {until:%Y-%m-%d %H:%M} UTC."
    )


def withdraw_key_refusal(user, *, had_withdraw: bool, wants_withdraw: bool) -> str | None:
    """Why a key of ``user`` may not be given Withdraw now, or None.

    A key that already has Withdraw keeps it (turning it off or narrowing the key stays
    possible); only giving Withdraw is refused during the lock.
    """
    if not wants_withdraw or had_withdraw:
        return None
    until = security_lock_until(user)
    return lock_message(until) if until else None
