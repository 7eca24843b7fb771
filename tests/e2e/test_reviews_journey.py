"""API-trading review in Chromium: the trader applies on the API Management page,
compliance decides in the admin (behind 2FA), the trader sees the outcome."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import Application
from tests.factories import PASSWORD, ApplicationFactory, UserFactory, usdt
from tests.helpers import screenshot, with_2fa


@pytest.fixture
def compliance_page(browser, live_server):
    """A second browser, for the compliance officer, beside the trader's ``page``."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def compliance_officer():
    user = with_2fa(UserFactory(username="compliance", is_staff=True))
    user.groups.add(Group.objects.get(name="Compliance"))
    return user


def log_in(page, user, totp):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log In").click()
    page.get_by_label("Authentication code").fill(totp.code(user))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="API Management")).to_be_visible()


def log_in_to_admin(page, user, totp):
    # The portal's two steps, one form each: the password, then the code.
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Log In")).to_be_visible()
    screenshot(page, f"admin-login-password-{page.viewport_size['width']}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("heading", name="Security Verification")).to_be_visible()
    assert page.locator("select").count() == 0, "no device drop-down"
    screenshot(page, f"admin-login-code-{page.viewport_size['width']}")
    page.get_by_label("Authentication code").fill(totp.code(user))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("link", name="Applications")).to_be_visible()


def answer_the_questions(panel):
    """What the risk team asks before the 2FA code."""
    panel.get_by_label("My own trading bot").check()
    volume = panel.get_by_label("Expected monthly trading volume (USDT)")
    volume.select_option(label="100,000 – 1,000,000")
    panel.get_by_label("Your servers' IP addresses").fill("203.0.113.7")
    panel.get_by_label("Describe your trading strategy").fill(
        "Grid trading on BTC/USDT with 0.5% spacing, rebalanced hourly."
    )


def a_busy_queue():
    """Other applications, so that the queue shows every SLA state."""
    today = timezone.localdate()
    for name, due_in, balance, status in [
        ("whale-desk", -2, "182400.50", "pending"),
        ("mia.trades", 0, "8450", "pending"),
        ("quant-lab", 3, "61250", "pending"),
        ("hodl-harry", -6, "990", "approved"),
    ]:
        trader = UserFactory(username=name)
        usdt(trader, balance)
        ApplicationFactory(
            user=trader,
            status=status,
            due_on=today + timedelta(days=due_in),
            submitted_at=timezone.now() - timedelta(days=5 - due_in),
            balance_usdt=Decimal(balance),
            fast_track=Decimal(balance) >= 50000,
            decided_at=timezone.now() if status != "pending" else None,
        )


