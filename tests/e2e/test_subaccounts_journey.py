"""A parent opens a sub-account and manages its API key from its own User Center."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from apikeys.models import ApiKey
from tests.factories import usdt
from tests.helpers import screenshot, sign_in


@pytest.fixture
def parent(trader):
    usdt(trader, "75000")
    return trader


def test_parent_creates_subaccount_key_finds_it_modifies_it_and_freezes(
    page, live_server, parent, totp
):
    sign_in(page, live_server, parent)
    page.goto("/subaccounts/")
    screenshot(page, "subaccounts-empty")

    page.get_by_label("Sub-account name").fill("grid")
    page.get_by_label("Note").fill("BTC grid strategy")
    page.get_by_label("Google Authenticator code").fill(totp.code(parent))
    page.get_by_role("button", name="Create Sub-account").click()
    expect(page.get_by_role("heading", name="owner-grid")).to_be_visible()
    sub = User.objects.get(username="owner-grid")
    usdt(sub, "2500")

    page.get_by_role("link", name="API Management").last.click()
    expect(page.get_by_test_id("owner-banner")).to_contain_text("owner-grid")
    screenshot(page, "subaccounts-api-management")
    page.get_by_role("link", name="Create API").first.click()
    expect(page.get_by_test_id("owner-banner")).to_contain_text("owner-grid")
    page.get_by_label("Alias Name").fill("grid-bot")
    page.get_by_label("Trade").check()
    page.get_by_label("Whitelist IP").fill("203.0.113.7")
    page.get_by_label("Google Authenticator code").fill(totp.code(parent))
    page.get_by_role("button", name="Create API").click()

    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    key = ApiKey.objects.get(user=sub)
    assert page.get_by_test_id("secret").inner_text().strip() == key.secret()
    screenshot(page, "subaccounts-secret")
    page.reload()
    expect(page.get_by_test_id("secret")).to_have_count(0)

    page.goto("/subaccounts/")
    screenshot(page, "subaccounts-list")
    page.get_by_role("link", name="All sub-account API keys").click()
    row = page.get_by_test_id("overview-row").filter(has_text="grid-bot")
    expect(row).to_contain_text("owner-grid")
    screenshot(page, "subaccounts-overview")
    row.get_by_role("link", name="Modify").click()
    page.get_by_label("Whitelist IP").fill("203.0.113.7, 198.51.100.0/24")
    page.get_by_label("Google Authenticator code").fill(totp.code(parent))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("198.51.100.0/24").first).to_be_visible()
    key.refresh_from_db()
    assert key.ip_whitelist == ["198.51.100.0/24", "203.0.113.7/32"]

    page.goto(f"/subaccounts/{sub.subaccount.code}/")
    page.locator("#freeze_code").fill(totp.code(parent))
    page.get_by_role("button", name="Freeze").click()
    expect(page.get_by_text("is frozen")).to_be_visible()
    sub.refresh_from_db()
    assert sub.is_frozen
    screenshot(page, "subaccounts-frozen")


def test_subaccount_list_on_a_phone(phone_page, live_server, parent):
    from subaccounts.services import create_subaccount

    create_subaccount(parent=parent, name="desk", note="Market making")
    sign_in(phone_page, live_server, parent)
    phone_page.goto("/subaccounts/")
    expect(phone_page.get_by_test_id("subaccount-row")).to_have_count(1)
    screenshot(phone_page, "subaccounts-phone")
