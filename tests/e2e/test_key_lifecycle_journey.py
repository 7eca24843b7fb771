"""A key's life in the browser: roll its secret with a grace period while the bot keeps
working, "End now", and (leak reports) a signed report disables the key."""

import pytest
from playwright.sync_api import expect

from api.client import ApiError, Client
from tests.helpers import screenshot, seed_assets, sign_in


@pytest.fixture(autouse=True)
def migration_data(transactional_db):
    from django.apps import apps

    seed_assets(apps, None)


def create_key(page, trader, totp, alias="roll-bot"):
    page.goto("/api-management/keys/new/")
    page.get_by_label("Alias Name").fill(alias)
    page.get_by_label("Whitelist IP").fill("127.0.0.1")
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Create API").click()
    api_key = page.get_by_test_id("api-key").inner_text().strip()
    secret = page.get_by_test_id("secret").inner_text().strip()
    page.get_by_role("link", name="I have saved it").click()
    return api_key, secret


def test_roll_with_a_one_hour_grace_both_secrets_work_until_end_now(
    page, live_server, trader, totp
):
    sign_in(page, live_server, trader)
    api_key, old_secret = create_key(page, trader, totp)
    old_bot = Client(live_server.url, api_key=api_key, secret=old_secret)
    assert old_bot.get("/api/v1/key")["alias"] == "roll-bot"

    page.get_by_role("link", name="Roll secret").click()
    page.get_by_label("1 hour").check()
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    screenshot(page, "roll-secret-form")
    page.get_by_role("button", name="Roll secret").click()
    expect(page.get_by_role("heading", name="New secret")).to_be_visible()
    assert page.get_by_test_id("api-key").inner_text().strip() == api_key
    new_secret = page.get_by_test_id("secret").inner_text().strip()
    assert new_secret != old_secret

    new_bot = Client(live_server.url, api_key=api_key, secret=new_secret)
    assert new_bot.get("/api/v1/key")["alias"] == "roll-bot"
    assert old_bot.get("/api/v1/key")["alias"] == "roll-bot"

    page.get_by_role("link", name="I have saved it").click()
    expect(page.get_by_test_id("grace")).to_contain_text("old secret is valid until")
    screenshot(page, "roll-secret-grace")
    page.get_by_role("button", name="End now").click()
    expect(page.get_by_text("The old secret no longer works.")).to_be_visible()
    with pytest.raises(ApiError) as refused:
        old_bot.get("/api/v1/key")
    assert (refused.value.status, refused.value.code) == (401, "invalid_signature")
    assert new_bot.get("/api/v1/key")["alias"] == "roll-bot"
