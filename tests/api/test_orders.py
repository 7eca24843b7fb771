"""GET/POST /api/v1/orders and DELETE /api/v1/orders/<id>: paper orders."""

from decimal import Decimal

import pytest

from api.models import Order
from tests.factories import ApiKeyFactory, UserFactory
from tests.helpers import error_code

pytestmark = pytest.mark.django_db

LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "buy",
    "type": "limit",
    "price": "65000",
    "quantity": "0.01",
}


@pytest.fixture
def trader_key():
    return ApiKeyFactory(can_trade=True)


def place(api, key, body):
    return api.post(key, "/api/v1/orders", body)


def test_limit_order_is_recorded_open_and_returned(api, trader_key):
    response = place(api, trader_key, LIMIT_BUY)
    assert response.status_code == 201
    order = response.json()["order"]
    assert order | {"id": None, "created_at": None} == {
        **LIMIT_BUY,
        "id": None,
        "status": "open",
        "created_at": None,
        "cancelled_at": None,
    }
    saved = Order.objects.get(code=order["id"])
    assert saved.user == trader_key.user
    assert saved.apikey == trader_key


def test_market_order_has_no_price(api, trader_key):
    body = {"symbol": "ETHUSDT", "side": "sell", "type": "market", "quantity": "1.5"}
    order = place(api, trader_key, body).json()["order"]
    assert order["price"] is None
    assert order["quantity"] == "1.5"


def refusal(response):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    return error["field"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"symbol": "NOPEUSDT"}, "symbol"),
        ({"symbol": "btcusdt"}, "symbol"),
        ({"symbol": "USDTUSDT"}, "symbol"),
        ({"symbol": "BTC"}, "symbol"),
        ({"symbol": 7}, "symbol"),
        ({"side": "long"}, "side"),
        ({"type": "stop"}, "type"),
        ({"price": 65000}, "price"),  # a number, not a decimal string
        ({"price": "-1"}, "price"),
        ({"price": "0"}, "price"),
        ({"price": "1e5"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"quantity": "0.0000000000000000001"}, "quantity"),  # 19 decimal places
        ({"quantity": "1000000000000000"}, "quantity"),  # 16 integer digits
        ({"quantity": " 1"}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"quantity": ["1"]}, "quantity"),
        ({"qty": "1"}, "qty"),  # unknown field
    ],
)
def test_bad_field_is_400_naming_it(api, trader_key, change, field):
    assert refusal(place(api, trader_key, LIMIT_BUY | change)) == field


def test_missing_field_is_named(api, trader_key):
    body = {k: v for k, v in LIMIT_BUY.items() if k != "quantity"}
    assert refusal(place(api, trader_key, body)) == "quantity"


def test_limit_order_without_price_is_refused(api, trader_key):
    body = {k: v for k, v in LIMIT_BUY.items() if k != "price"}
    assert refusal(place(api, trader_key, body)) == "price"


def test_market_order_with_a_price_is_refused(api, trader_key):
    assert refusal(place(api, trader_key, LIMIT_BUY | {"type": "market"})) == "price"


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[1, 2]", b'"BTCUSDT"', b"\xff\xfe", b'{"symbol": "BTCUSDT",}'],
)
def test_body_that_is_not_a_json_object_is_refused(api, trader_key, raw):
    assert refusal(api.post(trader_key, "/api/v1/orders", raw_body=raw)) == "body"


def test_duplicate_fields_are_refused(api, trader_key):
    raw = b'{"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1","quantity":"9"}'
    assert refusal(api.post(trader_key, "/api/v1/orders", raw_body=raw)) == "quantity"


def test_deeply_nested_json_is_a_400_not_a_crash(api, trader_key):
    raw = b"[" * 100_000 + b"]" * 100_000
    assert refusal(api.post(trader_key, "/api/v1/orders", raw_body=raw)) == "body"


def test_list_shows_the_accounts_orders_newest_first(api, trader_key):
    first = place(api, trader_key, LIMIT_BUY).json()["order"]["id"]
    second = place(api, trader_key, LIMIT_BUY | {"symbol": "ETHUSDT"}).json()["order"]["id"]
    other = ApiKeyFactory(can_trade=True)
    place(api, other, LIMIT_BUY)
    orders = api.get(trader_key, "/api/v1/orders").json()["orders"]
    assert [o["id"] for o in orders] == [second, first]


