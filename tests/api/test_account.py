from decimal import Decimal

import pytest

from accounts.models import Asset
from tests.factories import ApiKeyFactory, BalanceFactory, SubaccountFactory, usdt

pytestmark = pytest.mark.django_db


def test_account_lists_balances_with_their_usdt_value(api):
    key = ApiKeyFactory(alias="reader")
    btc = Asset.objects.get(symbol="BTC")
    BalanceFactory(user=key.user, asset=btc, amount=Decimal("0.5"))
    usdt(key.user, "1250.25")
    body = api.get(key, "/api/v1/account").json()
    assert body["account"] == {"username": key.user.username, "type": "main", "parent": None}
    assert body["key"] == {"alias": "reader", "permissions": ["read"]}
    usdt_rules = {"precision": 6, "min_withdrawal": "1"}
    assert body["balances"] == [
        {
            "asset": "BTC",
            "amount": "0.5",
            "usdt_value": str((btc.usdt_price / 2).normalize()),
            "precision": 8,
            "min_withdrawal": "0.0001",
        },
        {"asset": "USDT", "amount": "1250.25", "usdt_value": "1250.25", **usdt_rules},
    ]
    assert Decimal(body["total_usdt"]) == btc.usdt_price / 2 + Decimal("1250.25")


def test_amounts_are_decimal_strings_never_floats(api):
    key = ApiKeyFactory()
    usdt(key.user, "0.00000001")
    balance = api.get(key, "/api/v1/account").json()["balances"][0]
    assert balance["amount"] == "0.00000001"


def test_sub_account_key_sees_the_sub_accounts_balances_not_the_parents(api, owner):
    usdt(owner, 1000)
    sub = SubaccountFactory(parent=owner)
    usdt(sub, 7)
    body = api.get(ApiKeyFactory(user=sub), "/api/v1/account").json()
    assert [b["amount"] for b in body["balances"]] == ["7"]
    assert body["account"]["type"] == "sub-account"


def test_empty_account_has_no_balances_and_zero_total(api):
    body = api.get(ApiKeyFactory(), "/api/v1/account").json()
    assert body["balances"] == []
    assert body["total_usdt"] == "0"
