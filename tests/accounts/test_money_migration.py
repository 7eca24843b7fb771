"""The migration to integer units carries existing money over exactly, on either database."""

import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Asset, Balance
from api.models import Order, Withdrawal

BEFORE = [("accounts", "0003_address_book"), ("api", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_existing_balances_orders_and_withdrawals_are_carried_over_exactly():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    # The seeded assets, as the data migration made them: a transactional test before
    # this one may have flushed them.
    importlib.import_module("accounts.migrations.0002_seed_assets").seed_assets(old, None)
    user = old.get_model("accounts", "User").objects.create(username="legacy", email="l@e.x")
    asset = old.get_model("accounts", "Asset").objects.create(
        symbol="OLD", name="Old coin", usdt_price=Decimal("12345.123456")
    )
    OldBalance = old.get_model("accounts", "Balance")
    OldBalance.objects.create(user=user, asset=asset, amount=Decimal("1234567.12345678"))
    eth = old.get_model("accounts", "Asset").objects.get(symbol="ETH")
    # What SQL float arithmetic left behind (1.024 - 0.6144): kept as the nearest unit.
    OldBalance.objects.create(user=user, asset=eth, amount=Decimal("0.409600000000001"))
    old.get_model("api", "Order").objects.create(
        user_id=user.pk, symbol="OLDUSDT", side="buy", type="limit",
        price=Decimal("65000.5"), quantity=Decimal("0.00000001"),
    )  # fmt: skip
    old.get_model("api", "Withdrawal").objects.create(
        user_id=user.pk, asset_id=asset.pk, amount=Decimal("40.5"), address="TAddr1"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    held = dict(Balance.objects.filter(user_id=user.pk).values_list("asset__symbol", "amount"))
    assert held == {"OLD": Decimal("1234567.12345678"), "ETH": Decimal("0.4096")}
    migrated = Asset.objects.get(symbol="OLD")
    assert migrated.usdt_price == Decimal("12345.123456")
    assert Asset.objects.get(symbol="BTC").precision == 8
    assert Asset.objects.get(symbol="USDT").precision == 6
    order = Order.objects.get(user_id=user.pk)
    assert (order.price, order.quantity) == (Decimal("65000.5"), Decimal("0.00000001"))
    assert Withdrawal.objects.get(user_id=user.pk).amount == Decimal("40.5")
