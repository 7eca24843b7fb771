"""A key made in the portal works with a real HTTP client, and a change made in the
portal holds on the client's very next request."""

import pytest
from playwright.sync_api import expect

from api.client import ApiError, Client
from tests.factories import usdt
from tests.helpers import screenshot, seed_assets, sign_in

ORDER = {"symbol": "BTCUSDT", "side": "buy", "type": "limit", "price": "65000", "quantity": "0.01"}
ADDRESS = "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"


@pytest.fixture(autouse=True)
def migration_data(transactional_db):
    from django.apps import apps

    seed_assets(apps, None)


@pytest.fixture
def trader(trader):
    usdt(trader, "250")
    return trader


def test_portal_key_works_with_the_reference_client_and_changes_hold_at_once(
    page, live_server, trader, totp
):
    sign_in(page, live_server, trader)

    # Create the key in the portal. The live server sees the bot at 127.0.0.1.
    page.goto("/api-management/keys/new/")
    page.get_by_label("Alias Name").fill("api-bot")
    page.get_by_label("Trade").check()
    page.get_by_label("Whitelist IP").fill("127.0.0.1")
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Create API").click()
    api_key = page.get_by_test_id("api-key").inner_text().strip()
    secret = page.get_by_test_id("secret").inner_text().strip()

    bot = Client(live_server.url, api_key=api_key, secret=secret)
    account = bot.get("/api/v1/account")
    assert account["key"] == {"alias": "api-bot", "permissions": ["read", "trade"]}
    assert account["balances"] == [
        {
            "asset": "USDT",
            "amount": "250",
            "usdt_value": "250",
            "precision": 6,
            "min_withdrawal": "1",
        }
    ]
    assert bot.post("/api/v1/orders", ORDER)["order"]["status"] == "open"
    withdrawal = {"asset": "USDT", "amount": "100", "address": ADDRESS}
    with pytest.raises(ApiError) as refused:
        bot.post("/api/v1/withdrawals", withdrawal)
    assert (refused.value.status, refused.value.code) == (403, "permission_denied")

    # Grant Withdraw in the portal: the bot's next request may withdraw.
    page.get_by_role("link", name="I have saved it").click()
    page.get_by_role("link", name="Modify").click()
    page.get_by_label("Withdraw").check()
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("API key “api-bot” modified.")).to_be_visible()
    assert bot.post("/api/v1/withdrawals", withdrawal)["withdrawal"]["amount"] == "100"
    assert bot.get("/api/v1/account")["balances"][0]["amount"] == "150"

    # Move the whitelist elsewhere in the portal: the bot is shut out at once.
    page.get_by_role("link", name="Modify").click()
    page.get_by_label("Withdraw").uncheck()
    page.get_by_label("Whitelist IP").fill("203.0.113.7")
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("API key “api-bot” modified.")).to_be_visible()
    with pytest.raises(ApiError) as refused:
        bot.get("/api/v1/account")
    assert refused.value.code == "ip_not_allowed"

    # The key's page shows its use: the chart, the IP, the refusal; one click (and a
    # code) puts the IP back on the whitelist.
    page.reload()
    usage = page.get_by_test_id("key-usage")
    expect(usage.get_by_test_id("used-ips")).to_contain_text("127.0.0.1")
    expect(usage.get_by_test_id("refusals")).to_contain_text("ip_not_allowed")
    expect(usage.get_by_test_id("usage-chart")).to_be_visible()
    usage.get_by_label("Google Authenticator code").fill(totp.code(trader))
    screenshot(page, "api-key-usage")
    usage.get_by_role("button", name="Add to whitelist").click()
    expect(page.get_by_text("127.0.0.1 is now on the key's whitelist.")).to_be_visible()
    expect(page.get_by_test_id("whitelist")).to_contain_text("127.0.0.1")
    assert bot.get("/api/v1/key")["ip_whitelist"] == ["127.0.0.1/32", "203.0.113.7/32"]
    screenshot(page, "api-key-usage-after-add")


def test_address_management_holds_for_api_withdrawals(page, live_server, trader, totp):
    from tests.factories import ApiKeyFactory

    key = ApiKeyFactory(user=trader, can_withdraw=True, ip_whitelist=["127.0.0.1/32"])
    bot = Client(live_server.url, api_key=key.api_key, secret=key.plain_secret)
    sign_in(page, live_server, trader)

    page.goto("/accounts/security/")
    page.get_by_role("link", name="Manage addresses").click()
    expect(page.get_by_role("heading", name="Address Management")).to_be_visible()
    page.get_by_label("Coin").select_option("USDT")
    page.get_by_label("Address", exact=True).fill(ADDRESS)
    page.get_by_label("Label").fill("cold wallet")
    page.locator("#add_code").fill(totp.code(trader))
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_test_id("address-book")).to_contain_text(ADDRESS)
    page.locator("#switch_code").fill(totp.code(trader))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_test_id("address-management-status")).to_contain_text("On")
    screenshot(page, "api-address-book")

    with pytest.raises(ApiError) as refused:
        bot.post("/api/v1/withdrawals", {"asset": "USDT", "amount": "1", "address": "TElsewhere1"})
    assert refused.value.code == "address_not_whitelisted"
    booked = {"asset": "USDT", "amount": "1", "address": ADDRESS}
    assert bot.post("/api/v1/withdrawals", booked)["withdrawal"]["status"] == "submitted"


def test_key_page_charts_a_days_requests(page, live_server, trader):
    from datetime import timedelta

    from django.utils import timezone

    from apikeys.models import KeyIpAddress, KeyUsageHour
    from tests.factories import ApiKeyFactory

    key = ApiKeyFactory(user=trader, alias="market-maker", can_trade=True,
                        ip_whitelist=["203.0.113.0/24"])  # fmt: skip
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    traffic = [0, 0, 120, 340, 610, 980, 1150, 1200, 870, 400, 90, 0,
               0, 30, 260, 720, 1100, 1190, 960, 510, 220, 80, 40, 12]  # fmt: skip
    KeyUsageHour.objects.bulk_create(
        KeyUsageHour(apikey=key, hour=hour - timedelta(hours=23 - i), requests=count)
        for i, count in enumerate(traffic)
        if count
    )
    for ip, days in (("203.0.113.7", 3), ("198.51.100.44", 1), ("2001:db8::17", 0)):
        KeyIpAddress.objects.create(
            apikey=key, ip=ip, first_seen=timezone.now() - timedelta(days=days + 2),
            last_seen=timezone.now() - timedelta(days=days),
        )  # fmt: skip
    sign_in(page, live_server, trader)
    page.goto(f"/api-management/keys/{key.code}/")
    usage = page.get_by_test_id("key-usage")
    expect(usage.get_by_test_id("requests-24h")).to_have_text(f"{sum(traffic):,}")
    expect(usage.locator("rect.bar")).to_have_count(sum(1 for count in traffic if count))
    expect(usage.get_by_role("button", name="Add to whitelist")).to_have_count(2)
    expect(usage.get_by_test_id("used-ips")).to_contain_text("Whitelisted")
    screenshot(page, "api-key-usage-day")
