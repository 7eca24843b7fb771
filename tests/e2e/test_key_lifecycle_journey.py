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


def test_a_signed_leak_report_disables_the_key_and_its_page_says_why(
    page, live_server, trader, totp, settings
):
    import base64
    import json
    import urllib.request

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    scanner = ec.generate_private_key(ec.SECP256R1())
    settings.SECRET_SCANNING_PUBLIC_KEYS = {
        "scanner-1": scanner.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    }
    sign_in(page, live_server, trader)
    api_key, secret = create_key(page, trader, totp, alias="leaky-bot")
    bot = Client(live_server.url, api_key=api_key, secret=secret)
    assert bot.get("/api/v1/key")["alias"] == "leaky-bot"

    found_at = "https://github.com/someone/bot/blob/abc123/config.py"
    body = json.dumps(
        [{"token": secret, "type": "corvex_api_secret", "url": found_at, "source": "content"}]
    ).encode()
    signature = base64.b64encode(scanner.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    request = urllib.request.Request(
        live_server.url + "/api/v1/leaks",
        data=body,
        headers={
            "Content-Type": "application/json",
            "GITHUB-PUBLIC-KEY-IDENTIFIER": "scanner-1",
            "GITHUB-PUBLIC-KEY-SIGNATURE": signature,
        },
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer)[0]["label"] == "true_positive"

    with pytest.raises(ApiError) as refused:
        bot.get("/api/v1/key")
    assert (refused.value.status, refused.value.code) == (401, "key_disabled")
    page.reload()
    expect(page.get_by_test_id("disabled")).to_contain_text("found this key's secret in public")
    expect(page.get_by_test_id("disabled")).to_contain_text(found_at)
    screenshot(page, "key-disabled-after-leak")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "key-disabled-after-leak-390")
