"""Transfers racing each other in both directions conserve the money exactly, on both
databases, and never deadlock (balance rows are locked in one fixed order)."""

from decimal import Decimal

import pytest

from accounts.models import Asset, Balance, Transfer
from subaccounts.services import SubaccountError, create_subaccount, transfer
from tests.factories import BalanceFactory, UserFactory
from tests.racing import race, racing_db  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("racing_db")
def test_twenty_parallel_transfers_both_ways_conserve_the_total_exactly():
    parent = UserFactory()
    desks = [create_subaccount(parent=parent, name=name) for name in ("alpha", "beta")]
    btc = Asset.objects.get(symbol="BTC")
    start = {parent.pk: Decimal("1"), desks[0].pk: Decimal("0.5"), desks[1].pk: Decimal("0.5")}
    for account in (parent, *desks):
        BalanceFactory(user=account, asset=btc, amount=start[account.pk])

    # To and from each of two sub-accounts, crossing on the parent's balance: more is
    # asked than some balances hold, so which ones pass depends on the order.
    def move(i):
        return transfer(
            parent=parent,
            subaccount=desks[i % 2],
            asset=btc,
            amount=Decimal("0.13333333"),
            direction="to" if i % 4 < 2 else "from",
        )

    results = race(move, 20)

    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, SubaccountError)
    ]
    assert unexpected == []
    done = [r for r in results if isinstance(r, Transfer)]
    assert Transfer.objects.count() == len(done) > 0
    held = {b.user_id: b.amount for b in Balance.objects.filter(asset=btc)}
    assert sum(held.values()) == Decimal("2")
    for account_id, amount in held.items():
        moved_in = sum(t.amount for t in done if t.to_user_id == account_id)
        moved_out = sum(t.amount for t in done if t.from_user_id == account_id)
        assert amount == start[account_id] + moved_in - moved_out >= 0
