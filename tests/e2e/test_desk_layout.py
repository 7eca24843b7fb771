"""The compliance desk's pages hold their width whatever a trader types: the queue at
1280 px with the admin's sidebar open shows every column, a 150-character username
included; a 2000-character word in a note, a long platform name or strategy never
makes a page scroll sideways, at 1280 px or at 390 px."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from reviews.services import add_note
from tests.factories import ApplicationFactory, UserFactory, usdt
from tests.helpers import screenshot, sign_in, with_2fa

LONG_NAME = "u" * 150
LONG_WORD = "M" * 2000


def officer():
    user = with_2fa(UserFactory(username="compliance", is_staff=True))
    user.groups.add(Group.objects.get(name="Compliance"))
    return user


def applications(officer_user):
    whale = UserFactory(username=LONG_NAME, email=f"{'e' * 60}@{'d' * 60}.example")
    usdt(whale, "12345678.12345678")
    long = ApplicationFactory(
        user=whale,
        balance_usdt=Decimal("182400.5"),
        fast_track=True,
    )
    ApplicationFactory(user=UserFactory(username="mia.trades"), balance_usdt=Decimal("8450"))
    add_note(application=long, author=officer_user, text=LONG_WORD)
    return long


def widths(page, selector):
    return page.evaluate(
        "s => { const e = document.querySelector(s); return [e.clientWidth, e.scrollWidth]; }",
        selector,
    )


def fits(page, name):
    """Nothing on the page scrolls sideways; the screenshot is there to be looked at."""
    screenshot(page, name)
    client_width, scroll_width = widths(page, "html")
    assert scroll_width <= client_width, (name, client_width, scroll_width)


def officer_page(browser, live_server, user, width):
    """A browser ``width`` px wide, signed in as ``user``, the admin's sidebar open."""
    viewport = {"width": width, "height": 900}
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'true')")
    sign_in(page, live_server, user)
    return context, page


@pytest.mark.parametrize("width", [1280, 1366, 390])
def test_the_queue_shows_every_column_with_a_150_character_username(browser, live_server, width):
    user = officer()
    applications(user)
    context, page = officer_page(browser, live_server, user, width)

    page.goto("/admin/reviews/application/")

    if width >= 1280:
        assert page.locator("#nav-sidebar").is_visible()
    fits(page, f"desk-queue-{width}")
    client_width, scroll_width = widths(page, ".results")
    assert scroll_width <= client_width, (client_width, scroll_width)
    # The whole name is one hover away.
    account = page.locator(f'#result_list [title="{LONG_NAME}"]')
    assert account.count() == 1
    for column in ["submitted", "due", "sla_badge", "fast", "balance"]:
        cell = page.locator(f"#result_list td.field-{column}").first
        box = cell.bounding_box()
        assert box and box["x"] + box["width"] <= width, (column, box)
        # Nothing cut inside the cell either (a balance read "0." once).
        inner, whole = cell.evaluate("e => [e.clientWidth, e.scrollWidth]")
        assert whole <= inner, (column, inner, whole)
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_2000_character_word_in_a_note_keeps_the_page_and_history_in_width(
    browser, live_server, width
):
    user = officer()
    application = applications(user)
    context, page = officer_page(browser, live_server, user, width)

    page.goto(f"/admin/reviews/application/{application.pk}/change/")
    fits(page, f"desk-application-long-note-{width}")
    page.goto(f"/admin/reviews/application/{application.pk}/history/")
    fits(page, f"desk-history-long-note-{width}")
    context.close()


def test_the_traders_panel_holds_a_long_platform_and_strategy_at_390(phone_page, live_server):
    trader = with_2fa(UserFactory(username="longwords"))
    ApplicationFactory(
        user=trader,
        purpose="third_party",
        platform="P" * 100,
        monthly_volume="lt_1m",
        server_ips="203.0.113.7/32",
        strategy="S" * 1000,
    )
    sign_in(phone_page, live_server, trader)

    phone_page.goto("/api-management/")

    fits(phone_page, "trader-panel-long-words-390")


def test_the_sla_chart_labels_are_readable_at_390(browser, live_server):
    user = officer()
    applications(user)
    context, page = officer_page(browser, live_server, user, 390)

    page.goto("/admin/reviews/application/dashboard/")

    fits(page, "desk-dashboard-390")
    labels = [
        box
        for box in (label.bounding_box() for label in page.locator(".rv-tick").all())
        if box and box["height"]
    ]
    assert labels and min(box["height"] for box in labels) >= 9, labels
    weeks = sorted(
        (box for box in (w.bounding_box() for w in page.locator(".rv-week").all()) if box),
        key=lambda box: box["x"],
    )
    for left, right in zip(weeks, weeks[1:], strict=False):
        assert left["x"] + left["width"] <= right["x"], (left, right)  # no overlap
    context.close()
