"""The money cases an outside client reported, run as they are on either database.

`.ci/run` runs this module on SQLite and again on PostgreSQL; every expected value is
the same exact Decimal on both (SQLite used to keep amounts as 15-digit floats and
subtract them in SQL floats).
"""

from decimal import Decimal

import pytest

from accounts.models import Asset, Balance
from accounts.money import round_usdt
from api.models import Withdrawal
from tests.factories import ApiKeyFactory, ApplicationFactory, BalanceFactory, SubaccountFactory
from tests.helpers import CLIENT_IP, SignedApi, verified_client, with_2fa

pytestmark = pytest.mark.django_db

ADDRESS = "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"


@pytest.fixture
def api(client):
    return SignedApi(client)


@pytest.fixture
def key():
    return ApiKeyFactory(can_withdraw=True, ip_whitelist=[f"{CLIENT_IP}/32"])


def give(user, symbol, amount):
    return BalanceFactory(user=user, asset=Asset.objects.get(symbol=symbol), amount=Decimal(amount))


def held(user, symbol) -> Decimal:
    return Balance.objects.get(user=user, asset__symbol=symbol).amount


def withdraw(api, key, symbol, amount):
    return api.post(
        key, "/api/v1/withdrawals", {"asset": symbol, "amount": amount, "address": ADDRESS}
    )


def shown(api, key, symbol) -> str:
    balances = api.get(key, "/api/v1/account").json()["balances"]
    return next(b["amount"] for b in balances if b["asset"] == symbol)


# --- The three reported cases ---------------------------------------------------------


def test_1_024_minus_0_6144_leaves_exactly_0_4096(api, key):
    give(key.user, "ETH", "1.024")
    assert withdraw(api, key, "ETH", "0.6144").status_code == 201
    assert held(key.user, "ETH") == Decimal("0.4096")
    assert shown(api, key, "ETH") == "0.4096"


def test_withdrawing_exactly_the_balance_the_account_shows_leaves_exactly_zero(api, key):
    give(key.user, "ETH", "1.024")
    withdraw(api, key, "ETH", "0.6144")
    whole = shown(api, key, "ETH")
    response = withdraw(api, key, "ETH", whole)
    assert response.status_code == 201, response.content
    assert held(key.user, "ETH") == 0
    assert shown(api, key, "ETH") == "0"
    assert sum(w.amount for w in Withdrawal.objects.filter(user=key.user)) == Decimal("1.024")


@pytest.mark.parametrize(
    ("symbol", "amount", "places"),
    [("USDT", "0.0000000000001", 6), ("SOL", "0.000000000000000001", 8)],
)
def test_more_decimal_places_than_the_asset_allows_is_a_400_and_nothing_moves(
    api, key, symbol, amount, places
):
    give(key.user, symbol, "100")
    response = withdraw(api, key, symbol, amount)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_request", "amount")
    assert f"{symbol} allows at most {places}" in error["message"]
    assert held(key.user, symbol) == 100
    assert not Withdrawal.objects.exists()


# --- Rules and sums ---------------------------------------------------------------------


def test_a_withdrawal_under_the_assets_minimum_is_a_400_naming_the_minimum(api, key):
    usdt = Asset.objects.get(symbol="USDT")
    give(key.user, "USDT", "100")
    below = usdt.min_withdrawal - Decimal("0.000001")
    response = withdraw(api, key, "USDT", f"{below:f}")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "amount"
    assert (
        f"at least {usdt.min_withdrawal.normalize():f} USDT" in response.json()["error"]["message"]
    )
    assert held(key.user, "USDT") == 100


def test_many_tiny_withdrawals_sum_exactly_to_the_whole_balance(api, key):
    Asset.objects.filter(symbol="ETH").update(min_withdrawal=Decimal("0.00000001"))
    give(key.user, "ETH", "0.00000025")
    for _ in range(25):
        assert withdraw(api, key, "ETH", "0.00000001").status_code == 201
    assert held(key.user, "ETH") == 0
    assert withdraw(api, key, "ETH", "0.00000001").status_code == 400


def test_ten_tenths_empty_a_balance_of_one(api, key):
    # 0.1 has no exact binary float: ten float subtractions leave ~1e-16 behind.
    Asset.objects.filter(symbol="ETH").update(min_withdrawal=Decimal("0.1"))
    give(key.user, "ETH", "1")
    for _ in range(10):
        assert withdraw(api, key, "ETH", "0.1").status_code == 201
    assert held(key.user, "ETH") == 0
    assert shown(api, key, "ETH") == "0"


# --- Totals in USDT, the same on every page --------------------------------------------

# 5,638,506.56131576 BTC × 87,959.907984 = 495,962,518,300.51450356902784 USDT exactly;
# multiplied in floats it came out as ...300.515, shown as 300.52.
BIG_BTC = "5638506.56131576"


def page_totals(client, sub) -> dict[str, str]:
    totals = {}
    html = client.get("/assets/").content.decode()
    totals["assets"] = html.split('data-testid="total-usdt">')[1].split(" <small>")[0]
    html = client.get("/subaccounts/").content.decode()
    totals["subaccounts"] = html.split('data-label="Balance (USDT)" class="num">')[1].split("<")[0]
    html = client.get(f"/subaccounts/{sub.subaccount.code}/").content.decode()
    totals["subaccount"] = html.split('data-testid="sub-total-usdt">')[1].split(" <small>")[0]
    return totals


def test_usdt_totals_are_exact_and_rounded_once_the_same_on_every_page(client, api):
    parent = with_2fa(ApplicationFactory.approved().user)
    sub = SubaccountFactory(parent=parent)
    for account in (parent, sub):
        give(account, "BTC", BIG_BTC)
    exact = Decimal(BIG_BTC) * Asset.objects.get(symbol="BTC").usdt_price
    expected = f"{round_usdt(exact):,}"

    totals = page_totals(verified_client(client, parent), sub)
    assert totals == {"assets": expected, "subaccounts": expected, "subaccount": expected}
    assert expected == "495,962,518,300.51"

    body = api.get(ApiKeyFactory(user=sub), "/api/v1/account").json()
    assert Decimal(body["total_usdt"]) == round_usdt(exact, 8)


def test_the_review_queue_values_balance_now_exactly(client):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    staff = with_2fa(UserFactory(is_staff=True))
    staff.groups.add(Group.objects.get(name="Compliance"))
    trader = UserFactory(username="q-whale")
    give(trader, "BTC", BIG_BTC)
    ApplicationFactory(user=trader)
    exact = Decimal(BIG_BTC) * Asset.objects.get(symbol="BTC").usdt_price

    html = verified_client(client, staff).get("/admin/reviews/application/").content.decode()

    assert f"{round_usdt(exact):,}" in html
    assert "495,962,518,300.51" in html
