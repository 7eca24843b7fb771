"""Usage bookkeeping (apikeys/usage.py): cheap per request, accurate on the key's page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from apikeys import usage
from apikeys.models import KeyIpAddress, KeyUsageHour
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 4, 12, 0, 30, tzinfo=UTC)


def test_last_used_is_written_once_a_minute_not_on_every_request(api, django_assert_num_queries):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key", remote_addr="198.51.100.1")
    key.refresh_from_db()
    first_use = key.last_used_at
    assert key.last_used_ip == "198.51.100.1"
    with django_assert_num_queries(0):  # no usage write, and the key's row is remembered
        api.get(key, "/api/v1/key", remote_addr="198.51.100.1")
    key.refresh_from_db()
    assert key.last_used_at == first_use


def test_the_usage_flush_does_not_make_workers_read_the_key_again(api, django_assert_num_queries):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key")
    cache.delete(f"api:usage-flush:{key.pk}")  # as if a minute had passed
    api.get(key, "/api/v1/key", remote_addr="198.51.100.2")  # writes last used
    key.refresh_from_db()
    assert key.last_used_ip == "198.51.100.2"
    with django_assert_num_queries(0):
        assert api.get(key, "/api/v1/key", remote_addr="198.51.100.2").status_code == 200


def test_last_used_moves_on_after_the_minute(api):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key")
    cache.delete(f"api:usage-flush:{key.pk}")  # as if a minute had passed
    api.get(key, "/api/v1/key", remote_addr="198.51.100.2")
    key.refresh_from_db()
    assert key.last_used_ip == "198.51.100.2"


def test_every_request_is_counted_in_its_hour(api):
    key = ApiKeyFactory()
    for _ in range(7):
        api.get(key, "/api/v1/key")
    assert usage.key_usage(key)["total"] == 7


def test_refused_requests_are_not_counted(api):
    key = ApiKeyFactory()
    api.get(key, "/api/v1/key", signature="0" * 64)
    assert usage.key_usage(key)["total"] == 0


def test_counts_are_flushed_to_hour_rows(api):
    key = ApiKeyFactory()
    for minute in range(3):
        usage.record_request(key, "198.51.100.1", now=NOON + timedelta(minutes=minute))
    usage.flush_counts(key.pk, now=NOON + timedelta(minutes=5))
    row = KeyUsageHour.objects.get(apikey=key)
    assert (row.hour, row.requests) == (NOON.replace(minute=0, second=0), 3)


def test_a_flush_moves_counts_once(api):
    key = ApiKeyFactory()
    usage.record_request(key, "198.51.100.1", now=NOON)
    usage.flush_counts(key.pk, now=NOON)
    usage.flush_counts(key.pk, now=NOON)
    assert KeyUsageHour.objects.get(apikey=key).requests == 1


def test_the_last_minutes_of_an_hour_are_flushed_into_that_hour():
    key = ApiKeyFactory()
    usage.record_request(key, "198.51.100.1", now=NOON)  # opens the minute's gate
    usage.record_request(key, "198.51.100.1", now=NOON.replace(minute=59))
    usage.flush_counts(key.pk, now=NOON + timedelta(hours=1))
    hours = dict(KeyUsageHour.objects.values_list("hour", "requests"))
    assert hours == {NOON.replace(minute=0, second=0): 2}


def test_ips_are_remembered_with_first_and_last_seen():
    key = ApiKeyFactory()
    usage.record_request(key, "198.51.100.1", now=NOON)
    cache.delete(f"api:usage-ip:{key.pk}:198.51.100.1")
    usage.record_request(key, "198.51.100.1", now=NOON + timedelta(minutes=5))
    usage.record_request(key, "2001:db8::1", now=NOON + timedelta(minutes=6))
    rows = {row.ip: row for row in KeyIpAddress.objects.filter(apikey=key)}
    assert rows["198.51.100.1"].first_seen == NOON
    assert rows["198.51.100.1"].last_seen == NOON + timedelta(minutes=5)
    assert set(rows) == {"198.51.100.1", "2001:db8::1"}


def test_key_usage_has_24_hourly_bars_ending_with_the_current_hour():
    key = ApiKeyFactory()
    KeyUsageHour.objects.create(
        apikey=key, hour=NOON.replace(second=0) - timedelta(hours=3), requests=30
    )
    KeyUsageHour.objects.create(apikey=key, hour=NOON.replace(second=0), requests=10)
    KeyUsageHour.objects.create(
        apikey=key, hour=NOON.replace(second=0) - timedelta(days=2), requests=99
    )
    figures = usage.key_usage(key, now=NOON)
    bars = figures["chart"]["bars"]
    assert len(bars) == 24
    assert bars[-1]["hour"] == NOON.replace(second=0) and bars[-1]["count"] == 10
    assert bars[-4]["count"] == 30
    assert figures["total"] == 40  # two days ago is off the chart
    assert figures["chart"]["peak"] == 30


def test_chart_bars_are_scaled_to_the_busiest_hour():
    series = [(NOON + timedelta(hours=i), count) for i, count in enumerate([0, 5, 10])]
    chart = usage.hourly_chart(series, width=300, height=120)
    heights = [bar["height"] for bar in chart["bars"]]
    assert heights[0] == 0
    assert heights[2] == chart["baseline"] - chart["top"]  # the full plot height
    assert heights[1] == pytest.approx(heights[2] / 2)


def test_old_hour_rows_are_pruned():
    key = ApiKeyFactory()
    old = KeyUsageHour.objects.create(apikey=key, hour=NOON - timedelta(days=8), requests=1)
    usage.record_request(key, "198.51.100.1", now=NOON)
    assert not KeyUsageHour.objects.filter(pk=old.pk).exists()


def test_refusals_show_on_the_usage_figures(api):
    key = ApiKeyFactory(ip_whitelist=["192.0.2.1/32"])
    api.get(key, "/api/v1/key", remote_addr="198.51.100.66")
    refusals = usage.key_usage(key)["refusals"]
    assert [(r["code"], r["ip"]) for r in refusals] == [("ip_not_allowed", "198.51.100.66")]
