"""The timestamp window (server_ms - recv_window <= ts < server_ms + 1000) and replays.

The server clock is pinned (``frozen_clock`` patches api.auth.now_ms), so each edge
is tested to the millisecond.
"""

import pytest

from tests.factories import ApiKeyFactory
from tests.helpers import error_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    return ApiKeyFactory()


def status_at(api, key, offset_ms, frozen_clock, **kwargs):
    response = api.get(key, "/api/v1/key", timestamp=frozen_clock.ms + offset_ms, **kwargs)
    return response.status_code, response.json().get("error", {}).get("code")


def test_timestamp_equal_to_server_time_is_accepted(api, key, frozen_clock):
    assert status_at(api, key, 0, frozen_clock) == (200, None)


def test_exactly_999_ms_ahead_is_accepted(api, key, frozen_clock):
    assert status_at(api, key, 999, frozen_clock) == (200, None)


def test_exactly_1000_ms_ahead_is_refused(api, key, frozen_clock):
    assert status_at(api, key, 1000, frozen_clock) == (401, "timestamp_out_of_window")


def test_exactly_the_default_window_behind_is_accepted(api, key, frozen_clock):
    assert status_at(api, key, -5000, frozen_clock) == (200, None)


def test_one_ms_beyond_the_default_window_is_refused(api, key, frozen_clock):
    assert status_at(api, key, -5001, frozen_clock) == (401, "timestamp_out_of_window")


def test_a_larger_recv_window_accepts_exactly_its_edge(api, key, frozen_clock):
    assert status_at(api, key, -20000, frozen_clock, recv_window=20000) == (200, None)
    assert status_at(api, key, -20001, frozen_clock, recv_window=20000) == (
        401,
        "timestamp_out_of_window",
    )


def test_the_largest_recv_window_is_60000(api, key, frozen_clock):
    assert status_at(api, key, -60000, frozen_clock, recv_window=60000) == (200, None)
    assert status_at(api, key, -1, frozen_clock, recv_window=60001) == (400, "invalid_request")


@pytest.mark.parametrize("window", ["0", "-5", "5s", "1e4", " ", "", "５０００"])
def test_malformed_recv_window_is_invalid_request_naming_it(api, key, frozen_clock, window):
    response = api.get(
        key, "/api/v1/key", timestamp=frozen_clock.ms, headers={"X-API-RECV-WINDOW": window}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "X-API-RECV-WINDOW"


@pytest.mark.parametrize("timestamp", ["abc", "-1767225600000", "1767225600000.5", "1e12"])
def test_malformed_timestamp_is_invalid_request_naming_it(api, key, timestamp):
    response = api.get(key, "/api/v1/key", headers={"X-API-TIMESTAMP": timestamp})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "X-API-TIMESTAMP"


def test_timestamp_in_seconds_says_so(api, key, frozen_clock):
    response = api.get(key, "/api/v1/key", timestamp=frozen_clock.ms // 1000)
    assert error_code(response) == "timestamp_out_of_window"
    assert "seconds" in response.json()["error"]["message"]


def test_the_same_signed_request_twice_is_a_replay(api, key, frozen_clock):
    first = api.get(key, "/api/v1/key", timestamp=frozen_clock.ms)
    second = api.get(key, "/api/v1/key", timestamp=frozen_clock.ms)
    assert first.status_code == 200
    assert second.status_code == 401
    assert error_code(second) == "replayed_request"


def test_a_replay_on_the_last_millisecond_of_its_own_window_is_refused(api, key, frozen_clock):
    # The window is signed, so a request is remembered until ts + its own window.
    for window in (None, 60000):
        sent_at = frozen_clock.ms
        assert api.get(key, "/api/v1/key", timestamp=sent_at, recv_window=window).status_code == 200
        frozen_clock.set(sent_at + (window or 5000))
        replay = api.get(key, "/api/v1/key", timestamp=sent_at, recv_window=window)
        assert error_code(replay) == "replayed_request"


def test_a_new_timestamp_is_a_new_request(api, key, frozen_clock):
    assert api.get(key, "/api/v1/key", timestamp=frozen_clock.ms).status_code == 200
    assert api.get(key, "/api/v1/key", timestamp=frozen_clock.ms + 1).status_code == 200


def test_a_request_with_a_bad_signature_does_not_spend_the_replay_slot(api, key, frozen_clock):
    bad = api.get(key, "/api/v1/key", timestamp=frozen_clock.ms, signature="0" * 64)
    good = api.get(key, "/api/v1/key", timestamp=frozen_clock.ms)
    assert error_code(bad) == "invalid_signature"
    assert good.status_code == 200


def test_replay_guard_is_per_key(api, frozen_clock):
    one, two = ApiKeyFactory(), ApiKeyFactory()
    assert api.get(one, "/api/v1/key", timestamp=frozen_clock.ms).status_code == 200
    assert api.get(two, "/api/v1/key", timestamp=frozen_clock.ms).status_code == 200


def test_replay_guard_holds_after_hundreds_of_other_requests(api, key, frozen_clock, settings):
    # A cache that evicts early (local memory keeps 300 entries by default) would
    # forget the first request and let its replay through.
    settings.APIKEY_RATE_LIMIT_PER_MINUTE = 10_000
    # The widest window: Redis expires the slot on the real clock (window + 1 s), and
    # 400 requests on a busy machine took longer than the default window's 6 s.
    window = settings.API_MAX_RECV_WINDOW_MS
    first = {"timestamp": frozen_clock.ms, "recv_window": window}
    assert api.get(key, "/api/v1/key", **first).status_code == 200
    for i in range(1, 400):
        sent = {"timestamp": frozen_clock.ms - i, "recv_window": window}
        assert api.get(key, "/api/v1/key", **sent).status_code == 200
    assert error_code(api.get(key, "/api/v1/key", **first)) == "replayed_request"
