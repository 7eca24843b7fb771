"""An approved trader manages API keys in Chromium: create, copy the secret once,
modify the whitelist, delete; a bad whitelist is refused next to the field."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from apikeys.models import ApiKey
from tests.factories import ApiKeyFactory
from tests.helpers import screenshot, sign_in


def test_not_approved_trader_is_told_what_is_missing(page, live_server, owner):
    sign_in(page, live_server, owner)
    page.goto("/api-management/")
    requirements = page.get_by_test_id("create-requirements")
    expect(requirements).to_contain_text("API trading application")
    expect(page.get_by_test_id("create-api-disabled")).to_be_visible()
    screenshot(page, "apikeys-not-approved")


def test_create_copy_reload_modify_delete(page, live_server, trader, totp):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, live_server, trader)

    page.goto("/api-management/")
    expect(page.get_by_test_id("keys-empty")).to_be_visible()
    expect(page.get_by_test_id("key-usage")).to_contain_text("0 of 10")
    screenshot(page, "apikeys-empty")

    page.get_by_role("link", name="Create API").first.click()
    expect(page.get_by_role("heading", name="Create API")).to_be_visible()
    screenshot(page, "apikeys-form")

    # A bad whitelist: refused next to its field, everything typed is still there.
    typed = "203.0.113.7, 203.0.113.300"
    page.get_by_label("Alias Name").fill("grid-bot")
    page.get_by_label("Trade").check()
    page.get_by_label("Withdraw").check()
    page.get_by_label("Whitelist IP").fill(typed)
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Create API").click()
    error = page.locator("#id_ip_whitelist_error")
    expect(error).to_contain_text("“203.0.113.300” is not an IP address")
    expect(page.get_by_label("Whitelist IP")).to_have_value(typed)
    expect(page.get_by_label("Alias Name")).to_have_value("grid-bot")
    expect(page.get_by_label("Withdraw")).to_be_checked()
    assert not ApiKey.objects.exists()
    screenshot(page, "apikeys-form-errors")

    page.get_by_label("Whitelist IP").fill("203.0.113.7, 198.51.100.0/24\n198.51.100.9")
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Create API").click()

    # The secret, once.
    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    expect(page.get_by_test_id("whitelist")).to_contain_text("198.51.100.0/24")
    apikey = ApiKey.objects.get()
    shown = page.get_by_test_id("secret").inner_text().strip()
    assert shown == apikey.secret()
    page.locator('[data-copy="#new-secret"]').click()
    expect(page.locator('[data-copy="#new-secret"]')).to_have_text("Secret key copied")
    assert page.evaluate("navigator.clipboard.readText()") == shown
    screenshot(page, "apikeys-secret")

    # Reloading before "I have saved it" asks "leave page?"; the user leaves anyway.
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()
    expect(page.get_by_text("The secret is shown only once")).to_be_visible()
    expect(page.get_by_role("heading", name="grid-bot")).to_be_visible()
    assert shown not in page.content()

    # Another key, without a whitelist: unrestricted, with its expiry.
    ApiKeyFactory(
        user=trader, alias="read-only-monitor", expires_at=timezone.now() + timedelta(days=90)
    )
    ApiKeyFactory(
        user=trader,
        alias="old-scalper",
        ed25519=True,
        can_trade=True,
        ip_whitelist=["2001:db8::/48", "203.0.113.20/32", "203.0.113.21/32", "203.0.113.40/32"],
        created_at=timezone.now() - timedelta(days=30),
        last_used_at=timezone.now(),
        last_used_ip="203.0.113.20",
    )
    page.goto("/api-management/")
    rows = page.get_by_test_id("key-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("read-only-monitor")
    expect(rows.first).to_contain_text("Unrestricted")
    expect(page.get_by_test_id("key-usage")).to_contain_text("3 of 10")
    expect(page.get_by_test_id("events")).to_contain_text("grid-bot")
    screenshot(page, "apikeys-list")

    # Modify grid-bot's whitelist.
    page.locator('[data-alias="grid-bot"]').get_by_role("link", name="grid-bot").click()
    expect(page.get_by_role("heading", name="grid-bot")).to_be_visible()
    screenshot(page, "apikeys-detail-new")
    page.get_by_role("link", name="Modify").click()
    expect(page.get_by_label("Whitelist IP")).to_have_value("198.51.100.0/24\n203.0.113.7")
    page.get_by_label("Whitelist IP").fill("203.0.113.8")
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    screenshot(page, "apikeys-modify")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("API key “grid-bot” modified.")).to_be_visible()
    expect(page.get_by_test_id("whitelist")).to_have_text("203.0.113.8")
    trail = page.get_by_test_id("events")
    expect(trail.locator("[data-action=modified]")).to_contain_text("203.0.113.8")
    expect(trail.locator("[data-action=modified] del")).to_contain_text("198.51.100.0/24")
    screenshot(page, "apikeys-detail")

    # Delete it.
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete API key")).to_be_visible()
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    screenshot(page, "apikeys-delete")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("API key “grid-bot” deleted.")).to_be_visible()
    expect(page.get_by_test_id("key-row")).to_have_count(2)
    assert not ApiKey.objects.filter(alias="grid-bot").exists()
    expect(page.get_by_test_id("events").locator("[data-action=deleted]")).to_contain_text(
        "grid-bot"
    )
    screenshot(page, "apikeys-after-delete")


def test_api_management_on_a_phone(phone_page, live_server, trader, totp):
    sign_in(phone_page, live_server, trader)
    ApiKeyFactory(
        user=trader, alias="read-only-monitor", expires_at=timezone.now() + timedelta(days=90)
    )
    ApiKeyFactory(
        user=trader,
        alias="grid-bot",
        can_trade=True,
        can_withdraw=True,
        ip_whitelist=["198.51.100.0/24", "203.0.113.7/32"],
    )
    phone_page.goto("/api-management/")
    expect(phone_page.get_by_test_id("key-row")).to_have_count(2)
    # Nothing spills sideways: the page is no wider than the phone.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "apikeys-phone")

    phone_page.get_by_role("link", name="Create API").first.click()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "apikeys-phone-form")
    phone_page.get_by_label("Alias Name").fill("phone-bot")
    phone_page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    phone_page.get_by_role("button", name="Create API").click()
    expect(phone_page.get_by_test_id("secret")).to_be_visible()
    shown = phone_page.get_by_test_id("secret").inner_text().strip()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "apikeys-phone-secret")

    # The back button brings the page back without the secret (no-store: it is asked
    # for again, and the server has nothing left to show).
    phone_page.get_by_role("link", name="I have saved it").click()
    expect(phone_page.get_by_role("heading", name="phone-bot")).to_be_visible()
    phone_page.go_back()
    expect(phone_page.get_by_text("The secret is shown only once")).to_be_visible()
    assert shown not in phone_page.content()


def test_ed25519_keys_generated_and_own(page, live_server, trader, totp):
    sign_in(page, live_server, trader)
    page.goto("/api-management/keys/new/")
    # The public key field only appears for "your own public key".
    expect(page.get_by_label("Ed25519 public key")).to_be_hidden()
    page.get_by_label("Alias Name").fill("ed-bot")
    page.get_by_label("Ed25519, generated for you").check()
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Create API").click()
    expect(page.get_by_test_id("secret")).to_contain_text("-----BEGIN PRIVATE KEY-----")
    screenshot(page, "apikeys-secret-ed25519")

    page.goto("/api-management/keys/new/")
    page.get_by_label("Alias Name").fill("own-key-bot")
    page.get_by_label("Ed25519, with your own public key").check()
    expect(page.get_by_label("Ed25519 public key")).to_be_visible()
    page.get_by_label("Ed25519 public key").fill("not a key")
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Create API").click()
    expect(page.locator("#id_public_key_error")).to_contain_text("not an Ed25519 public key")
    expect(page.get_by_label("Ed25519 public key")).to_have_value("not a key")
    screenshot(page, "apikeys-form-own-key-error")
