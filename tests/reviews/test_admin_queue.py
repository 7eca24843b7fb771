"""The review queue: the Application changelist in the admin."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ApplicationFactory, AssetFactory, BalanceFactory, UserFactory, usdt

URL = "/admin/reviews/application/"


def today():
    return timezone.localdate()


def usernames_in_order(response):
    return re.findall(r"<strong[^>]*>(q-[a-z-]+)</strong>", response.content.decode())


def pending(name, *, due_in, **kwargs):
    return ApplicationFactory(
        user=UserFactory(username=name), due_on=today() + timedelta(days=due_in), **kwargs
    )


def test_compliance_staff_see_the_queue(compliance_client):
    pending("q-alice", due_in=2)
    response = compliance_client.get(URL)
    assert response.status_code == 200
    assert "q-alice" in response.content.decode()
    assert "<h1>Choose an application to review</h1>" in response.content.decode()


def test_overdue_first_then_due_today_then_by_due_date_and_decided_last(compliance_client):
    pending("q-later", due_in=4)
    ApplicationFactory.approved(
        user=UserFactory(username="q-decided"), due_on=today() - timedelta(days=9)
    )
    pending("q-soon", due_in=1)
    pending("q-today", due_in=0)
    pending("q-late", due_in=-1)
    pending("q-very-late", due_in=-3)

    response = compliance_client.get(f"{URL}?status__exact=all")

    assert usernames_in_order(response) == [
        "q-very-late",
        "q-late",
        "q-today",
        "q-soon",
        "q-later",
        "q-decided",
    ]


def test_sla_badges_are_coloured_by_state(compliance_client):
    pending("q-late", due_in=-1)
    pending("q-today", due_in=0)
    pending("q-fine", due_in=3)
    html = compliance_client.get(URL).content.decode()
    assert '<span class="rv-badge rv-red">Overdue</span>' in html
    assert '<span class="rv-badge rv-orange">Due today</span>' in html
    assert '<span class="rv-badge rv-green">On track</span>' in html


def test_shows_the_balance_now_in_the_queue_and_at_submission_on_the_page(compliance_client):
    trader = UserFactory(username="q-rich")
    usdt(trader, "1000")
    BalanceFactory(
        user=trader, asset=AssetFactory(symbol="ABC", usdt_price=Decimal("2.5")), amount=4
    )
    ApplicationFactory(user=trader, balance_usdt=Decimal("64000.5"), fast_track=True)

    html = compliance_client.get(URL).content.decode()

    assert "1,010.00" in html
    assert 'alt="Fast track"' in html  # the fast-track icon
    application = trader.applications.get()
    assert "64,000.50" in compliance_client.get(f"{URL}{application.pk}/change/").content.decode()


def test_an_account_without_balances_is_worth_zero_now(compliance_client):
    pending("q-empty", due_in=1, balance_usdt=Decimal("5"))
    assert ">0.00<" in compliance_client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sla=overdue", ["q-late"]),
        ("sla=due_today", ["q-today"]),
        ("sla=on_track", ["q-fine", "q-fast"]),
        ("status__exact=approved", ["q-done"]),
        ("fast_track__exact=1", ["q-fast"]),
    ],
)
def test_filters(compliance_client, query, expected):
    pending("q-late", due_in=-1)
    pending("q-today", due_in=0)
    pending("q-fine", due_in=5)
    pending("q-fast", due_in=6, fast_track=True)
    ApplicationFactory.approved(user=UserFactory(username="q-done"), due_on=today() - timedelta(1))

    response = compliance_client.get(f"{URL}?{query}")

    assert usernames_in_order(response) == expected


def test_the_queue_opens_on_pending_applications_with_a_status_column(compliance_client):
    pending("q-waiting", due_in=2)
    ApplicationFactory.approved(user=UserFactory(username="q-done"), due_on=today())
    html = compliance_client.get(URL).content.decode()
    assert usernames_in_order_of(html) == ["q-waiting"]
    assert "column-status_badge" in html and "Under review" in html
    everything = compliance_client.get(f"{URL}?status__exact=all").content.decode()
    assert usernames_in_order_of(everything) == ["q-waiting", "q-done"]
    assert 'href="?status__exact=all"' in html  # the way to see all of them


def usernames_in_order_of(html):
    return re.findall(r"<strong[^>]*>(q-[a-z-]+)</strong>", html)


@pytest.mark.parametrize("term", ["q-bob", "bob@desk.example"])
def test_search_by_username_or_email(compliance_client, term):
    ApplicationFactory(user=UserFactory(username="q-bob", email="bob@desk.example"))
    pending("q-carol", due_in=1)
    response = compliance_client.get(URL, {"q": term})
    assert usernames_in_order(response) == ["q-bob"]


def test_the_queue_costs_the_same_queries_for_200_applications_as_for_2(
    compliance_client, django_assert_max_num_queries
):
    def queue_queries():
        with CaptureQueriesContext(connection) as queries:
            assert compliance_client.get(URL).status_code == 200
        return len(queries)

    def add(count):
        for _ in range(count):
            trader = UserFactory()
            usdt(trader, "10")
            ApplicationFactory(user=trader)

    add(2)
    few = queue_queries()
    add(198)
    with django_assert_max_num_queries(few):
        response = compliance_client.get(URL)
    assert "200 applications" in response.content.decode()
    assert few <= 12


def test_a_staff_user_outside_the_group_is_refused(client, db):
    from tests.helpers import verified_client, with_2fa

    staff = with_2fa(UserFactory(is_staff=True))
    assert verified_client(client, staff).get(URL).status_code == 403


def test_the_admin_needs_the_2fa_step(client, compliance):
    client.force_login(compliance)  # password only, no OTP in this session
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_there_is_no_add_or_delete(compliance_client, admin_user):
    pending("q-alice", due_in=1)
    html = compliance_client.get(URL).content.decode()
    assert "Add application" not in html
    assert "delete_selected" not in html
    assert compliance_client.get(f"{URL}add/").status_code == 403


def test_the_search_box_has_a_text_label(compliance_client):
    html = compliance_client.get(URL).content.decode()
    label = re.search(r'<label for="searchbar">(.*?)</label>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", label).strip() == "Search applications"
