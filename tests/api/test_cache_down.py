"""With the cache down the signed API answers 503 service_unavailable, as JSON.

The replay guard, the rate limits and the failure budget live in the cache: without it
the API must refuse, never let a request through unguarded, and never answer with an
HTML error page. The cache is pointed at a closed port (a real Redis client, a real
refused connection).
"""

import socket

import pytest
from django.core.cache import caches
from django.test import override_settings

from api.models import Order
from tests.factories import ApiKeyFactory, usdt
from tests.helpers import CLIENT_IP

pytestmark = pytest.mark.django_db
ORDER = {"symbol": "BTCUSDT", "side": "buy", "type": "market", "quantity": "1"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cache_down():
    location = f"redis://127.0.0.1:{closed_port()}/0"
    backend = "core.cache.RedisCache"
    with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": location}}):
        caches["default"]  # a fresh handler (override_settings resets them) on the dead port
        yield


@pytest.fixture
def key():
    key = ApiKeyFactory(can_trade=True, can_withdraw=True, ip_whitelist=[f"{CLIENT_IP}/32"])
    usdt(key.user, "100")
    return key


def assert_service_unavailable(response):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert "Retry-After" in response


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/key", None),
        ("GET", "/api/v1/account", None),
        ("GET", "/api/v1/orders", None),
        ("POST", "/api/v1/orders", ORDER),
        ("GET", "/api/v1/withdrawals", None),
    ],
)
def test_a_good_request_is_503_json_and_changes_nothing(api, key, cache_down, method, path, body):
    assert_service_unavailable(api.request(method, path, key, body))
    assert not Order.objects.exists()


def test_a_bad_signature_is_503_too_not_a_pass_of_the_failure_budget(api, key, cache_down):
    assert_service_unavailable(api.get(key, "/api/v1/key", signature="0" * 64))


def test_a_withdrawal_is_503_and_debits_nothing(api, key, cache_down):
    body = {"asset": "USDT", "amount": "1", "address": "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"}
    assert_service_unavailable(api.post(key, "/api/v1/withdrawals", body))
    assert key.user.balances.get(asset__symbol="USDT").amount == 100
    assert not key.user.withdrawals.exists()


def test_server_time_needs_no_cache(client, cache_down):
    assert client.get("/api/v1/time").status_code == 200
