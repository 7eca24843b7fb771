"""The withdrawal address book and the Address Management switch.

With Address Management on, the REST API sends withdrawals only to addresses in the
book (``address_not_whitelisted`` otherwise): a stolen API key with the Withdraw
permission can't send funds anywhere new. Adding an address and turning the switch off
are confirmed with a 2FA code by the form that calls these functions; removing one
only narrows where funds may go, so it needs none.
"""

from django.db import IntegrityError, transaction

from .models import AddressManagement, Asset, WithdrawalAddress

ADDRESS_BOOK_MAX = 50
# Letters, digits and the few separators chains use (bech32 "bc1…", memo tags "addr:memo").
ADDRESS_PATTERN = r"[A-Za-z0-9][A-Za-z0-9:._-]{3,127}"


class AddressRefused(Exception):
    """The book is full, or the address is in it already; the message fits the form."""


def address_management_on(user) -> bool:
    return AddressManagement.objects.filter(user=user, enabled=True).exists()


def in_address_book(user, asset: Asset, address: str) -> bool:
    return WithdrawalAddress.objects.filter(user=user, asset=asset, address=address).exists()


@transaction.atomic
def set_address_management(*, user, enabled: bool) -> AddressManagement:
    setting, _ = AddressManagement.objects.select_for_update().get_or_create(user=user)
    setting.enabled = enabled
    setting.save()
    return setting


@transaction.atomic
def add_address(*, user, asset: Asset, address: str, label: str) -> WithdrawalAddress:
    if user.withdrawal_addresses.count() >= ADDRESS_BOOK_MAX:
        raise AddressRefused(f"The address book holds at most {ADDRESS_BOOK_MAX} addresses.")
    try:
        with transaction.atomic():
            return WithdrawalAddress.objects.create(
                user=user, asset=asset, address=address, label=label
            )
    except IntegrityError:
        raise AddressRefused(f"This {asset.symbol} address is in the book already.") from None


@transaction.atomic
def remove_address(*, user, entry: WithdrawalAddress) -> None:
    user.withdrawal_addresses.filter(pk=entry.pk).delete()
