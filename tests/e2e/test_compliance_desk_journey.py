"""The compliance desk in Chromium: the officer signs in, opens the SLA dashboard, opens
the oldest overdue application, reads the applicant's profile, adds a note, rejects with
a reason template; the trader sees the reason, not the note; the officer bulk-approves
two others through the confirmation page. Every admin page is looked at 1280 and 390 px
wide, and none scrolls sideways."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews.forms import TEMPLATE_TEXT
from reviews.models import Application
from tests.e2e.test_reviews_journey import compliance_officer, log_in_to_admin
from tests.factories import ApplicationFactory, SubaccountFactory, UserFactory, usdt
from tests.helpers import screenshot, sign_in, with_2fa


def applicant(name, *, due_in, balance, submitted_days_ago, **answers):
    trader = with_2fa(UserFactory(username=name, date_joined=timezone.now() - timedelta(days=200)))
    usdt(trader, balance)
    return ApplicationFactory(
        user=trader,
        due_on=timezone.localdate() + timedelta(days=due_in),
        submitted_at=timezone.now() - timedelta(days=submitted_days_ago),
        balance_usdt=Decimal(balance),
        fast_track=Decimal(balance) >= 50000,
        purpose=answers.get("purpose", "own_bot"),
        monthly_volume="lt_1m",
        server_ips="203.0.113.7/32",
        strategy=answers.get("strategy", "Grid trading on BTC/USDT, 0.5% spacing, hourly."),
    )


def history_of_decisions(officer):
    """Decided applications over the last weeks, so the dashboard has something to draw."""
    now = timezone.now()
    for n in range(14):
        decided_at = now - timedelta(days=3 * n + 1)
        ApplicationFactory(
            user=UserFactory(username=f"past{n}"),
            status="approved" if n % 4 else "rejected",
            submitted_at=decided_at - timedelta(days=2 + n % 5),
            decided_at=decided_at,
            decided_by=officer,
            decision_note="" if n % 4 else "Strategy unclear",
            due_on=timezone.localdate(decided_at) + timedelta(days=(1 if n % 3 else -2)),
            business_days=2 + n % 5,
        )


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


@pytest.fixture
def trader_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_the_officer_decides_from_the_desk(page, trader_page, phone_page, live_server, totp):
    officer = compliance_officer()
    history_of_decisions(officer)
    oldest = applicant(
        "whale-desk", due_in=-4, balance="182400.5", submitted_days_ago=9, purpose="third_party"
    )
    SubaccountFactory(parent=oldest.user, username="whale-bot")
    applicant("mia.trades", due_in=-1, balance="8450", submitted_days_ago=6)
    applicant("quant-lab", due_in=2, balance="61250", submitted_days_ago=1)

    log_in_to_admin(page, officer, totp)

    # The queue: fits 1280 px, overdue first.
    page.goto("/admin/reviews/application/")
    no_sideways_scroll(page)
    # The admin scrolls a wide table inside its box: every column must fit in it.
    scroll_width, box_width = page.evaluate(
        "(() => { const r = document.querySelector('.results');"
        " return [r.scrollWidth, r.clientWidth]; })()"
    )
    assert scroll_width <= box_width, (scroll_width, box_width)
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text("whale-desk")
    screenshot(page, "desk-queue")

    # The dashboard, from the queue.
    page.get_by_role("link", name="SLA dashboard").click()
    figures = page.get_by_test_id("sla-figures")
    expect(figures).to_contain_text("Overdue")
    expect(page.get_by_test_id("overdue-tile")).to_contain_text("2")
    expect(page.get_by_test_id("sla-chart")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, "desk-dashboard")

    # The oldest overdue application, from the dashboard's overdue tile.
    page.get_by_test_id("overdue-tile").click()
    page.locator("#result_list tbody tr").first.get_by_role("link").first.click()
    profile = page.get_by_test_id("applicant-profile")
    expect(profile).to_contain_text("whale-desk")
    expect(profile.get_by_test_id("account-age")).to_contain_text("6\xa0months")
    expect(profile.get_by_test_id("balance-now")).to_contain_text("182,400.50 USDT")
    expect(profile).to_contain_text("whale-bot")
    no_sideways_scroll(page)
    screenshot(page, "desk-application")

    # A note for the desk, never for the trader.
    page.get_by_label("Internal note (never shown to the trader)").fill(
        "Large deposit two days before applying; checked the source, fine."
    )
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".messagelist")).to_contain_text("Note added.")
    expect(page.get_by_test_id("internal-notes")).to_contain_text("checked the source")

    # Reject with a reason template, as picked.
    page.get_by_role("link", name="Reject…").click()
    page.get_by_label("Start from a common reason").select_option(label="Strategy unclear")
    expect(page.get_by_label("Reason (shown to the trader)")).to_have_value(
        TEMPLATE_TEXT["strategy"]
    )
    no_sideways_scroll(page)
    screenshot(page, "desk-reject")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator(".messagelist")).to_contain_text("Rejected 1 application.")

    # History: the note and the decision, with who and when.
    page.goto(f"/admin/reviews/application/{oldest.pk}/history/")
    expect(page.locator("#change-history")).to_contain_text("Internal note")
    expect(page.locator("#change-history")).to_contain_text("Rejected. Reason given")
    screenshot(page, "desk-history")

    # The trader sees the reason, not the note.
    sign_in(trader_page, live_server, oldest.user)
    trader_page.goto("/api-management/")
    panel = trader_page.get_by_test_id("application-panel")
    expect(panel.get_by_test_id("rejection")).to_contain_text(TEMPLATE_TEXT["strategy"][:40])
    expect(trader_page.locator("body")).not_to_contain_text("checked the source")

    # Bulk approve the two others, through the confirmation page.
    page.goto("/admin/reviews/application/?status__exact=pending")
    for name in ("mia.trades", "quant-lab"):
        page.locator("#result_list tbody tr", has_text=name).locator("input.action-select").check()
    page.locator("select[name=action]").select_option("approve_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_test_id("will-approve")).to_contain_text("mia.trades")
    expect(page.get_by_test_id("will-approve")).to_contain_text("quant-lab")
    no_sideways_scroll(page)
    screenshot(page, "desk-approve-confirm")
    page.get_by_role("button", name="Yes, approve 2").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved 2 applications.")
    assert Application.objects.filter(status="approved", decided_by=officer).count() >= 2
    assert set(
        Application.objects.filter(user__username__in=["mia.trades", "quant-lab"]).values_list(
            "status", flat=True
        )
    ) == {"approved"}

    # Freezing, from the profile.
    page.goto(f"/admin/reviews/application/{oldest.pk}/change/")
    page.get_by_role("link", name="Freeze account…").click()
    no_sideways_scroll(page)
    screenshot(page, "desk-freeze")

    # The account's page in Admin → Users links to the same freeze page.
    page.goto(f"/admin/accounts/user/{oldest.user.pk}/change/")
    expect(page.get_by_role("link", name="Freeze…")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, "desk-user")

    # The same pages on a phone.
    sign_in(phone_page, live_server, officer)
    for name, url in [
        ("desk-queue-phone", "/admin/reviews/application/"),
        ("desk-dashboard-phone", "/admin/reviews/application/dashboard/"),
        ("desk-application-phone", f"/admin/reviews/application/{oldest.pk}/change/"),
        ("desk-reject-phone", f"/admin/reviews/application/{oldest.pk}/reject/"),
        ("desk-freeze-phone", f"/admin/reviews/application/account/{oldest.user.pk}/freeze/"),
        ("desk-queue-pending-phone", "/admin/reviews/application/?status__exact=pending"),
        ("desk-user-phone", f"/admin/accounts/user/{oldest.user.pk}/change/"),
    ]:
        phone_page.goto(url)
        screenshot(phone_page, name)
