"""What authentication costs: a constant, small number of queries, and no password hasher."""

import time

import pytest
from django.conf import settings
from django.contrib.auth import hashers

from accounts.models import Asset
from api import keyrow
from core import authstamp
from tests.factories import ApiKeyFactory, BalanceFactory, SubaccountFactory, UserFactory, usdt

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sub", [False, True], ids=["account", "subaccount"])
def test_a_second_signed_request_with_the_same_key_costs_no_query(
    api, django_assert_num_queries, sub
):
    key = ApiKeyFactory(user=SubaccountFactory() if sub else UserFactory())
    api.get(key, "/api/v1/key")  # the row is read and remembered; the minute's usage writes
    with django_assert_num_queries(0):
        assert api.get(key, "/api/v1/key").status_code == 200


def test_a_key_row_is_read_again_once_its_stamp_moves(api, django_assert_num_queries):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key")
    authstamp.bump(key.user_id)
    with django_assert_num_queries(1):  # the key, its account and parent, joined
        assert api.get(key, "/api/v1/key").status_code == 200
    with django_assert_num_queries(0):
        assert api.get(key, "/api/v1/key").status_code == 200


def test_a_remembered_row_is_read_again_after_a_minute_whatever_the_stamps(
    api, django_assert_num_queries, monkeypatch
):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key")
    later = time.monotonic() + keyrow.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(keyrow.time, "monotonic", lambda: later)
    with django_assert_num_queries(1):
        assert api.get(key, "/api/v1/key").status_code == 200


def test_the_first_request_of_a_minute_adds_a_few_usage_writes(api, django_assert_max_num_queries):
    key = ApiKeyFactory()
    with django_assert_max_num_queries(5):
        assert api.get(key, "/api/v1/key").status_code == 200


def test_query_count_does_not_grow_with_the_account(api, django_assert_max_num_queries):
    key = ApiKeyFactory()
    for symbol in ("BTC", "ETH", "SOL", "XRP", "DOGE"):
        BalanceFactory(user=key.user, asset=Asset.objects.get(symbol=symbol))
    usdt(key.user, 10)
    api.get(key, "/api/v1/account")
    # The key, the balances with their assets, every asset's amount rules.
    with django_assert_max_num_queries(3):
        assert api.get(key, "/api/v1/account").status_code == 200


def test_no_password_hasher_runs_on_the_api_path(api, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a password hasher ran on the API path")

    key = ApiKeyFactory(ed25519=False)  # made before the trap: the factory sets a password
    monkeypatch.setattr(hashers, "check_password", forbidden)
    monkeypatch.setattr(hashers, "make_password", forbidden)
    monkeypatch.setattr(hashers, "get_hasher", forbidden)
    assert api.get(key, "/api/v1/key").status_code == 200
    assert api.get(key, "/api/v1/account").status_code == 200


redis_only = pytest.mark.skipif(
    "redis" not in settings.CACHES["default"]["BACKEND"].lower(), reason="the Redis stack only"
)


@redis_only
def test_a_signed_request_builds_no_redis_client(api, redis_calls):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key")
    redis_calls["clients"] = redis_calls["round_trips"] = 0
    assert api.get(key, "/api/v1/key").status_code == 200
    assert redis_calls["round_trips"] > 0  # the counter sees the cache's traffic
    assert redis_calls["clients"] == 0


@redis_only
@pytest.mark.parametrize("ed25519", [False, True], ids=["hmac", "ed25519"])
def test_a_signed_request_costs_at_most_two_redis_round_trips_and_no_query(
    api, redis_calls, ed25519, django_assert_num_queries
):
    # The failure budget with the account stamps before the database; replay guard,
    # rate limit and usage after the signature, in one script. The key's row is
    # remembered from the first request.
    key = ApiKeyFactory(ed25519=ed25519, user=SubaccountFactory())
    api.get(key, "/api/v1/key")
    for _ in range(3):
        redis_calls["round_trips"] = 0
        with django_assert_num_queries(0):
            assert api.get(key, "/api/v1/key").status_code == 200
        assert redis_calls["round_trips"] <= 2


@redis_only
def test_after_a_stamp_moves_a_request_still_costs_two_round_trips_and_one_query(
    api, redis_calls, django_assert_num_queries
):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key")
    authstamp.bump(key.user_id)
    redis_calls["round_trips"] = 0
    with django_assert_num_queries(1):
        assert api.get(key, "/api/v1/key").status_code == 200
    assert redis_calls["round_trips"] <= 2


@redis_only
def test_the_first_request_of_a_key_also_stays_within_two_round_trips_and_its_writes(
    api, redis_calls, django_assert_max_num_queries
):
    key = ApiKeyFactory()
    with django_assert_max_num_queries(5):
        assert api.get(key, "/api/v1/key").status_code == 200
    # The usage flush reads the hour's counters once a minute: a few more, once.
    assert redis_calls["round_trips"] <= 8
