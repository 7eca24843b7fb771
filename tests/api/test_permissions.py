"""Each permission on each endpoint: Read for reading, Trade to trade, Withdraw to withdraw.

A key with every other permission but the one an endpoint needs is refused; a key
with just that one (plus Read, always on) is let through.
"""

import uuid

import pytest

from tests.factories import ApiKeyFactory, usdt
from tests.helpers import CLIENT_IP, error_code

pytestmark = pytest.mark.django_db

ORDER = {"symbol": "BTCUSDT", "side": "buy", "type": "market", "quantity": "1"}
WITHDRAWAL = {"asset": "USDT", "amount": "1", "address": "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"}

# (method, path, body, permission needed, status when allowed)
ENDPOINTS = [
    ("GET", "/api/v1/key", None, "read", 200),
    ("GET", "/api/v1/account", None, "read", 200),
    ("GET", "/api/v1/orders", None, "read", 200),
    ("POST", "/api/v1/orders", ORDER, "trade", 201),
    ("DELETE", "/api/v1/orders/{order}", None, "trade", 200),
    ("GET", "/api/v1/withdrawals", None, "read", 200),
    ("POST", "/api/v1/withdrawals", WITHDRAWAL, "withdraw", 201),
]
PERMISSIONS = {
    "read": {},
    "trade": {"can_trade": True},
    "withdraw": {"can_withdraw": True},
}


def make_key(*grants):
    flags = {}
    for grant in grants:
        flags.update(PERMISSIONS[grant])
    # Withdraw needs a whitelist; give every key one so that only permissions differ.
    key = ApiKeyFactory(ip_whitelist=[f"{CLIENT_IP}/32"], **flags)
    usdt(key.user, 100)
    return key


def call(api, key, method, path, body):
    if "{order}" in path:
        trader = make_key("trade")
        trader.user = key.user
        trader.save()
        order = api.post(trader, "/api/v1/orders", ORDER).json()["order"]["id"]
        path = path.format(order=order)
    return api.request(method, path, key, body)


def ids(endpoint):
    return f"{endpoint[0]} {endpoint[1]}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_key_with_just_the_needed_permission_is_let_through(api, endpoint):
    method, path, body, needed, status = endpoint
    response = call(api, make_key(needed), method, path, body)
    assert response.status_code == status, response.content


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e[3] != "read"], ids=ids)
def test_key_with_every_other_permission_is_refused(api, endpoint):
    method, path, body, needed, _status = endpoint
    others = [grant for grant in ("trade", "withdraw") if grant != needed]
    response = call(api, make_key(*others), method, path, body)
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e[3] != "read"], ids=ids)
def test_read_only_key_is_refused(api, endpoint):
    method, path, body, _needed, _status = endpoint
    assert error_code(call(api, make_key("read"), method, path, body)) == "permission_denied"


def test_refusal_comes_before_validation(api):
    # A read-only key learns nothing about what a valid order would be.
    response = api.post(make_key("read"), "/api/v1/orders", {"nonsense": True})
    assert error_code(response) == "permission_denied"


def test_permission_granted_later_works_on_the_next_request(api):
    key = make_key("read")
    assert api.post(key, "/api/v1/orders", ORDER).status_code == 403
    key.can_trade = True
    key.save()
    assert api.post(key, "/api/v1/orders", ORDER).status_code == 201


def test_unknown_api_path_is_a_json_404(api):
    response = api.get(make_key("read"), "/api/v1/nope")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_unknown_order_id_format_is_a_json_404(api):
    response = api.delete(make_key("trade"), f"/api/v1/orders/{uuid.uuid4()}")
    assert response.status_code == 404
