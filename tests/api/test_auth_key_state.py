"""The key's own limits: expiry, a frozen sub-account, and the IP whitelist."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import ApiKeyFactory, SubaccountFactory
from tests.helpers import error_code

pytestmark = pytest.mark.django_db


def server_time(frozen_clock) -> datetime:
    return datetime.fromtimestamp(frozen_clock.ms / 1000, tz=UTC)


def test_key_past_its_expiry_is_key_expired(api, frozen_clock):
    key = ApiKeyFactory(expires_at=server_time(frozen_clock) - timedelta(seconds=1))
    response = api.get(key, "/api/v1/key")
    assert response.status_code == 401
    assert error_code(response) == "key_expired"


def test_key_expiring_exactly_now_is_expired(api, frozen_clock):
    key = ApiKeyFactory(expires_at=server_time(frozen_clock))
    assert error_code(api.get(key, "/api/v1/key")) == "key_expired"


def test_key_expiring_in_a_second_still_works(api, frozen_clock):
    key = ApiKeyFactory(expires_at=server_time(frozen_clock) + timedelta(seconds=1))
    assert api.get(key, "/api/v1/key").status_code == 200


def test_expired_key_with_a_bad_signature_does_not_reveal_its_expiry(api, frozen_clock):
    key = ApiKeyFactory(expires_at=server_time(frozen_clock) - timedelta(days=1))
    assert error_code(api.get(key, "/api/v1/key", signature="0" * 64)) == "invalid_signature"


def test_key_of_a_frozen_sub_account_is_refused(api, owner):
    key = ApiKeyFactory(user=SubaccountFactory(parent=owner, is_frozen=True), can_trade=True)
    response = api.get(key, "/api/v1/account")
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    assert "frozen" in response.json()["error"]["message"]


def test_key_of_a_sub_account_that_is_not_frozen_works_on_its_own_account(api, owner):
    sub = SubaccountFactory(parent=owner)
    response = api.get(ApiKeyFactory(user=sub), "/api/v1/account")
    assert response.status_code == 200
    assert response.json()["account"] == {
        "username": sub.username,
        "type": "sub-account",
        "parent": owner.username,
    }


WHITELIST = ["198.51.100.7/32", "203.0.113.0/24", "192.0.2.10/31", "2001:db8:1::/48"]


@pytest.mark.parametrize(
    "ip",
    [
        "198.51.100.7",  # a single IPv4 address
        "203.0.113.200",  # inside an IPv4 CIDR block
        "192.0.2.11",  # inside a range (192.0.2.10-192.0.2.11, stored as a /31)
        "2001:db8:1::42",  # inside an IPv6 block
        "2001:db8:1:ffff::1",
    ],
)
def test_whitelisted_address_is_allowed(api, ip):
    key = ApiKeyFactory(ip_whitelist=WHITELIST)
    assert api.get(key, "/api/v1/key", remote_addr=ip).status_code == 200


@pytest.mark.parametrize(
    "ip",
    [
        "198.51.100.8",  # next to the single address
        "203.0.114.1",  # just past the IPv4 block
        "192.0.2.12",  # just past the range
        "2001:db8:2::1",  # another IPv6 block
        "::ffff:198.51.100.8",  # IPv4-mapped, still not allowed
    ],
)
def test_address_outside_the_whitelist_is_ip_not_allowed(api, ip):
    key = ApiKeyFactory(ip_whitelist=WHITELIST)
    response = api.get(key, "/api/v1/key", remote_addr=ip)
    assert response.status_code == 403
    assert error_code(response) == "ip_not_allowed"


def test_ipv4_mapped_socket_address_matches_an_ipv4_whitelist(api):
    key = ApiKeyFactory(ip_whitelist=["198.51.100.7/32"])
    assert api.get(key, "/api/v1/key", remote_addr="::ffff:198.51.100.7").status_code == 200


def test_single_ipv6_address_whitelist(api):
    key = ApiKeyFactory(ip_whitelist=["2001:db8::7/128"])
    assert api.get(key, "/api/v1/key", remote_addr="2001:DB8::7").status_code == 200
    assert error_code(api.get(key, "/api/v1/key", remote_addr="2001:db8::8")) == "ip_not_allowed"


def test_key_without_a_whitelist_works_from_anywhere(api):
    key = ApiKeyFactory(ip_whitelist=[])
    for ip in ("198.51.100.1", "2001:db8::1"):
        assert api.get(key, "/api/v1/key", remote_addr=ip).status_code == 200


def test_whitelist_change_takes_effect_on_the_next_request(api):
    key = ApiKeyFactory(ip_whitelist=["198.51.100.7/32"])
    assert api.get(key, "/api/v1/key", remote_addr="198.51.100.7").status_code == 200
    key.ip_whitelist = ["203.0.113.0/24"]
    key.save()
    assert error_code(api.get(key, "/api/v1/key", remote_addr="198.51.100.7")) == "ip_not_allowed"


# --- A frozen main account stops its sub-accounts' keys too ----------------------------


def test_key_of_a_frozen_main_account_is_refused(api, owner):
    owner.is_frozen = True  # what the admin's "Is frozen" box does
    owner.save()
    response = api.get(ApiKeyFactory(user=owner), "/api/v1/account")
    assert (response.status_code, error_code(response)) == (403, "permission_denied")
    assert "frozen" in response.json()["error"]["message"]


def test_key_of_a_sub_account_whose_main_account_is_frozen_is_refused(api, owner):
    sub = SubaccountFactory(parent=owner)
    owner.is_frozen = True
    owner.save()
    key = ApiKeyFactory(user=sub, can_trade=True)
    order = {"symbol": "BTCUSDT", "side": "buy", "type": "market", "quantity": "1"}
    for response in (api.get(key, "/api/v1/account"), api.post(key, "/api/v1/orders", order)):
        assert (response.status_code, error_code(response)) == (403, "permission_denied")
        assert "main account is frozen" in response.json()["error"]["message"]
    assert not sub.orders.exists()


def test_a_frozen_accounts_key_with_a_bad_signature_does_not_reveal_the_freeze(api, owner):
    owner.is_frozen = True
    owner.save()
    key = ApiKeyFactory(user=SubaccountFactory(parent=owner))
    assert error_code(api.get(key, "/api/v1/key", signature="0" * 64)) == "invalid_signature"
