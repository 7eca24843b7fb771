"""The docs page's "Test a signature" tool."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import auth, services
from api.client import payload
from api.errors import ApiError
from tests.factories import ApiKeyFactory, SubaccountFactory
from tests.helpers import signature_for

pytestmark = pytest.mark.django_db
URL = "/api-docs/test-signature/"


def form(
    key, *, timestamp, method="GET", path="/api/v1/account", body="", recv_window="", signature=None
):
    message = payload(str(timestamp), key.api_key, recv_window, method, path, body.encode())
    return {
        "api_key": key.api_key,
        "method": method,
        "path": path,
        "body": body,
        "timestamp": str(timestamp),
        "recv_window": recv_window,
        "signature": signature if signature is not None else signature_for(key, message),
    }


def test_matching_signature_inside_the_window(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    response = owner_client.post(URL, form(key, timestamp=frozen_clock.ms - 1200))
    page = response.content.decode()
    assert response.status_code == 200
    assert "✓ Matches" in page
    assert "Inside the window" in page
    assert "1,200 ms behind" in page


def test_payload_is_shown_in_its_parts(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    body = '{"symbol":"BTCUSDT"}'
    data = form(
        key,
        timestamp=frozen_clock.ms,
        method="POST",
        path="/api/v1/orders",
        body=body,
        recv_window="2500",
    )
    page = owner_client.post(URL, data).content.decode()
    assert "✓ Matches" in page
    assert f'title="timestamp">{frozen_clock.ms}</span>' in page
    assert f'title="api_key">{key.api_key}</span>' in page
    assert 'title="recv_window">2500</span>' in page
    assert 'title="method">POST</span>' in page
    assert 'title="path_with_query">/api/v1/orders</span>' in page
    assert 'title="body">{&quot;symbol&quot;:&quot;BTCUSDT&quot;}</span>' in page


def test_mismatch_gives_hints_and_never_the_right_signature(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    right = signature_for(
        key, payload(str(frozen_clock.ms), key.api_key, "", "GET", "/api/v1/account")
    )
    data = form(key, timestamp=frozen_clock.ms, signature=right.upper())
    page = owner_client.post(URL, data).content.decode()
    assert "✗ Does not match" in page
    assert "lowercase hex" in page
    assert right not in page


def test_timestamp_too_old_and_in_seconds_is_explained(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    page = owner_client.post(URL, form(key, timestamp=frozen_clock.ms // 1000)).content.decode()
    assert "Outside the window" in page
    assert "looks like seconds" in page


def test_ed25519_key_is_checked_too(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner, ed25519=True)
    page = owner_client.post(URL, form(key, timestamp=frozen_clock.ms)).content.decode()
    assert "✓ Matches" in page and "Ed25519" in page


def test_crlf_line_breaks_from_the_browser_are_signed_as_lf(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    body = '{\n  "a": 1\n}'
    data = form(key, timestamp=frozen_clock.ms, method="POST", path="/api/v1/orders", body=body)
    data["body"] = body.replace("\n", "\r\n")
    assert "✓ Matches" in owner_client.post(URL, data).content.decode()


def test_sub_accounts_keys_can_be_tested_by_the_parent(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=SubaccountFactory(parent=owner))
    assert (
        "✓ Matches" in owner_client.post(URL, form(key, timestamp=frozen_clock.ms)).content.decode()
    )


def test_another_accounts_key_is_not_checked(outsider_client, frozen_clock):
    key = ApiKeyFactory()
    page = outsider_client.post(URL, form(key, timestamp=frozen_clock.ms)).content.decode()
    assert "Matches" not in page
    assert "None of your keys" in page


def test_the_tool_needs_a_login(client, frozen_clock):
    key = ApiKeyFactory()
    response = client.post(URL, form(key, timestamp=frozen_clock.ms))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_tool_is_rate_limited(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    for _ in range(30):
        owner_client.post(URL, form(key, timestamp=frozen_clock.ms))
    assert owner_client.post(URL, form(key, timestamp=frozen_clock.ms)).status_code == 429


def test_server_time_is_unaffected_by_the_tool(owner_client, owner):
    before = auth.now_ms()
    key = ApiKeyFactory(user=owner)
    page = owner_client.post(URL, form(key, timestamp=before)).content.decode()
    assert "Inside the window" in page


def test_lowercase_method_is_shown_as_the_server_signs_it(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    data = form(key, timestamp=frozen_clock.ms, method="GET")
    data["method"] = "get"
    page = owner_client.post(URL, data).content.decode()
    assert 'title="method">GET</span>' in page
    assert "✓ Matches" in page


def test_the_tool_builds_the_payload_with_the_function_authentication_uses(
    owner_client, owner, frozen_clock, monkeypatch
):
    built = []
    real = auth.signature_payload

    def spy(**parts):
        built.append(parts)
        return real(**parts)

    monkeypatch.setattr(auth, "signature_payload", spy)
    key = ApiKeyFactory(user=owner)
    page = owner_client.post(URL, form(key, timestamp=frozen_clock.ms)).content.decode()
    assert "✓ Matches" in page
    assert built and built[0]["api_key"] == key.api_key and built[0]["recv_window"] == ""


def test_a_window_left_empty_is_signed_as_empty_and_the_default_applies(
    owner_client, owner, frozen_clock
):
    key = ApiKeyFactory(user=owner)
    page = owner_client.post(URL, form(key, timestamp=frozen_clock.ms - 5001)).content.decode()
    assert "✓ Matches" in page
    assert "Outside the window" in page  # the default window is 5000 ms


def test_a_window_signed_with_a_leading_zero_is_checked_as_typed(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    data = form(key, timestamp=frozen_clock.ms, recv_window="05000")
    assert "✓ Matches" in owner_client.post(URL, data).content.decode()


def test_a_window_that_is_not_a_number_is_a_form_error(owner_client, owner, frozen_clock):
    key = ApiKeyFactory(user=owner)
    response = owner_client.post(URL, form(key, timestamp=frozen_clock.ms, recv_window="5s"))
    assert response.status_code == 400
    assert "whole number of milliseconds" in response.content.decode()


@given(
    offset=st.integers(min_value=-70_000, max_value=70_000),
    window=st.integers(min_value=1, max_value=60_000),
    stamp=st.sampled_from(["digits", "seconds", "letters"]),
)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_tool_judges_timestamp_and_window_exactly_as_authentication_does(
    owner, frozen_clock, offset, window, stamp
):
    timestamp = {
        "digits": str(frozen_clock.ms + offset),
        "seconds": str((frozen_clock.ms + offset) // 1000),
        "letters": f"{frozen_clock.ms}x",
    }[stamp]
    check = services.check_signature(
        user=owner,
        api_key="apk_unknown",
        method="GET",
        path="/api/v1/account",
        body="",
        timestamp=timestamp,
        signature="00",
        recv_window=str(window),
    )
    try:
        ts = auth.parse_timestamp(timestamp)
        auth._check_window(ts, window, frozen_clock.ms)
    except ApiError as refused:
        server_accepts, server_code = False, refused.code
    else:
        server_accepts, server_code = True, None
    assert bool(check.in_window) == server_accepts
    if server_code == "invalid_request":
        assert check.offset_ms is None and check.hints
    looks_like_seconds = "The timestamp looks like seconds: send milliseconds." in check.hints
    assert looks_like_seconds == (stamp == "seconds" or (stamp == "digits" and ts < 10**11))
