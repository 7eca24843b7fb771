"""A new trader signs up, turns on 2FA, signs back in with a code, and sees their assets."""

import base64
import re

from django.core import mail
from django_otp.oath import totp as oath_totp
from playwright.sync_api import expect

from accounts.models import User
from tests.factories import usdt
from tests.helpers import screenshot


def code_from_secret(base32_secret: str) -> str:
    padded = base32_secret + "=" * (-len(base32_secret) % 8)
    return str(oath_totp(base64.b32decode(padded))).zfill(6)


def test_signup_enable_2fa_log_out_and_back_in_with_code(page, totp):
    page.goto("/accounts/signup/")
    screenshot(page, "signup")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("E-mail").fill("alice@example.com")
    page.get_by_label("Password", exact=True).fill("a long and unusual pass phrase")
    page.get_by_label("Password confirmation").fill("a long and unusual pass phrase")
    page.get_by_role("button", name="Create Account").click()
    expect(page.get_by_role("heading", name="Check Your E-mail")).to_be_visible()
    screenshot(page, "signup-sent")

    # The e-mail's link (read from the test outbox), then its button.
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/verify-email/\S+/", message.body).group(0)
    page.goto(link)
    screenshot(page, "verify-email")
    page.get_by_role("button", name="Verify my e-mail").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("a long and unusual pass phrase")
    page.get_by_role("button", name="Log In").click()
    page.goto("/accounts/security/")

    expect(page.get_by_role("heading", name="Security")).to_be_visible()
    expect(page.get_by_test_id("email-unverified")).to_have_count(0)
    screenshot(page, "security-2fa-off")
    page.get_by_role("link", name="Enable").click()
    expect(page.locator(".qr svg")).to_be_visible()
    screenshot(page, "setup-2fa")

    # A wrong code first: the error stands next to the field and nothing is enabled.
    page.get_by_label("Google Authenticator code").fill("000000")
    page.get_by_role("button", name="Enable 2FA").click()
    expect(page.locator(".field-error")).to_contain_text("not right")
    screenshot(page, "setup-2fa-wrong-code")

    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.get_by_label("Google Authenticator code").fill(code_from_secret(secret))
    page.get_by_role("button", name="Enable 2FA").click()
    codes = page.get_by_test_id("backup-codes").locator("li")
    expect(codes).to_have_count(10)
    screenshot(page, "backup-codes")
    page.reload()
    expect(page.get_by_test_id("backup-codes")).to_have_count(0)

    alice = User.objects.get(username="alice")
    usdt(alice, "1234.5")
    page.locator("details.usermenu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log In")).to_be_visible()

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("a long and unusual pass phrase")
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("heading", name="Security Verification")).to_be_visible()
    screenshot(page, "login-code")
    # 30 seconds later, as far as the replay guard knows: the setup code's step is spent.
    page.get_by_label("Authentication code").fill(totp.code(alice))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="API Management")).to_be_visible()

    page.get_by_role("link", name="Assets").click()
    expect(page.get_by_test_id("total-usdt")).to_contain_text("1,234.50")
    screenshot(page, "assets")


def test_login_page_on_a_phone(phone_page):
    phone_page.goto("/accounts/login/")
    expect(phone_page.get_by_role("button", name="Log In")).to_be_visible()
    screenshot(phone_page, "login-phone")
