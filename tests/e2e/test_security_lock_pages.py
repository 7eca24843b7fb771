"""The security lock as the user sees it: Security and API Management, desktop and phone."""

from playwright.sync_api import expect

from accounts.securitylock import start_security_lock
from tests.factories import UserFactory
from tests.helpers import screenshot, sign_in, with_2fa


def test_security_and_api_management_show_the_lock_and_when_it_lifts(page, phone_page, live_server):
    user = with_2fa(UserFactory(username="locked"))
    until = start_security_lock(user=user)
    for name, shown in (("desktop", page), ("phone", phone_page)):
        sign_in(shown, live_server, user)
        for url, title in (("/accounts/security/", "security"), ("/api-management/", "keys")):
            shown.goto(url)
            notice = shown.get_by_test_id("security-lock")
            expect(notice).to_contain_text(until.strftime("%Y-%m-%d %H:%M"))
            screenshot(shown, f"security-lock-{title}-{name}")
