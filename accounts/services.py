from collections.abc import Iterable
from decimal import Decimal

from .models import Balance


def total_usdt(balances: Iterable[Balance]) -> Decimal:
    """The value of ``balances`` in USDT, in Decimal arithmetic (never floats).

    The balances should come with their asset (``select_related("asset")``), so that
    valuing a whole portfolio costs the one query that fetched it.
    """
    return sum((balance.usdt_value for balance in balances), Decimal(0))


def balances_of(user) -> list[Balance]:
    return list(user.balances.select_related("asset"))


def balance_usdt(user) -> Decimal:
    """The account's total balance in USDT: one query."""
    return total_usdt(balances_of(user))
