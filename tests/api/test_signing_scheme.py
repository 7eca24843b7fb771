"""The signed payload: timestamp + api_key + recv_window + METHOD + path_with_query + body.

The API key and the receive window are inside the signature, so neither can be swapped
on a captured request: a late request can't be resent with a wider window, and one
Ed25519 key pair registered on two keys can't carry a request from one to the other.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api import auth
from api import client as reference
from tests.factories import ApiKeyFactory, usdt
from tests.helpers import error_code, signature_for

pytestmark = pytest.mark.django_db
FORMULA = "timestamp + api_key + recv_window + METHOD + path_with_query + body"


def signed_headers(key, ts, message: bytes, recv_window=None) -> dict:
    headers = {
        "X-API-KEY": key.api_key,
        "X-API-TIMESTAMP": str(ts),
        "X-API-SIGNATURE": signature_for(key, message),
    }
    if recv_window is not None:
        headers["X-API-RECV-WINDOW"] = recv_window
    return headers


def send(client, method, path, headers, body=b""):
    return client.generic(
        method, path, data=body, content_type="application/json", headers=headers,
        REMOTE_ADDR="203.0.113.10",
    )  # fmt: skip


@pytest.mark.parametrize("ed25519", [False, True], ids=["hmac", "ed25519"])
def test_the_documented_payload_is_accepted(client, frozen_clock, ed25519):
    key = ApiKeyFactory(ed25519=ed25519)
    ts = frozen_clock.ms
    message = f"{ts}{key.api_key}2500GET/api/v1/key".encode()
    response = send(client, "GET", "/api/v1/key", signed_headers(key, ts, message, "2500"))
    assert response.status_code == 200


def test_without_the_window_header_the_window_is_signed_as_empty(client, frozen_clock):
    key = ApiKeyFactory()
    ts = frozen_clock.ms
    message = f"{ts}{key.api_key}GET/api/v1/key".encode()
    assert send(client, "GET", "/api/v1/key", signed_headers(key, ts, message)).status_code == 200


@pytest.mark.parametrize("ed25519", [False, True], ids=["hmac", "ed25519"])
def test_a_request_signed_the_old_way_is_invalid_signature_naming_the_payload(
    client, frozen_clock, ed25519
):
    key = ApiKeyFactory(ed25519=ed25519)
    ts = frozen_clock.ms
    old = f"{ts}GET/api/v1/key".encode()
    response = send(client, "GET", "/api/v1/key", signed_headers(key, ts, old))
    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    assert FORMULA in response.json()["error"]["message"]


def test_a_late_request_resent_with_a_wider_window_is_refused(api, client, frozen_clock):
    key = ApiKeyFactory(can_trade=True)
    usdt(key.user, "100")
    body = b'{"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"}'
    ts = frozen_clock.ms
    message = f"{ts}{key.api_key}1000POST/api/v1/orders".encode() + body
    frozen_clock.set(ts + 2000)  # arrived late: refused
    late = send(client, "POST", "/api/v1/orders", signed_headers(key, ts, message, "1000"), body)
    assert error_code(late) == "timestamp_out_of_window"
    resent = signed_headers(key, ts, message, "60000")  # the same bytes, a wider window
    response = send(client, "POST", "/api/v1/orders", resent, body)
    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    assert not key.user.orders.exists()


def test_one_key_pair_on_two_keys_does_not_carry_a_request_across(client, frozen_clock):
    mine = ApiKeyFactory(ed25519=True)
    theirs = ApiKeyFactory(ed25519=True, public_key=mine.public_key)
    ts = frozen_clock.ms
    message = f"{ts}{mine.api_key}GET/api/v1/account".encode()
    captured = signed_headers(mine, ts, message)
    assert send(client, "GET", "/api/v1/account", captured).status_code == 200
    moved = captured | {"X-API-KEY": theirs.api_key}
    response = send(client, "GET", "/api/v1/account", moved)
    assert (response.status_code, error_code(response)) == (401, "invalid_signature")


def test_the_window_is_signed_exactly_as_sent(client, frozen_clock):
    key = ApiKeyFactory()
    ts = frozen_clock.ms
    as_sent = f"{ts}{key.api_key}05000GET/api/v1/key".encode()
    response = send(client, "GET", "/api/v1/key", signed_headers(key, ts, as_sent, "05000"))
    assert response.status_code == 200
    tidied = f"{ts + 1}{key.api_key}5000GET/api/v1/key".encode()
    response = send(client, "GET", "/api/v1/key", signed_headers(key, ts + 1, tidied, "05000"))
    assert error_code(response) == "invalid_signature"


text = st.text(max_size=30)


@given(ts=text, api_key=text, recv_window=text, method=text, path=text, body=st.binary(max_size=30))
def test_the_reference_client_and_the_server_build_the_same_payload(
    ts, api_key, recv_window, method, path, body
):
    method = method.upper()  # the server sees the method in capitals
    server = auth.signature_payload(
        timestamp=ts, api_key=api_key, recv_window=recv_window, method=method,
        path_with_query=path, body=body,
    )  # fmt: skip
    assert reference.payload(ts, api_key, recv_window, method, path, body) == server
