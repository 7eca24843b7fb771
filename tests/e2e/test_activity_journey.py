"""Devices and activity: two browsers signed in; one signs the other out."""

from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory
from tests.helpers import screenshot, with_2fa


def log_in(shown, user, totp):
    shown.goto("/accounts/login/")
    shown.get_by_label("Username").fill(user.username)
    shown.get_by_label("Password").fill(PASSWORD)
    shown.get_by_role("button", name="Log In").click()
    shown.get_by_label("Authentication code").fill(totp.code(user))
    shown.get_by_role("button", name="Verify").click()
    expect(shown.get_by_role("heading", name="API Management")).to_be_visible()


def test_sign_out_the_other_browser_from_devices_and_activity(page, phone_page, totp):
    user = with_2fa(UserFactory(username="traveller"))
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("traveller")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log In").click()
    log_in(page, user, totp)
    log_in(phone_page, user, totp)

    page.goto("/accounts/security/")
    page.get_by_role("link", name="Review activity").click()
    expect(page.get_by_role("heading", name="Devices and Activity")).to_be_visible()
    expect(page.get_by_text("Wrong password")).to_be_visible()
    expect(page.get_by_text("This session")).to_be_visible()
    screenshot(page, "activity-desktop")
    phone_page.goto("/accounts/security/activity/")
    screenshot(phone_page, "activity-phone")

    page.get_by_role("button", name="Sign out all other sessions").click()
    expect(page.get_by_text("Signed out 1 other session")).to_be_visible()
    phone_page.goto("/accounts/security/")
    expect(phone_page.get_by_role("heading", name="Log In")).to_be_visible()
