"""Contract details every endpoint keeps: query parameters, an empty window header, and
rate-limit headers on every answer to a signed request, refusals included."""

from datetime import UTC, datetime

import pytest
from django.urls import URLPattern, get_resolver

from api import urls as api_urls
from tests.factories import ApiKeyFactory, SubaccountFactory, usdt
from tests.helpers import CLIENT_IP, error_code

pytestmark = pytest.mark.django_db
ORDER_ID = "00000000-0000-0000-0000-000000000000"
ENDPOINTS = [
    ("GET", "/api/v1/time"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/key"),
    ("GET", "/api/v1/account"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("DELETE", f"/api/v1/orders/{ORDER_ID}"),
    ("GET", "/api/v1/withdrawals"),
    ("POST", "/api/v1/withdrawals"),
    ("POST", "/api/v1/leaks"),
]
ORDER = {"symbol": "BTCUSDT", "side": "buy", "type": "market", "quantity": "1"}


@pytest.fixture
def key():
    key = ApiKeyFactory(can_trade=True, can_withdraw=True, ip_whitelist=[f"{CLIENT_IP}/32"])
    usdt(key.user, "100")
    return key


def test_the_endpoint_list_here_is_every_api_route():
    routes = {
        str(pattern.pattern)
        for pattern in get_resolver(api_urls).url_patterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("api/v1/")
    }
    assert routes == {
        "api/v1/time",
        "api/v1/openapi.json",
        "api/v1/key",
        "api/v1/account",
        "api/v1/orders",
        "api/v1/orders/<str:order_id>",
        "api/v1/withdrawals",
        "api/v1/leaks",
    }


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_an_unknown_query_parameter_is_400_on_every_endpoint(api, key, method, path):
    body = ORDER if path == "/api/v1/orders" and method == "POST" else None
    if path == "/api/v1/withdrawals" and method == "POST":
        body = {"asset": "USDT", "amount": "1", "address": "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"}
    signer = None if path in ("/api/v1/time", "/api/v1/openapi.json") else key
    response = api.request(method, f"{path}?x=1", signer, body)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": response.json()["error"]["message"],
        "field": "x",
    }
    assert not key.user.orders.exists() and not key.user.withdrawals.exists()


def test_a_known_parameter_given_twice_is_400(api, key):
    response = api.get(key, "/api/v1/withdrawals?limit=1&limit=2")
    assert (response.status_code, response.json()["error"]["field"]) == (400, "limit")


@pytest.mark.parametrize("value", ["", " "])
def test_an_empty_recv_window_header_is_400_like_any_malformed_header(api, key, value):
    response = api.get(key, "/api/v1/key", headers={"X-API-RECV-WINDOW": value})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "X-API-RECV-WINDOW"


@pytest.mark.parametrize("symbol", ["", "NOPEUSDT", "btcusdt", "USDTUSDT", "BTC", "x" * 30])
def test_listing_orders_checks_the_symbol_as_placing_one_does(api, key, symbol):
    listed = api.get(key, f"/api/v1/orders?symbol={symbol}")
    placed = api.post(key, "/api/v1/orders", ORDER | {"symbol": symbol})
    assert listed.status_code == placed.status_code == 400
    assert listed.json()["error"] == placed.json()["error"]


def test_listing_orders_of_a_real_market_still_works(api, key):
    api.post(key, "/api/v1/orders", ORDER)
    assert len(api.get(key, "/api/v1/orders?symbol=BTCUSDT").json()["orders"]) == 1


# --- X-RateLimit-* on every answer to a signed request ---------------------------------


def _expired(api, key):
    key.expires_at = datetime(2025, 1, 1, tzinfo=UTC)  # before the frozen clock
    key.save()
    return api.get(key, "/api/v1/key")


def _replayed(api, key):
    api.get(key, "/api/v1/key", timestamp=1_767_225_600_000)
    return api.get(key, "/api/v1/key", timestamp=1_767_225_600_000)


def _frozen(api, key):
    key.user.is_frozen = True
    key.user.save()
    return api.get(key, "/api/v1/key")


def _frozen_parent(api, key):
    sub_key = ApiKeyFactory(user=SubaccountFactory(parent=key.user))
    key.user.is_frozen = True
    key.user.save()
    return api.get(sub_key, "/api/v1/key")


def _read_only(api, key):
    return api.post(ApiKeyFactory(), "/api/v1/orders", ORDER)


def _spent(api, key):
    for _ in range(3):
        api.get(key, "/api/v1/key")
    return api.get(key, "/api/v1/key")


AFTER_THE_SIGNATURE = {
    "replayed_request": _replayed,
    "key_expired": _expired,
    "ip_not_allowed": lambda api, key: api.get(key, "/api/v1/key", remote_addr="198.51.100.1"),
    "permission_denied (read-only key)": _read_only,
    "permission_denied (frozen)": _frozen,
    "permission_denied (main account frozen)": _frozen_parent,
    "invalid_request (query)": lambda api, key: api.get(key, "/api/v1/orders?limit=0"),
    "invalid_request (body)": lambda api, key: api.post(key, "/api/v1/orders", {}),
    "not_found": lambda api, key: api.delete(key, f"/api/v1/orders/{ORDER_ID}"),
    "rate_limited": _spent,
    "ok": lambda api, key: api.get(key, "/api/v1/key"),
}


@pytest.mark.parametrize("case", AFTER_THE_SIGNATURE, ids=list(AFTER_THE_SIGNATURE))
def test_answers_after_a_good_signature_carry_the_keys_rate_limit(
    api, key, settings, frozen_clock, case
):
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 3
    if case == "replayed_request":
        frozen_clock.set(1_767_225_600_000)
    response = AFTER_THE_SIGNATURE[case](api, key)
    expected = case.split(" ")[0]
    assert (response.json().get("error", {}).get("code", "ok")) == expected
    assert response["X-RateLimit-Limit"] == "3"
    assert 0 <= int(response["X-RateLimit-Remaining"]) <= 3


BEFORE_THE_SIGNATURE = {
    "missing_credentials": lambda api, key: api.get(key, "/api/v1/key", omit=["X-API-SIGNATURE"]),
    "invalid_api_key": lambda api, key: api.get(key, "/api/v1/key", headers={"X-API-KEY": "apk_x"}),
    "invalid_signature": lambda api, key: api.get(key, "/api/v1/key", signature="0" * 64),
    "timestamp_out_of_window": lambda api, key: api.get(key, "/api/v1/key", timestamp=1),
    "invalid_request (header)": lambda api, key: api.get(key, "/api/v1/key", timestamp="x"),
}


@pytest.mark.parametrize("case", BEFORE_THE_SIGNATURE, ids=list(BEFORE_THE_SIGNATURE))
def test_refusals_before_a_good_signature_carry_the_addresss_failure_budget(
    api, key, settings, case
):
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 50
    response = BEFORE_THE_SIGNATURE[case](api, key)
    assert error_code(response) == case.split(" ")[0]
    assert response["X-RateLimit-Limit"] == "50"
    assert 49 <= int(response["X-RateLimit-Remaining"]) <= 50


def test_the_failure_budget_headers_count_down(api, key, settings):
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 50
    remaining = [
        api.get(key, "/api/v1/key", signature="0" * 64)["X-RateLimit-Remaining"] for _ in range(3)
    ]
    assert remaining == ["49", "48", "47"]
    assert error_code(api.get(key, "/api/v1/key", signature="0" * 64)) == "invalid_signature"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nope", 404), ("PUT", "/api/v1/key", 405), ("GET", "/api/v1/key/", 404)],
)
def test_answers_that_authenticate_nothing_still_carry_the_address_budget(
    api, key, method, path, status
):
    response = api.request(method, path, key)
    assert response.status_code == status
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining"} <= set(response.headers)
