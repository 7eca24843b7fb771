"""Rate limits per key, in the cache: 429 with Retry-After and X-RateLimit-* headers."""

from types import SimpleNamespace

import pytest

from tests.factories import ApiKeyFactory
from tests.helpers import error_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 3


def test_every_signed_response_carries_the_limit_and_what_remains(api):
    key = ApiKeyFactory()
    response = api.get(key, "/api/v1/key")
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "2"


def test_past_the_limit_is_429_with_retry_after(api):
    key = ApiKeyFactory()
    remaining = [api.get(key, "/api/v1/key")["X-RateLimit-Remaining"] for _ in range(3)]
    refused = api.get(key, "/api/v1/key")
    assert remaining == ["2", "1", "0"]
    assert refused.status_code == 429
    assert error_code(refused) == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Limit"] == "3"
    assert refused["X-RateLimit-Remaining"] == "0"


def test_the_limit_is_per_key(api):
    busy, quiet = ApiKeyFactory(), ApiKeyFactory()
    for _ in range(4):
        api.get(busy, "/api/v1/key")
    assert api.get(quiet, "/api/v1/key").status_code == 200


def test_requests_with_a_bad_signature_do_not_spend_the_owners_limit(api):
    # The API key is not a secret: anyone could otherwise lock a bot out.
    key = ApiKeyFactory()
    for _ in range(5):
        api.get(key, "/api/v1/key", signature="0" * 64)
    assert api.get(key, "/api/v1/key").status_code == 200


def test_requests_refused_for_permission_count_towards_the_limit(api):
    key = ApiKeyFactory(can_trade=False)
    for _ in range(3):
        api.post(key, "/api/v1/orders", {})
    assert error_code(api.get(key, "/api/v1/key")) == "rate_limited"


def test_limit_follows_the_setting(api, settings):
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 1200
    assert api.get(ApiKeyFactory(), "/api/v1/key")["X-RateLimit-Limit"] == "1200"


def test_an_address_that_keeps_failing_is_refused_before_any_lookup(
    api, settings, django_assert_num_queries
):
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 3
    key = ApiKeyFactory()
    for _ in range(3):
        assert error_code(api.get(key, "/api/v1/key", signature="0" * 64)) == "invalid_signature"
    with django_assert_num_queries(0):
        refused = api.get(key, "/api/v1/key")  # even a good signature, from there
    assert (refused.status_code, error_code(refused)) == (429, "rate_limited")
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_failures_from_one_address_do_not_lock_the_key_out_elsewhere(api, settings):
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 3
    key = ApiKeyFactory()
    for _ in range(5):
        api.get(key, "/api/v1/key", signature="0" * 64, remote_addr="198.51.100.66")
    assert api.get(key, "/api/v1/key").status_code == 200


def test_successes_do_not_use_the_failure_budget(api, settings):
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 2
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 100
    key = ApiKeyFactory()
    assert all(api.get(key, "/api/v1/key").status_code == 200 for _ in range(5))


@pytest.fixture
def ratelimit_clock(monkeypatch):
    """Move the clock the rate limits read (django-ratelimit's windows), in seconds."""
    import django_ratelimit.core

    clock = SimpleNamespace(now=1_767_225_600.0)
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


def test_failures_count_per_ipv6_64_so_a_client_cannot_walk_its_prefix(api, settings):
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 3
    key = ApiKeyFactory()
    for ip in ("2001:db8:7:8::1", "2001:db8:7:8::2", "2001:db8:7:8:ffff:ffff:ffff:ffff"):
        bad = api.get(key, "/api/v1/key", signature="0" * 64, remote_addr=ip)
        assert error_code(bad) == "invalid_signature"
    refused = api.get(key, "/api/v1/key", remote_addr="2001:db8:7:8:1234::42")
    assert (refused.status_code, error_code(refused)) == (429, "rate_limited")
    assert api.get(key, "/api/v1/key", remote_addr="2001:db8:7:9::1").status_code == 200


def test_retry_after_counts_down_to_the_real_reset(api, settings, ratelimit_clock):
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 3
    key = ApiKeyFactory()
    for _ in range(3):
        api.get(key, "/api/v1/key", signature="0" * 64)
    first = int(api.get(key, "/api/v1/key")["Retry-After"])
    assert 1 <= first <= 60
    ratelimit_clock.now += first - 1
    later = api.get(key, "/api/v1/key")
    assert (later.status_code, later["Retry-After"]) == (429, "1")
    ratelimit_clock.now += 1
    assert api.get(key, "/api/v1/key").status_code == 200


def test_the_keys_retry_after_counts_down_to_the_real_reset(api, ratelimit_clock):
    key = ApiKeyFactory()
    for _ in range(3):
        api.get(key, "/api/v1/key")
    first = int(api.get(key, "/api/v1/key")["Retry-After"])
    ratelimit_clock.now += first - 1
    assert api.get(key, "/api/v1/key")["Retry-After"] == "1"
    ratelimit_clock.now += 1
    assert api.get(key, "/api/v1/key").status_code == 200
