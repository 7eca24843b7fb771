"""The /api-docs/ page: signing steps, examples, every error code."""

import pytest
from django.utils.html import escape

from api import auth, docs
from apikeys.keys import hmac_signature

pytestmark = pytest.mark.django_db

ALL_CODES = [
    "missing_credentials",
    "invalid_api_key",
    "invalid_signature",
    "timestamp_out_of_window",
    "replayed_request",
    "key_expired",
    "ip_not_allowed",
    "permission_denied",
    "address_not_whitelisted",
    "rate_limited",
    "invalid_request",
    "service_unavailable",
]


def test_docs_page_is_public(client):
    response = client.get("/api-docs/")
    assert response.status_code == 200
    assert "Log In to test a signature" in response.content.decode()


def test_docs_list_every_error_code(client):
    page = client.get("/api-docs/").content.decode()
    for code in ALL_CODES:
        assert f"<code>{code}</code>" in page, code


def test_docs_show_the_signing_headers_and_the_window_rule(client):
    page = client.get("/api-docs/").content.decode()
    for header in ("X-API-KEY", "X-API-TIMESTAMP", "X-API-RECV-WINDOW", "X-API-SIGNATURE"):
        assert header in page
    assert "timestamp + api_key + recv_window + METHOD + path_with_query + body" in page
    assert "server_time + 1000" in page


def test_examples_use_this_sites_address_and_carry_no_linter_pragmas(client):
    page = client.get("/api-docs/").content.decode()
    assert "http://testserver/api/v1" in page
    assert "openssl dgst -sha256 -hmac" in page
    assert "import requests" in page
    assert "urllib.request" in page
    assert "noqa" not in page


def test_worked_example_signature_is_right():
    worked = docs.worked_example()
    assert worked["payload"] == (
        worked["timestamp"] + worked["api_key"] + worked["recv_window"] + "POST/api/v1/orders"
        + worked["body"]
    )  # fmt: skip
    assert worked["payload"].encode() == auth.signature_payload(
        timestamp=worked["timestamp"], api_key=worked["api_key"],
        recv_window=worked["recv_window"], method="POST", path_with_query="/api/v1/orders",
        body=worked["body"].encode(),
    )  # fmt: skip
    assert worked["signature"] == hmac_signature(worked["secret"], worked["payload"].encode())
    # A known answer, so that a change to the scheme can't slip by unnoticed.
    assert worked["signature"].startswith(
        hmac_signature(docs.EXAMPLE_SECRET, worked["payload"].encode())[:16]
    )


def test_signed_in_user_sees_the_test_tool(owner_client):
    page = owner_client.get("/api-docs/").content.decode()
    assert 'action="/api-docs/test-signature/#test-signature"' in page


def test_tool_shows_the_server_time_to_compare_with(owner_client, frozen_clock):
    page = owner_client.get("/api-docs/").content.decode()
    assert f"<code>{frozen_clock.ms}</code> ms" in page


def test_the_worked_example_shows_every_part_of_the_payload(client):
    page = client.get("/api-docs/").content.decode()
    worked = docs.worked_example()
    for part in ("api_key", "recv_window", "payload", "signature"):
        assert escape(worked[part]) in page, part


def test_docs_explain_the_failed_authentication_budget(client, settings):
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 300
    page = client.get("/api-docs/").content.decode()
    assert "300 failed authentications a minute" in page
    assert "/64" in page
    assert "correctly signed requests" in page  # what it does to good keys there
