"""Property test: malformed headers, paths and bodies never make the API answer 500.

Hypothesis throws methods, paths, header values and bodies at the API, half of them
correctly signed (so they reach validation), and checks that every answer is a JSON
error or a success, never a crash. The test client re-raises any exception a view
lets through, so a crash fails the test with its traceback.
"""

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from api import auth
from api import client as reference
from tests.factories import ApiKeyFactory, usdt
from tests.helpers import CLIENT_IP, signature_for

ROUTES = [
    ("GET", "/api/v1/key"),
    ("GET", "/api/v1/account"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("DELETE", "/api/v1/orders/00000000-0000-0000-0000-000000000000"),
    ("DELETE", "/api/v1/orders/x"),
    ("GET", "/api/v1/withdrawals"),
    ("POST", "/api/v1/withdrawals"),
]
METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"]
PATHS = [
    "/api/v1/time",
    "/api/v1/key",
    "/api/v1/account",
    "/api/v1/orders",
    "/api/v1/orders/00000000-0000-0000-0000-000000000000",
    "/api/v1/orders/x",
    "/api/v1/withdrawals",
    "/api/v1/unknown",
]
# Header values as a WSGI server hands them over: Latin-1 text.
header_text = st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=80)
# Lone surrogates: valid JSON escapes ("\\ud800") that no UTF-8 column can hold.
surrogates = st.sampled_from(["\ud800", "USDT\udfff", "\udbff\udc00x"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | surrogates,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
order_like = st.fixed_dictionaries(
    {},
    optional={
        "symbol": st.sampled_from(["BTCUSDT", "ETHUSDT", "NOPE", ""]) | json_values,
        "side": st.sampled_from(["buy", "sell"]) | json_values,
        "type": st.sampled_from(["limit", "market"]) | json_values,
        "price": st.sampled_from(["1", "0.5", "-1", "1e9", "x"]) | json_values,
        "quantity": st.sampled_from(["1", "0.01", "0"]) | json_values,
        "asset": st.sampled_from(["USDT", "BTC", "X"]) | json_values,
        "amount": st.sampled_from(["1", "1000000", "0.1"]) | json_values,
        "address": st.sampled_from(["TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm", "a b"]) | json_values,
        "extra": json_values,
    },
)
bodies = (
    st.binary(max_size=200)
    | json_values.map(lambda value: json.dumps(value).encode())
    | order_like.map(lambda value: json.dumps(value).encode())
)
queries = st.dictionaries(
    st.sampled_from(["symbol", "status", "limit", "page"]), header_text, max_size=3
)


@pytest.fixture
def key(db, settings):
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 1_000_000  # let every example reach the view
    key = ApiKeyFactory(can_trade=True, can_withdraw=True, ip_whitelist=[f"{CLIENT_IP}/32"])
    usdt(key.user, 1000)
    return key


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES) | st.tuples(st.sampled_from(METHODS), st.sampled_from(PATHS)),
    query=queries,
    body=bodies,
    sign=st.booleans(),
    headers=st.dictionaries(
        st.sampled_from(["X-API-KEY", "X-API-TIMESTAMP", "X-API-RECV-WINDOW", "X-API-SIGNATURE"]),
        header_text,
        max_size=4,
    ),
    drift=st.just(0) | st.integers(min_value=-70_000, max_value=70_000),
)
def test_no_input_makes_the_api_fail(client, key, route, query, body, sign, headers, drift):
    method, path = route
    full_path = path + (f"?{urlencode(query)}" if query else "")
    sent = {}
    if sign:
        timestamp = str(auth.now_ms() + drift)
        message = reference.payload(timestamp, key.api_key, "", method, full_path, body)
        sent = {
            "X-API-KEY": key.api_key,
            "X-API-TIMESTAMP": timestamp,
            "X-API-SIGNATURE": signature_for(key, message),
        }
    else:
        sent = headers
    response = client.generic(
        method,
        full_path,
        data=body,
        content_type="application/json",
        headers=sent,
        REMOTE_ADDR=CLIENT_IP,
    )
    assert response.status_code < 500
    data = json.loads(response.content)
    if response.status_code >= 400:
        assert set(data["error"]) >= {"code", "message"}
    # --hypothesis-show-statistics shows how deep the examples got.
    event(f"{response.status_code} {data.get('error', {}).get('code', 'ok')}")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/withdrawals", {"asset": "\ud800", "amount": "1", "address": "x"}),
        ("/api/v1/withdrawals", {"asset": "USDT", "amount": "1", "address": "T\udfff"}),
        ("/api/v1/orders", {"symbol": "\ud800", "side": "buy", "type": "market", "quantity": "1"}),
        ("/api/v1/orders", {"\ud800": 1}),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_400(api, key, path, body):
    response = api.post(key, path, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert "surrogate" in error["message"]


def test_a_number_too_long_to_read_is_a_400_in_our_words(api, key):
    response = api.post(key, "/api/v1/orders", raw_body=b'{"quantity": ' + b"9" * 5000 + b"}")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "too long" in message
    assert "sys." not in message


@pytest.mark.parametrize(
    "body",
    [
        {"asset": "US\x00DT", "amount": "1", "address": "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"},
        {"asset": "USDT", "amount": "1", "address": "TQrY8try\x00qsYVCYS3MFbtffiPp2ccyn4STm"},
    ],
)
def test_a_nul_anywhere_in_a_body_is_a_400_on_every_database(api, key, body):
    # PostgreSQL refuses a NUL in any text, even to look a row up with (found by
    # Schemathesis on PostgreSQL: a DataError, then a 503).
    response = api.post(key, "/api/v1/withdrawals", body)
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["message"]
