"""Passkeys with Chromium's virtual authenticator (the DevTools WebAuthn domain through
Playwright's CDP session): no real device, no network. Add one on the Security page
after confirming with the authenticator's code, sign out, sign in with the password and
then the passkey, remove it with a code; and a staff member signs in to the admin with a
passkey."""

from django.contrib.auth.models import Group
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts.models import SignInEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import screenshot, sign_in, with_2fa


def virtual_authenticator(page):
    """A platform passkey (fingerprint reader) that says yes to every request."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp


def add_passkey(page, live_server, user, totp, *, look=False):
    sign_in(page, live_server, user)
    page.goto("/accounts/security/")
    adding = page.locator(".passkey-add")
    expect(adding.get_by_role("button", name="Add a passkey")).to_have_count(0)
    if look:
        screenshot(page, "security-passkey-code-desktop")
    adding.get_by_label("Authenticator code").fill(totp.code(user))
    adding.get_by_label("Authenticator code").press("Enter")  # the keyboard is enough
    confirmed = "Code confirmed. Choose “Add a passkey” within 5 minutes."
    expect(page.get_by_text(confirmed)).to_be_visible()
    if look:
        screenshot(page, "security-passkey-window-desktop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey is added")).to_be_visible()
    # The window is spent: another passkey takes another code.
    expect(page.locator(".passkey-add").get_by_role("button", name="Confirm code")).to_be_visible()


def password_step(page, user, start="/accounts/login/"):
    page.goto(start)
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("heading", name="Security Verification")).to_be_visible()


def test_add_a_passkey_sign_in_with_it_then_remove_it_with_a_code(
    page, phone_page, live_server, totp, mailoutbox
):
    assert live_server.url.startswith("http://localhost:"), "a passkey needs a domain"
    user = with_2fa(UserFactory(username="keyholder", email="keyholder@example.com"))
    user.anti_phishing_phrase = "blue heron"
    user.save()
    virtual_authenticator(page)

    add_passkey(page, live_server, user, totp, look=True)
    row = page.locator(".passkey-row", has_text="Passkey")
    expect(row).to_contain_text("last used never")
    screenshot(page, "security-passkeys-desktop")
    added = mailoutbox[-1]
    assert added.subject == "A passkey was added to your account"
    assert "blue heron" in added.body

    row.get_by_text("Rename or remove").click()
    row.get_by_label("Passkey name").fill("Work laptop")
    row.get_by_role("button", name="Rename").click()
    expect(page.locator(".passkey-row strong")).to_have_text("Work laptop")

    sign_in(phone_page, live_server, user)
    phone_page.goto("/accounts/security/")
    phone_page.locator(".passkey-add").get_by_label("Authenticator code").fill(totp.code(user))
    phone_page.get_by_role("button", name="Confirm code").click()
    expect(phone_page.get_by_role("button", name="Add a passkey")).to_be_visible()
    phone_page.get_by_text("Rename or remove").click()
    screenshot(phone_page, "security-passkeys-phone")

    page.locator("details.usermenu summary").click()
    page.get_by_role("button", name="Log out").click()
    password_step(page, user)
    screenshot(page, "login-code-with-passkey-desktop")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="API Management")).to_be_visible()
    latest = SignInEvent.objects.filter(user=user).first()
    assert (latest.outcome, latest.factor) == ("ok", "passkey")
    # One row for the sign-in: the password step's "code step not completed" goes.
    unfinished = SignInEvent.objects.filter(user=user, outcome="code_not_completed")
    assert not unfinished.exists()

    page.goto("/accounts/security/")
    row = page.locator(".passkey-row", has_text="Work laptop")
    expect(row).not_to_contain_text("last used never")
    row.get_by_text("Rename or remove").click()
    row.get_by_label("Authenticator code").fill("000000")
    row.get_by_role("button", name="Remove passkey").click()
    expect(page.locator(".field-error")).to_have_text("Invalid or already used code.")
    assert WebAuthnCredential.objects.filter(user=user).exists()
    row = page.locator(".passkey-row", has_text="Work laptop")
    row.get_by_label("Authenticator code").fill(totp.code(user))
    row.get_by_role("button", name="Remove passkey").click()
    expect(page.get_by_text("Work laptop is removed")).to_be_visible()
    expect(page.get_by_text("No passkeys yet.")).to_be_visible()
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert mailoutbox[-1].subject == "A passkey was removed from your account"


def test_staff_sign_in_to_the_admin_with_a_passkey(page, live_server, totp):
    officer = with_2fa(UserFactory(username="compliance", is_staff=True))
    officer.groups.add(Group.objects.get(name="Compliance"))
    virtual_authenticator(page)
    add_passkey(page, live_server, officer, totp)
    page.context.clear_cookies()

    password_step(page, officer, start="/admin/")
    assert page.locator("select").count() == 0, "no device drop-down"
    screenshot(page, "admin-login-passkey-desktop")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("link", name="Applications")).to_be_visible()
