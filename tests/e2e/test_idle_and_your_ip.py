"""In Chromium: "Your IP" adds the browser's address to the whitelist in one click (the
button is hidden until the script runs: tests/apikeys/test_your_ip.py); an idle key is
flagged, disabled once its account asks for that, and enabled again with a code."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apikeys import services
from tests.factories import ApiKeyFactory
from tests.helpers import screenshot, seed_assets, sign_in


@pytest.fixture(autouse=True)
def migration_data(transactional_db):
    from django.apps import apps

    seed_assets(apps, None)


def test_your_ip_is_added_to_the_whitelist_in_one_click_with_the_loopback_warning(
    page, live_server, trader
):
    sign_in(page, live_server, trader)
    page.goto("/api-management/keys/new/")
    helper = page.get_by_test_id("your-ip")
    expect(helper).to_contain_text("Your IP, as we see it: 127.0.0.1")
    expect(page.get_by_test_id("your-ip-warning")).to_contain_text("loopback address")
    field = page.get_by_label("Whitelist IP")
    field.fill("203.0.113.7")
    page.get_by_role("button", name="Add to whitelist").click()
    expect(field).to_have_value("203.0.113.7\n127.0.0.1")
    expect(field).to_be_focused()
    page.get_by_role("button", name="Add to whitelist").click()  # not twice
    expect(field).to_have_value("203.0.113.7\n127.0.0.1")
    expect(helper).to_contain_text("127.0.0.1 is already in the whitelist.")
    screenshot(page, "your-ip-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "your-ip-390")


def test_an_idle_key_is_flagged_disabled_on_request_and_enabled_with_a_code(
    page, live_server, trader, totp
):
    apikey = ApiKeyFactory(
        user=trader,
        alias="sleepy-bot",
        created_at=timezone.now() - timedelta(days=120),
        ip_whitelist=["203.0.113.7/32"],
    )
    sign_in(page, live_server, trader)
    page.goto("/api-management/")
    row = page.locator('tr[data-alias="sleepy-bot"]')
    expect(row.get_by_test_id("idle")).to_have_text("Idle")
    expect(page.get_by_test_id("idle-setting-state")).to_have_text("off")
    screenshot(page, "idle-list-1280")

    page.get_by_role("link", name="Change").click()
    page.get_by_label("Disable keys idle for 90 days").check()
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    screenshot(page, "idle-setting-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Disabling idle keys is now on.")).to_be_visible()
    expect(page.get_by_test_id("idle-setting-state")).to_have_text("on")

    assert services.disable_idle_keys() == 1  # what the weekly command does first
    page.goto(f"/api-management/keys/{apikey.code}/")
    expect(page.get_by_test_id("disabled")).to_contain_text("this account disables idle keys")
    screenshot(page, "idle-disabled-key-1280")
    page.get_by_role("link", name="Enable").click()
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    screenshot(page, "enable-form")
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_text("“sleepy-bot” is enabled: it works again.")).to_be_visible()
    expect(page.get_by_test_id("disabled")).to_have_count(0)
    # Enabled, it gets a fresh idle period: not flagged (nor disabled by next week's run).
    expect(page.get_by_test_id("idle")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "idle-key-page-390")
    page.goto("/api-management/")
    screenshot(page, "idle-list-390")
