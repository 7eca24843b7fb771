"""Forgot password by e-mail, and change password with another browser signed out."""

import re

from django.core import mail
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory
from tests.helpers import screenshot, sign_in, with_2fa

NEW = "a fresh and unusual pass phrase 42"


def test_forgot_password_link_new_password_then_sign_in_with_a_code(page, phone_page, totp):
    user = with_2fa(UserFactory(username="forgetful", email="forgetful@example.com"))
    for name, shown in (("desktop", page), ("phone", phone_page)):
        shown.goto("/accounts/login/")
        shown.get_by_role("link", name="Forgot password?").click()
        expect(shown.get_by_role("heading", name="Forgot Password")).to_be_visible()
        screenshot(shown, f"password-reset-{name}")
    page.get_by_label("E-mail").fill("forgetful@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check Your E-mail")).to_be_visible()
    screenshot(page, "password-reset-sent-desktop")
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a New Password")).to_be_visible()
    screenshot(page, "password-reset-confirm-desktop")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password confirmation").fill(NEW)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Password Changed")).to_be_visible()
    screenshot(page, "password-reset-done-desktop")

    page.get_by_role("link", name="Log In").last.click()
    page.get_by_label("Username").fill("forgetful")
    page.get_by_label("Password").fill(NEW)
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("heading", name="Security Verification")).to_be_visible()
    page.get_by_label("Authentication code").fill(totp.code(user))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="API Management")).to_be_visible()

    phone_page.goto(link)
    expect(phone_page.get_by_text("This link is no longer valid")).to_be_visible()
    screenshot(phone_page, "password-reset-used-link-phone")


def test_change_password_signs_out_the_other_browser(page, phone_page, live_server, totp):
    user = with_2fa(UserFactory(username="changer"))
    sign_in(page, live_server, user)
    sign_in(phone_page, live_server, user)
    phone_page.goto("/accounts/security/")
    screenshot(phone_page, "security-phone")

    page.goto("/accounts/security/")
    page.get_by_role("link", name="Change password").click()
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password confirmation").fill(NEW)
    page.get_by_label("Google Authenticator code").fill(totp.code(user))
    screenshot(page, "change-password-desktop")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()

    phone_page.goto("/accounts/security/")
    expect(phone_page.get_by_role("heading", name="Log In")).to_be_visible()
    phone_page.goto("/accounts/login/")
    sign_in(phone_page, live_server, user)
    phone_page.goto("/accounts/security/password/")
    screenshot(phone_page, "change-password-phone")
    page.goto("/accounts/security/")
    expect(page.get_by_role("heading", name="Security")).to_be_visible()


def test_unverified_account_sees_why_and_can_resend_on_desktop_and_phone(
    page, phone_page, live_server
):
    user = with_2fa(UserFactory(username="unverified", email_verified_at=None))
    for name, shown in (("desktop", page), ("phone", phone_page)):
        sign_in(shown, live_server, user)
        for url, title in (("/api-management/", "keys"), ("/accounts/security/", "security")):
            shown.goto(url)
            expect(shown.get_by_test_id("email-unverified").first).to_be_visible()
            screenshot(shown, f"email-unverified-{title}-{name}")
    page.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_text("We sent a new link")).to_be_visible()
    assert len(mail.outbox) == 1
    phone_page.goto("/accounts/signup/sent/")
    screenshot(phone_page, "signup-sent-phone")
