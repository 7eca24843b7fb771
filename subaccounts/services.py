import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from accounts.models import SUBACCOUNT_EMAIL_DOMAIN

from .models import Subaccount

User = get_user_model()


class SubaccountError(Exception):
    """A refused sub-account action; the message is fit to show to the parent."""


def subaccount_username(parent, name: str) -> str:
    return f"{parent.username}-{name}"


def check_new_subaccount(*, parent, name: str) -> None:
    """Raise SubaccountError if ``parent`` may not open a sub-account called ``name``.

    The form asks this before it spends the 2FA code; the service asks again under
    the parent's row lock, where the answer holds.
    """
    if parent.parent_id is not None:
        raise SubaccountError("A sub-account can't have sub-accounts.")
    limit = settings.SUBACCOUNTS_MAX_PER_PARENT
    if parent.subaccounts.filter(is_active=True).count() >= limit:
        raise SubaccountError(f"You have reached the limit of {limit} sub-accounts.")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_]{1,19}", name):
        raise SubaccountError("Use 2–20 lowercase letters, digits or _.")
    if User.objects.filter(username__iexact=subaccount_username(parent, name)).exists():
        raise SubaccountError("You already have a sub-account with this name.")


@transaction.atomic
def create_subaccount(*, parent, name: str, note: str = "") -> User:
    """A new sub-account of ``parent``, named ``<parent>-<name>``.

    The parent's row is locked so that two parallel requests can't both take the
    last free place under the limit.
    """
    parent = User.objects.select_for_update().get(pk=parent.pk)
    check_new_subaccount(parent=parent, name=name)
    username = subaccount_username(parent, name)
    sub = User(username=username, parent=parent, note=note)
    sub.email = f"{username}@{SUBACCOUNT_EMAIL_DOMAIN}"
    sub.set_unusable_password()
    try:
        with transaction.atomic():
            sub.save()
    except IntegrityError:
        # The name or its address was taken in the meantime (or by an older account).
        raise SubaccountError("This name is taken. Choose another.") from None
    Subaccount.objects.create(user=sub)
    return sub


def set_frozen(*, subaccount, frozen: bool) -> None:
    """Freeze or unfreeze: the REST API refuses a frozen sub-account's keys."""
    User.objects.filter(pk=subaccount.pk).update(is_frozen=frozen)
    subaccount.is_frozen = frozen


def deletion_blockers(subaccount) -> list[str]:
    """Why ``subaccount`` can't be deleted now (empty when it can)."""
    reasons = []
    if subaccount.apikeys.exists():
        reasons.append("it still has API keys")
    if subaccount.balances.filter(amount__gt=0).exists():
        reasons.append("it still holds a balance")
    return reasons


@transaction.atomic
def delete_subaccount(*, subaccount) -> None:
    """Close an empty sub-account.

    The user row is deactivated, not deleted: the audit trail of the keys it once
    had stays readable, and its name is never handed to somebody else's bot.
    """
    subaccount = User.objects.select_for_update().get(pk=subaccount.pk)
    blockers = deletion_blockers(subaccount)
    if blockers:
        raise SubaccountError("This sub-account can't be deleted: " + " and ".join(blockers) + ".")
    subaccount.balances.all().delete()
    subaccount.is_active = False
    subaccount.save(update_fields=["is_active"])
