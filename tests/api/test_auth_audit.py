"""Refused requests on a known key become audit events, at most one per key and kind a minute."""

import pytest

from apikeys.models import AuditEvent
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


def refusals(key):
    return AuditEvent.objects.filter(apikey=key, action=AuditEvent.Action.AUTH_FAILED)


def test_bad_signature_is_recorded_with_code_path_and_ip(api):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/account", signature="0" * 64, remote_addr="198.51.100.9")
    event = refusals(key).get()
    assert event.owner == key.user
    assert event.api_key == key.api_key
    assert event.ip == "198.51.100.9"
    assert event.changes["code"] == "invalid_signature"
    assert event.changes["path"] == "/api/v1/account"


@pytest.mark.parametrize(
    ("make_key", "call", "code"),
    [
        (lambda: ApiKeyFactory(ip_whitelist=["192.0.2.1/32"]), "GET /api/v1/key", "ip_not_allowed"),
        (lambda: ApiKeyFactory(can_trade=False), "POST /api/v1/orders", "permission_denied"),
    ],
)
def test_other_refusals_of_a_known_key_are_recorded(api, make_key, call, code):
    key = make_key()
    method, path = call.split()
    api.request(method, path, key)
    assert list(refusals(key).values_list("changes__code", flat=True)) == [code]


def test_rate_limited_requests_are_recorded(api, settings):
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 1
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key")
    api.get(key, "/api/v1/key")
    assert list(refusals(key).values_list("changes__code", flat=True)) == ["rate_limited"]


def test_a_flood_of_bad_requests_writes_one_event_per_kind(api):
    key = ApiKeyFactory(ip_whitelist=["192.0.2.1/32"])
    for _ in range(50):
        api.get(key, "/api/v1/key", signature="0" * 64)
    for _ in range(50):
        api.get(key, "/api/v1/key")  # from an address off the whitelist
    codes = sorted(refusals(key).values_list("changes__code", flat=True))
    assert codes == ["invalid_signature", "ip_not_allowed"]


def test_unknown_keys_and_accepted_requests_write_nothing(api):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key")
    api.get(key, "/api/v1/key", omit=["X-API-SIGNATURE"])
    assert not AuditEvent.objects.exists()