def test_list_filters_by_symbol_status_and_limit(api, trader_key):
    for symbol in ("BTCUSDT", "ETHUSDT", "BTCUSDT"):
        place(api, trader_key, LIMIT_BUY | {"symbol": symbol})
    btc = api.get(trader_key, "/api/v1/orders?symbol=BTCUSDT").json()["orders"]
    assert {o["symbol"] for o in btc} == {"BTCUSDT"} and len(btc) == 2
    assert len(api.get(trader_key, "/api/v1/orders?limit=1").json()["orders"]) == 1
    assert api.get(trader_key, "/api/v1/orders?status=cancelled").json()["orders"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("status=done", "status"),
        ("page=2", "page"),
        ("symbol=BTCUSDT&symbol=ETHUSDT", "symbol"),
    ],
)
def test_bad_query_parameter_is_400_naming_it(api, trader_key, query, field):
    assert refusal(api.get(trader_key, f"/api/v1/orders?{query}")) == field


def test_cancel_an_open_order(api, trader_key):
    order_id = place(api, trader_key, LIMIT_BUY).json()["order"]["id"]
    response = api.delete(trader_key, f"/api/v1/orders/{order_id}")
    assert response.status_code == 200
    assert response.json()["order"]["status"] == "cancelled"
    assert response.json()["order"]["cancelled_at"]


def test_cancelling_twice_is_refused(api, trader_key):
    order_id = place(api, trader_key, LIMIT_BUY).json()["order"]["id"]
    api.delete(trader_key, f"/api/v1/orders/{order_id}")
    assert refusal(api.delete(trader_key, f"/api/v1/orders/{order_id}")) == "id"


def test_another_accounts_order_is_404(api, trader_key):
    order_id = place(api, trader_key, LIMIT_BUY).json()["order"]["id"]
    thief = ApiKeyFactory(user=UserFactory(), can_trade=True)
    response = api.delete(thief, f"/api/v1/orders/{order_id}")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert Order.objects.get(code=order_id).status == "open"


@pytest.mark.parametrize("order_id", ["9b0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d", "42", "not-a-uuid"])
def test_unknown_or_malformed_order_id_is_404(api, trader_key, order_id):
    assert api.delete(trader_key, f"/api/v1/orders/{order_id}").status_code == 404


def test_sub_accounts_order_is_not_the_parents(api, owner, subaccount):
    sub_key = ApiKeyFactory(user=subaccount, can_trade=True)
    place(api, sub_key, LIMIT_BUY)
    owner_key = ApiKeyFactory(user=owner)
    assert api.get(owner_key, "/api/v1/orders").json()["orders"] == []


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_orders_take_only_get_and_post(api, trader_key, method):
    response = api.request(method, "/api/v1/orders", trader_key)
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


# --- Amount rules: precision, bounds, order value --------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"quantity": "0.000000001"}, "quantity", "BTC allows at most 8"),
        ({"price": "65000.0000001"}, "price", "USDT allows at most 6"),
        ({"price": "0.000000000000000001", "quantity": "1000"}, "price", "at most 6"),
        ({"quantity": "999999999999999", "price": "0.000001"}, "quantity", "at most"),
        ({"quantity": "0.00001"}, "quantity", "worth 0.65 USDT"),
        ({"quantity": "1000"}, "quantity", "worth 65000000 USDT"),
    ],
)
def test_amounts_breaking_the_markets_rules_are_400_naming_field_and_rule(
    api, trader_key, change, field, rule
):
    response = place(api, trader_key, LIMIT_BUY | change)
    assert refusal(response) == field
    assert rule in response.json()["error"]["message"]
    assert not Order.objects.exists()


def test_the_order_value_limits_come_from_the_settings(api, trader_key, settings):
    value = {"price": "50000", "quantity": "0.0001"}  # exactly 5 USDT
    settings.ORDER_MIN_VALUE_USDT = Decimal("5")
    assert place(api, trader_key, LIMIT_BUY | value).status_code == 201
    settings.ORDER_MIN_VALUE_USDT = Decimal("5.000001")
    response = place(api, trader_key, LIMIT_BUY | value)
    assert refusal(response) == "quantity"
    assert "5.000001 to 10000000 USDT" in response.json()["error"]["message"]


def test_a_market_order_is_valued_at_the_assets_current_price(api, trader_key):
    from accounts.models import Asset

    btc = Asset.objects.get(symbol="BTC")
    tiny = {"symbol": "BTCUSDT", "side": "sell", "type": "market", "quantity": "0.00001"}
    response = place(api, trader_key, tiny)
    assert refusal(response) == "quantity"
    assert (
        f"worth {(btc.usdt_price * Decimal('0.00001')).normalize():f} USDT"
        in (response.json()["error"]["message"])
    )


def test_a_precision_lowered_in_the_admin_holds_at_once(api, trader_key):
    from accounts.models import Asset

    Asset.objects.filter(symbol="BTC").update(precision=2)
    response = place(api, trader_key, LIMIT_BUY | {"quantity": "0.015"})
    assert refusal(response) == "quantity"
    assert "BTC allows at most 2" in response.json()["error"]["message"]
