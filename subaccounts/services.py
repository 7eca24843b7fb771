import re
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from accounts import services as ledger
from accounts.models import SUBACCOUNT_EMAIL_DOMAIN, Asset, Transfer
from accounts.money import AmountRefused, check_amount, format_amount
from core import authstamp

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
    if parent.active_subaccounts().count() >= limit:
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
    parent = User.objects.select_for_update(no_key=True).get(pk=parent.pk)
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
    authstamp.bump(subaccount.pk)
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
    subaccount = User.objects.select_for_update(no_key=True).get(pk=subaccount.pk)
    blockers = deletion_blockers(subaccount)
    if blockers:
        raise SubaccountError("This sub-account can't be deleted: " + " and ".join(blockers) + ".")
    subaccount.balances.all().delete()
    subaccount.is_active = False
    subaccount.save(update_fields=["is_active"])


# --- Transfers between the parent and a sub-account ------------------------------------

TO_SUBACCOUNT = "to"
FROM_SUBACCOUNT = "from"


def transfer_parties(*, parent, subaccount, direction: str):
    """(source, target) of a transfer in ``direction`` (to or from the sub-account)."""
    return (parent, subaccount) if direction == TO_SUBACCOUNT else (subaccount, parent)


def check_transfer(*, parent, subaccount, asset: Asset, amount: Decimal, direction: str) -> None:
    """Raise SubaccountError if this transfer may not happen now.

    The form asks this before it spends the 2FA code; ``transfer`` asks again with the
    sub-account and both balances locked, where the answer holds.
    """
    try:
        check_amount(amount, asset=asset)
    except AmountRefused as refused:
        raise SubaccountError(f"The amount {refused.message}") from None
    if direction == FROM_SUBACCOUNT and subaccount.is_frozen:
        raise SubaccountError("This sub-account is frozen: it can receive funds but not send them.")
    source, _ = transfer_parties(parent=parent, subaccount=subaccount, direction=direction)
    available = ledger.available(source, asset)
    if amount > available:
        raise SubaccountError(
            f"That is more than {source.username} holds ({format_amount(available)} {asset})."
        )


@transaction.atomic
def transfer(*, parent, subaccount, asset: Asset, amount: Decimal, direction: str) -> Transfer:
    """Move funds between ``parent`` and its ``subaccount``: both balances in this one
    transaction, never below zero, recorded on both accounts.

    The sub-account's row is locked first (a freeze or a delete waits, and so does a
    second transfer of the same sub-account), then both balances in id order.
    """
    subaccount = (
        parent.active_subaccounts().select_for_update(no_key=True).filter(pk=subaccount.pk).first()
    )
    if subaccount is None:
        raise SubaccountError("This sub-account no longer exists.")
    asset = Asset.objects.get(pk=asset.pk)
    source, target = transfer_parties(parent=parent, subaccount=subaccount, direction=direction)
    ledger.lock_balances(users=[parent, subaccount], asset=asset)
    check_transfer(
        parent=parent, subaccount=subaccount, asset=asset, amount=amount, direction=direction
    )
    return ledger.move_funds(source=source, target=target, asset=asset, amount=amount, actor=parent)
