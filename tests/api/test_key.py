from datetime import UTC, datetime

import pytest

from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


def test_key_endpoint_says_what_the_key_may_do_and_nothing_else(api, settings):
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 600
    expires = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    key = ApiKeyFactory(
        alias="grid bot", can_trade=True, ip_whitelist=["203.0.113.0/24"], expires_at=expires
    )
    response = api.get(key, "/api/v1/key", remote_addr="203.0.113.5")
    assert response.status_code == 200
    assert response.json() == {
        "alias": "grid bot",
        "api_key": key.api_key,
        "key_type": "hmac-sha256",
        "permissions": ["read", "trade"],
        "ip_whitelist": ["203.0.113.0/24"],
        "expires_at": "2027-03-01T12:00:00+00:00",
        "rate_limit_per_minute": 600,
    }


def test_key_endpoint_shows_a_modification_at_once(api):
    key = ApiKeyFactory(can_trade=False)
    assert api.get(key, "/api/v1/key").json()["permissions"] == ["read"]
    key.can_trade = True
    key.save()
    assert api.get(key, "/api/v1/key").json()["permissions"] == ["read", "trade"]


def test_key_endpoint_is_get_only(api):
    response = api.post(ApiKeyFactory(), "/api/v1/key")
    assert response.status_code == 405
