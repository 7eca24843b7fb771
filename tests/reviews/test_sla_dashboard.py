"""The SLA dashboard: its figures, counted by the database in a fixed number of queries."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from reviews.desk import CHART_WEEKS, sla_figures
from reviews.models import Application
from tests.factories import ApplicationFactory, UserFactory
from tests.helpers import verified_client, with_2fa

DASHBOARD = "/admin/reviews/application/dashboard/"
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()


def decided(*, days_ago: int, business_days: int, late: bool, user=None):
    decided_at = NOW - timedelta(days=days_ago)
    due = decided_at.date() + timedelta(days=-1 if late else 1)
    return ApplicationFactory(
        user=user or UserFactory(),
        status="approved",
        submitted_at=decided_at - timedelta(days=business_days),
        decided_at=decided_at,
        due_on=due,
        business_days=business_days,
    )


def test_figures_count_pending_due_overdue_and_decided(db):
    ApplicationFactory(due_on=TODAY)
    ApplicationFactory(due_on=TODAY - timedelta(days=1))
    ApplicationFactory(due_on=TODAY - timedelta(days=3))
    ApplicationFactory(due_on=TODAY + timedelta(days=2))
    for n, days in enumerate([1, 2, 3, 4, 9]):
        decided(days_ago=n + 1, business_days=days, late=days > 5)
    decided(days_ago=45, business_days=20, late=True)  # outside the 30 days

    figures = sla_figures(today=TODAY, now=NOW)

    assert (figures["pending"], figures["due_today"], figures["overdue"]) == (4, 1, 2)
    assert figures["decided"] == 5
    assert figures["median_days"] == 3
    assert figures["p90_days"] == 9
    assert figures["on_time"] == 4
    assert figures["on_time_share"] == pytest.approx(0.8)


def test_decisions_per_week_for_twelve_weeks_split_by_the_sla(db):
    decided(days_ago=0, business_days=1, late=False)  # this week (Mon 16 Nov)
    decided(days_ago=1, business_days=1, late=True)
    decided(days_ago=7, business_days=1, late=False)  # last week
    decided(days_ago=7 * CHART_WEEKS + 3, business_days=1, late=False)  # too old

    weeks = sla_figures(today=TODAY, now=NOW)["weeks"]

    assert len(weeks) == CHART_WEEKS
    assert weeks[-1]["monday"] == date(2026, 11, 16)
    assert (weeks[-1]["total"], weeks[-1]["on_time"], weeks[-1]["late"]) == (2, 1, 1)
    assert (weeks[-2]["total"], weeks[-2]["on_time"]) == (1, 1)
    assert sum(week["total"] for week in weeks) == 3


def test_no_decisions_yet_shows_dashes_not_errors(db):
    figures = sla_figures(today=TODAY, now=NOW)
    assert figures["median_days"] is None and figures["on_time_share"] is None


def many_applications(count: int) -> None:
    """``count`` applications, bulk-created: a hundredth pending (one per account), the
    rest decided over the last 100 days."""
    pending = max(count // 100, 4)
    users = User.objects.bulk_create(
        User(username=f"bulk{n}", email=f"bulk{n}@example.com", password="!")
        for n in range(pending)
    )
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        submitted = now - timedelta(days=n % 100, hours=n % 7)
        is_pending = n < pending
        rows.append(
            Application(
                user=users[n % pending],
                status="pending" if is_pending else ("approved" if n % 3 else "rejected"),
                submitted_at=submitted,
                due_on=submitted.date() + timedelta(days=(n % 9) - 2),
                balance_usdt=Decimal(n),
                threshold_usdt=Decimal("50000"),
                fast_track=n % 5 == 0,
                decided_at=None if is_pending else submitted + timedelta(days=n % 8),
                business_days=None if is_pending else n % 8,
                decision_note="" if is_pending else "x",
            )
        )
    Application.objects.bulk_create(rows, batch_size=2000)
    assert Application.objects.count() == count


@pytest.mark.parametrize("count", [10, 10_000])
def test_the_figures_take_four_queries_whatever_the_number(db, count, django_assert_num_queries):
    many_applications(count)
    with django_assert_num_queries(4):
        figures = sla_figures()
    assert figures["pending"] == max(count // 100, 4)
    assert figures["decided"] > 0


@pytest.mark.parametrize("count", [10, 10_000])
def test_the_dashboard_page_queries_are_constant(
    compliance_client, count, django_assert_num_queries
):
    many_applications(count)
    compliance_client.get(DASHBOARD)  # warm the session and content-type caches
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = compliance_client.get(DASHBOARD)
    assert response.status_code == 200
    assert 'data-testid="sla-chart"' in response.content.decode()


# The figures' four, plus the admin's session, user, OTP device and permission checks.
DASHBOARD_QUERIES = 10


def test_the_dashboard_shows_the_figures_and_a_server_drawn_chart(compliance_client):
    ApplicationFactory(due_on=TODAY - timedelta(days=400))
    html = compliance_client.get(DASHBOARD).content.decode()
    assert 'data-testid="overdue-tile"' in html
    assert "<svg" in html and "<rect" in html
    assert "<script" not in html.split('id="content-main"')[1].split("</svg>")[0]


def test_the_dashboard_is_for_compliance_and_superusers_only(db):
    staff = with_2fa(UserFactory(username="ops", is_staff=True))
    assert verified_client(Client(), staff).get(DASHBOARD).status_code == 403
    root = with_2fa(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert verified_client(Client(), root).get(DASHBOARD).status_code == 200


def test_the_queue_links_to_the_dashboard_and_the_csv_export(compliance_client):
    html = compliance_client.get("/admin/reviews/application/?sla=overdue").content.decode()
    assert DASHBOARD in html
    assert "export.csv?sla=overdue" in html


def test_sla_report_prints_the_same_figures(db, capsys):
    ApplicationFactory(due_on=TODAY + timedelta(days=3))
    decided(days_ago=1, business_days=2, late=False)
    call_command("sla_report")
    out = capsys.readouterr().out
    figures = sla_figures()
    assert f"  Pending: {figures['pending']}" in out
    assert f"Decided in the last 30 days: {figures['decided']}" in out
    assert f"Median business days to decision: {figures['median_days']}" in out
    assert "Decided within the SLA: 100%" in out
