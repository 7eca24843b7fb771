"""Asset precision and minimum withdrawal: edited in the admin, exact at any setting."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Asset, Balance
from accounts.money import LEDGER_PLACES, MAX_AMOUNT, AmountRefused, check_amount, to_units
from tests.factories import BalanceFactory, UserFactory
from tests.helpers import verified_client, with_2fa

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    return verified_client(client, with_2fa(UserFactory(is_staff=True, is_superuser=True)))


def change_asset(admin_client, asset, **changes):
    data = {
        "symbol": asset.symbol,
        "name": asset.name,
        "usdt_price": f"{asset.usdt_price:f}",
        "precision": asset.precision,
        "min_withdrawal": f"{asset.min_withdrawal:f}",
    } | changes
    return admin_client.post(f"/admin/accounts/asset/{asset.pk}/change/", data)


def test_the_seeded_rules_follow_the_exchanges():
    rules = {a.symbol: (a.precision, a.min_withdrawal) for a in Asset.objects.all()}
    assert rules["BTC"] == (8, Decimal("0.0001"))
    assert rules["ETH"][0] == 8 and rules["USDT"][0] == 6


def test_admin_edits_precision_and_minimum(admin_client):
    usdt = Asset.objects.get(symbol="USDT")
    response = change_asset(admin_client, usdt, precision=2, min_withdrawal="5")
    assert response.status_code == 302
    usdt.refresh_from_db()
    assert (usdt.precision, usdt.min_withdrawal) == (2, Decimal("5"))


def test_admin_refuses_a_precision_finer_than_the_ledger_keeps(admin_client):
    btc = Asset.objects.get(symbol="BTC")
    response = change_asset(admin_client, btc, precision=LEDGER_PLACES + 1)
    assert response.status_code == 200
    assert "less than or equal to 8" in response.content.decode()
    btc.refresh_from_db()
    assert btc.precision == 8


def test_admin_refuses_a_minimum_with_more_places_than_the_precision(admin_client):
    usdt = Asset.objects.get(symbol="USDT")
    response = change_asset(admin_client, usdt, min_withdrawal="0.0000001")
    assert response.status_code == 200
    usdt.refresh_from_db()
    assert usdt.min_withdrawal == Decimal("1")


def test_changing_precision_leaves_every_balance_exact(admin_client):
    balance = BalanceFactory(asset=Asset.objects.get(symbol="BTC"), amount=Decimal("0.12345678"))
    btc = Asset.objects.get(symbol="BTC")
    for precision in (4, 8):  # 4: the minimum withdrawal, 0.0001, needs four
        assert change_asset(admin_client, btc, precision=precision).status_code == 302
        balance.refresh_from_db()
        assert balance.amount == Decimal("0.12345678")


def test_a_value_that_would_need_rounding_is_never_stored():
    from django.db import transaction

    with pytest.raises(ValueError, match="more than 8 decimal places"), transaction.atomic():
        BalanceFactory(amount=Decimal("0.000000001"))
    assert not Balance.objects.exists()


def test_a_float_is_never_an_amount():
    with pytest.raises(AmountRefused):
        check_amount(0.1, asset=Asset.objects.get(symbol="BTC"))


amounts = st.decimals(min_value=0, max_value=MAX_AMOUNT, places=LEDGER_PLACES, allow_nan=False)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=amounts, second=amounts)
def test_any_amount_is_stored_and_summed_exactly(first, second):
    """Whatever the database (SQLite turned decimals into 15-digit floats), what is saved is
    what is read back, and SQL's Sum of two amounts is their exact Decimal sum."""
    from django.db.models import Sum

    user = UserFactory()
    for symbol, amount in (("BTC", first), ("ETH", second)):
        BalanceFactory(user=user, asset=Asset.objects.get(symbol=symbol), amount=amount)
    stored = dict(Balance.objects.filter(user=user).values_list("asset__symbol", "amount"))
    assert stored == {"BTC": first, "ETH": second}
    total = Balance.objects.filter(user=user).aggregate(total=Sum("amount"))["total"]
    assert total == first + second
    assert to_units(first) == int(first * 10**LEDGER_PLACES)


def test_api_docs_state_the_amount_rules_with_each_assets_precision(client, settings):
    Asset.objects.filter(symbol="DOGE").update(precision=3, min_withdrawal=Decimal("25"))
    settings.ORDER_MIN_VALUE_USDT = Decimal("7.5")
    html = client.get("/api-docs/").content.decode()
    rules = html.split('data-testid="amount-rules"')[1].split("</table>")[0]
    assert rules.count("<tr>") == Asset.objects.count() + 1  # a row each, and the head
    assert '<code>DOGE</code></td><td data-label="Decimal places" class="num">3</td>' in rules
    assert 'data-label="Minimum withdrawal" class="num">25</td>' in rules
    assert "must be 7.5 to 10,000,000" in html
    assert 'href="#amounts"' in html


def test_the_account_endpoint_shows_each_assets_precision_and_minimum(client):
    from tests.factories import ApiKeyFactory
    from tests.helpers import SignedApi

    Asset.objects.filter(symbol="USDT").update(precision=4, min_withdrawal=Decimal("2.5"))
    body = SignedApi(client).get(ApiKeyFactory(), "/api/v1/account").json()
    rules = {a["asset"]: (a["precision"], a["min_withdrawal"]) for a in body["assets"]}
    assert len(rules) == Asset.objects.count()
    assert rules["USDT"] == (4, "2.5")
    assert rules["BTC"] == (8, "0.0001")


def test_the_largest_totals_round_without_error():
    from accounts.money import round_usdt, total_usdt_of, usdt_value

    most = usdt_value(MAX_AMOUNT, MAX_AMOUNT - Decimal("0.00000001"))
    total = total_usdt_of([most] * 15)
    assert round_usdt(total, 8) == total  # 30 digits: more than the default context holds
    assert round_usdt(Decimal("0.005")) == 0 and round_usdt(Decimal("0.015")) == Decimal("0.02")
