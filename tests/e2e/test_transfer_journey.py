"""A parent funds a sub-account, the sub-account's bot withdraws part of it through the
signed API, the parent moves the rest back and deletes the empty sub-account."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Balance, Transfer, User
from api.client import Client
from subaccounts.services import create_subaccount
from tests.factories import ApiKeyFactory, usdt
from tests.helpers import screenshot, sign_in

ADDRESS = "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"


@pytest.fixture
def parent(trader):
    usdt(trader, "1000")
    return trader


def held(user) -> Decimal:
    return Balance.objects.get(user=user, asset__symbol="USDT").amount


def transfer(page, *, direction, amount, code):
    form = page.locator("#transfer")
    form.get_by_label(direction).check()
    form.get_by_label("Coin").select_option("USDT")
    form.get_by_label("Amount").fill(amount)
    form.get_by_label("Google Authenticator code").fill(code)
    form.get_by_role("button", name="Transfer").click()


def test_fund_a_subaccount_its_bot_withdraws_the_rest_comes_back_and_it_is_deleted(
    page, phone_page, live_server, parent, totp
):
    sub = create_subaccount(parent=parent, name="bot")
    key = ApiKeyFactory(user=sub, can_withdraw=True, ip_whitelist=["127.0.0.1/32"])
    sign_in(page, live_server, parent)
    page.goto(f"/subaccounts/{sub.subaccount.code}/")

    transfer(page, direction="From owner to owner-bot", amount="300", code=totp.code(parent))
    expect(page.get_by_text("Transferred 300 USDT from owner to owner-bot.")).to_be_visible()
    expect(page.get_by_test_id("sub-balance")).to_have_text("300 USDT")
    screenshot(page, "transfer-funded")
    assert (held(parent), held(sub)) == (Decimal("700"), Decimal("300"))

    bot = Client(live_server.url, api_key=key.api_key, secret=key.plain_secret)
    withdrawal = {"asset": "USDT", "amount": "120.5", "address": ADDRESS}
    assert bot.post("/api/v1/withdrawals", withdrawal)["withdrawal"]["amount"] == "120.5"
    rest = bot.get("/api/v1/account")["balances"][0]["amount"]
    assert rest == "179.5"

    page.reload()
    transfer(page, direction="From owner-bot back to owner", amount=rest, code=totp.code(parent))
    expect(page.get_by_text("Transferred 179.5 USDT from owner-bot to owner.")).to_be_visible()
    expect(page.get_by_test_id("transfer-row")).to_have_count(2)
    screenshot(page, "transfer-back")
    assert (held(parent), held(sub)) == (Decimal("879.5"), Decimal("0"))

    sign_in(phone_page, live_server, parent)
    phone_page.goto(f"/subaccounts/{sub.subaccount.code}/")
    screenshot(phone_page, "transfer-phone")

    # Empty, but it still has a key: delete the key, then the sub-account.
    page.get_by_role("link", name="Manage this sub-account's keys").click()
    page.get_by_role("link", name=key.alias).first.click()
    page.get_by_role("link", name="Delete").click()
    page.get_by_label("Google Authenticator code").fill(totp.code(parent))
    page.get_by_role("button", name="Delete").click()
    page.goto(f"/subaccounts/{sub.subaccount.code}/")
    page.locator("#delete_code").fill(totp.code(parent))
    page.get_by_role("button", name="Delete sub-account").click()
    expect(page.get_by_text("Sub-account owner-bot deleted.")).to_be_visible()
    assert not User.objects.get(pk=sub.pk).is_active

    page.goto("/assets/")
    expect(page.get_by_test_id("transfer-row")).to_have_count(2)
    expect(page.get_by_test_id("total-usdt")).to_contain_text("879.50")
    screenshot(page, "transfer-assets")
    assert Transfer.objects.filter(created_by=parent).count() == 2
