"""The gate's cache work (api/gate.py) decides alike on Redis (one Lua script) and on
any other cache (plain calls): this module runs on whichever the suite has."""

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from api import gate
from apikeys import usage

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def admit(settings):
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 2
    request = RequestFactory().get("/api/v1/key")

    def admit(slot, *, count=True, ip="198.51.100.4", key=7):
        return gate.admit(
            request, apikey_pk=key, slot=slot, slot_seconds=5, ip=ip, count=count, now=NOW
        )

    return admit


def counted_so_far(key=7):
    return cache.get(usage.usage_keys(key, "198.51.100.4", now=NOW)[0], 0)


def test_a_fresh_request_is_counted_and_opens_both_gates_once(admit):
    first, second = admit("a"), admit("b")
    assert (first.first_use, first.counted, first.flush_due, first.ip_due) == (
        True, True, True, True,
    )  # fmt: skip
    assert (second.counted, second.flush_due, second.ip_due) == (True, False, False)
    assert (first.rate["count"], second.rate["count"]) == (1, 2)
    assert counted_so_far() == 2


def test_a_replay_counts_nothing_and_reads_the_keys_budget(admit):
    admit("a")
    replay = admit("a")
    assert (replay.first_use, replay.counted, replay.rate["count"]) == (False, False, 1)
    assert counted_so_far() == 1


def test_over_the_rate_limit_the_request_is_limited_and_not_counted(admit):
    admit("a"), admit("b")
    over = admit("c")
    assert (over.first_use, over.rate["should_limit"], over.counted) == (True, True, False)
    assert counted_so_far() == 2


def test_a_request_refused_for_another_reason_spends_its_slot_and_budget_only(admit):
    refused = admit("a", count=False)
    assert (refused.first_use, refused.counted, refused.rate["count"]) == (True, False, 1)
    assert counted_so_far() == 0
    assert not admit("a").first_use


def test_the_failure_budget_is_read_from_django_ratelimits_own_counter(rf, settings):
    from django_ratelimit.core import get_usage

    request = rf.get("/")
    for _ in range(3):
        get_usage(request, group=gate.FAILURE_GROUP, key=lambda *_: "192.0.2.9",
                  rate=(10, 60), increment=True)  # fmt: skip
    assert gate.peek_usage(gate.FAILURE_GROUP, "192.0.2.9", 10)["count"] == 3
    settings.RATELIMIT_ENABLE = False
    assert gate.peek_usage(gate.FAILURE_GROUP, "192.0.2.9", 10) is None
