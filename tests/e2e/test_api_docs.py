"""The API docs page in Chromium, and its "Test a signature" tool."""

import pytest
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from api import auth
from api.client import hmac_signature, payload
from tests.factories import ApiKeyFactory
from tests.helpers import SCREENSHOTS, screenshot, verified_client


def sign_in(page, live_server, user):
    client = verified_client(DjangoClient(), user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_docs_page_reads_well_without_signing_in(page):
    page.goto("/api-docs/")
    expect(page.get_by_role("heading", name="API Documentation")).to_be_visible()
    expect(page.get_by_test_id("error-codes")).to_contain_text("address_not_whitelisted")
    expect(page.get_by_role("link", name="Log In to test a signature")).to_be_visible()
    screenshot(page, "api-docs")


@pytest.mark.parametrize("tamper", [False, True], ids=["matching", "mismatching"])
def test_signature_tool_shows_the_payload_and_the_verdict(page, live_server, owner, tamper):
    key = ApiKeyFactory(user=owner)
    timestamp = str(auth.now_ms() - 2500)
    body = '{"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"}'
    signature = hmac_signature(
        key.plain_secret,
        payload(timestamp, key.api_key, "10000", "POST", "/api/v1/orders", body.encode()),
    )
    if tamper:
        signature = signature.upper()
    sign_in(page, live_server, owner)
    page.goto("/api-docs/#test-signature")
    page.get_by_label("API key").fill(key.api_key)
    page.get_by_label("Method").fill("POST")
    page.get_by_label("Path with query").fill("/api/v1/orders")
    page.get_by_label("Body").fill(body)
    page.get_by_label("Timestamp (ms)").fill(timestamp)
    page.get_by_label("Receive window (ms)").fill("10000")
    page.get_by_label("Signature", exact=True).fill(signature)
    page.get_by_role("button", name="Test signature").click()
    result = page.get_by_test_id("signature-result")
    expect(result.get_by_test_id("payload")).to_have_text(
        f"{timestamp}{key.api_key}10000POST/api/v1/orders{body}"
    )
    expect(result.get_by_test_id("timestamp-verdict")).to_contain_text("Inside the window")
    if tamper:
        expect(result.get_by_test_id("signature-verdict")).to_contain_text("Does not match")
        expect(result).to_contain_text("lowercase hex")
        screenshot(page, "api-docs-signature-mismatch")
    else:
        expect(result.get_by_test_id("signature-verdict")).to_contain_text("Matches")
        screenshot(page, "api-docs-signature-match")


@pytest.mark.parametrize(("fixture", "width"), [("phone_page", 390), ("page", 1280)])
def test_docs_page_links_to_the_openapi_description(request, transactional_db, fixture, width):
    page = request.getfixturevalue(fixture)
    page.goto("/api-docs/#endpoints")
    link = page.get_by_test_id("openapi-link")
    expect(link).to_be_visible()
    box = page.locator("#endpoints p").first.bounding_box()
    assert box["x"] + box["width"] <= width  # the new paragraph wraps on a phone
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator("#endpoints").screenshot(path=str(SCREENSHOTS / f"api-docs-openapi-{width}.png"))
    with page.expect_response("**/api/v1/openapi.json") as answer:
        link.click()
    assert answer.value.json()["openapi"] == "3.1.0"