def test_without_2fa_the_page_says_so_and_links_to_security(page):
    trader = UserFactory(username="no2fa")
    usdt(trader, "500")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(trader.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log In").click()

    panel = page.get_by_test_id("application-panel")
    expect(panel).to_contain_text("Turn on two-factor authentication first")
    expect(panel.get_by_role("button", name="Submit for Review")).to_have_count(0)
    screenshot(page, "reviews-no-2fa")
    panel.get_by_role("link", name="Go to Security").click()
    expect(page.get_by_role("heading", name="Security")).to_be_visible()


def test_trader_applies_compliance_approves_in_the_admin_and_the_page_unlocks(
    page, compliance_page, totp, mailoutbox
):
    alice = with_2fa(UserFactory(username="alice"))
    usdt(alice, "12345.67")
    officer = compliance_officer()
    a_busy_queue()

    log_in(page, alice, totp)
    panel = page.get_by_test_id("application-panel")
    expect(panel.get_by_test_id("balance-vs-threshold")).to_contain_text(
        "Your balance: 12,345.67 USDT. Above 50,000 USDT, reviews take up to 3 business days"
        " instead of 5."
    )
    screenshot(page, "reviews-can-apply")

    # A wrong code first: the error stands next to the field, nothing is submitted.
    answer_the_questions(panel)
    panel.get_by_label("Google Authenticator code").fill("000000")
    panel.get_by_role("button", name="Submit for Review").click()
    expect(page.locator(".field-error")).to_contain_text("Invalid or already used code")
    screenshot(page, "reviews-apply-wrong-code")
    assert not Application.objects.filter(user=alice).exists()

    page.get_by_label("Google Authenticator code").fill(totp.code(alice))
    page.get_by_role("button", name="Submit for Review").click()
    expect(page.get_by_role("status")).to_contain_text("Application submitted")
    panel = page.get_by_test_id("application-panel")
    expect(panel).to_contain_text("Under review")
    due = Application.objects.get(user=alice).due_on
    expect(panel.get_by_test_id("due-on")).to_contain_text(f"{due.day} {due:%b %Y}")
    expect(panel.get_by_test_id("application-answers")).to_contain_text("Grid trading on BTC/USDT")
    screenshot(page, "reviews-pending")

    log_in_to_admin(compliance_page, officer, totp)
    compliance_page.get_by_role("link", name="Applications").first.click()
    expect(compliance_page.locator("#result_list")).to_contain_text("alice")
    screenshot(compliance_page, "reviews-admin-queue")

    compliance_page.locator("#searchbar").fill("alice")
    compliance_page.locator("#searchbar").press("Enter")
    compliance_page.locator("#result_list").get_by_role("link", name="alice").click()
    expect(compliance_page.get_by_role("heading", name="Decision")).to_be_visible()
    screenshot(compliance_page, "reviews-admin-application")
    compliance_page.get_by_role("button", name="Approve").click()
    expect(compliance_page.locator(".messagelist")).to_contain_text("Approved 1 application.")
    screenshot(compliance_page, "reviews-admin-approved")

    page.reload()
    status = page.get_by_test_id("application-panel")
    expect(status).to_contain_text("API trading approved")
    expect(page.get_by_role("link", name="Create API").first).to_be_visible()
    screenshot(page, "reviews-approved")
    assert [m.subject for m in mailoutbox] == ["Your API trading application is approved"]


def test_compliance_rejects_with_a_reason_and_the_trader_sees_it(
    page, compliance_page, totp, mailoutbox, settings
):
    settings.REVIEW_REAPPLY_COOLDOWN_DAYS = 7
    bob = with_2fa(UserFactory(username="bob"))
    usdt(bob, "64000")
    officer = compliance_officer()

    log_in(page, bob, totp)
    expect(page.get_by_test_id("balance-vs-threshold")).to_contain_text("fast-tracked")
    answer_the_questions(page.get_by_test_id("application-panel"))
    page.get_by_label("Google Authenticator code").fill(totp.code(bob))
    page.get_by_role("button", name="Submit for Review").click()
    expect(page.get_by_test_id("application-panel")).to_contain_text("Fast track")

    log_in_to_admin(compliance_page, officer, totp)
    compliance_page.goto("/admin/reviews/application/?status__exact=pending")
    row = compliance_page.locator("#result_list tbody tr", has_text="bob")
    row.locator("input.action-select").check()
    compliance_page.locator("select[name=action]").select_option("reject_selected")
    compliance_page.get_by_role("button", name="Go").click()

    # An empty reason is refused; the error stands next to the field.
    compliance_page.get_by_role("button", name="Reject").click()
    expect(compliance_page.locator(".errorlist")).to_contain_text("This field is required")
    compliance_page.get_by_label("Reason (shown to the trader)").fill(
        "We could not verify the source of funds for the deposit on 12 Nov. Please upload a"
        " bank statement, then apply again."
    )
    screenshot(compliance_page, "reviews-admin-reject-form")
    compliance_page.get_by_role("button", name="Reject").click()
    expect(compliance_page.locator(".messagelist")).to_contain_text("Rejected 1 application.")

    page.reload()
    panel = page.get_by_test_id("application-panel")
    expect(panel.get_by_test_id("rejection")).to_contain_text("could not verify the source")
    again = timezone.localdate() + timedelta(days=7)
    expect(panel.get_by_test_id("reapply-on")).to_contain_text(f"{again.day} {again:%b %Y}")
    expect(panel.get_by_role("button", name="Submit for Review")).to_have_count(0)
    screenshot(page, "reviews-rejected")
    assert [m.subject for m in mailoutbox] == ["Your API trading application was not approved"]


def test_pending_application_on_a_phone(phone_page, totp):
    carol = with_2fa(UserFactory(username="carol"))
    ApplicationFactory(user=carol, balance_usdt=Decimal("73210.4"), fast_track=True)
    log_in(phone_page, carol, totp)
    expect(phone_page.get_by_test_id("application-panel")).to_contain_text("Under review")
    screenshot(phone_page, "reviews-pending-phone")


def test_the_application_form_on_a_phone(phone_page, totp):
    dana = with_2fa(UserFactory(username="dana"))
    usdt(dana, "900")
    log_in(phone_page, dana, totp)
    panel = phone_page.get_by_test_id("application-panel")
    answer_the_questions(panel)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot(phone_page, "reviews-can-apply-phone")


def test_the_purpose_is_a_named_radio_group_the_error_summary_links_to(page, totp):
    erin = with_2fa(UserFactory(username="erin"))
    log_in(page, erin, totp)
    panel = page.get_by_test_id("application-panel")
    group = panel.get_by_role("group", name="What will you use API trading for?")
    expect(group.get_by_role("radio")).to_have_count(4)

    panel.get_by_label("Google Authenticator code").fill(totp.code(erin))
    panel.get_by_role("button", name="Submit for Review").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    # The summary sits inside the form: the form keeps its column beside the explanation.
    form = panel.locator("form.app-apply")
    expect(form.get_by_test_id("error-summary")).to_have_count(1)
    assert form.bounding_box()["x"] > page.viewport_size["width"] / 2
    link = summary.get_by_role("link", name="What will you use API trading for? Choose one.")
    link.click()
    expect(page.get_by_role("radio", name="My own trading bot")).to_be_focused()
