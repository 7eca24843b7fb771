"""submit_application: the balance snapshot, the fast track, the SLA clock, and who may apply."""

import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from reviews.models import Application
from reviews.services import ApplicationRefused, submit_application
from tests.factories import ApplicationFactory, AssetFactory, BalanceFactory, UserFactory, usdt

# A Wednesday with no holiday in the next two weeks.
WEDNESDAY = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


@pytest.fixture
def trader(db):
    return UserFactory()


def test_snapshots_the_balance_in_usdt_at_submission(trader):
    usdt(trader, "1000")
    BalanceFactory(
        user=trader, asset=AssetFactory(symbol="ABC", usdt_price=Decimal("2.5")), amount=4
    )

    application = submit_application(user=trader)

    assert application.balance_usdt == Decimal("1010")
    assert application.status == Application.Status.PENDING


def test_a_later_balance_change_does_not_move_the_snapshot(trader):
    balance = usdt(trader, "1000")
    application = submit_application(user=trader)
    balance.amount = Decimal("90000")
    balance.save()

    application.refresh_from_db()
    assert application.balance_usdt == Decimal("1000")


def test_records_the_threshold_that_applied(trader, settings):
    settings.REVIEW_FAST_TRACK_THRESHOLD_USDT = Decimal("20000")
    application = submit_application(user=trader)
    assert application.threshold_usdt == Decimal("20000")


@pytest.mark.parametrize(
    ("balance", "fast_track", "due"),
    [
        ("49999.99", False, date(2026, 11, 25)),  # 5 business days
        ("50000", True, date(2026, 11, 23)),  # 3 business days: at the threshold counts
        ("50000.01", True, date(2026, 11, 23)),
        ("0", False, date(2026, 11, 25)),
    ],
)
def test_fast_track_at_or_above_the_threshold(trader, balance, fast_track, due):
    usdt(trader, balance)
    application = submit_application(user=trader, now=WEDNESDAY)
    assert application.fast_track is fast_track
    assert application.due_on == due


def test_review_days_and_holidays_are_settings(trader, settings):
    settings.REVIEW_STANDARD_BUSINESS_DAYS = 2
    settings.REVIEW_HOLIDAYS = ["2026-11-19"]
    application = submit_application(user=trader, now=WEDNESDAY)
    assert application.due_on == date(2026, 11, 23)  # Fri 20, (Thu 19 off, weekend) Mon 23


def test_weekend_submission_starts_the_clock_on_monday(trader):
    saturday = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    application = submit_application(user=trader, now=saturday)
    assert application.due_on == date(2026, 11, 30)  # Monday + 5 business days


def test_an_account_with_an_open_application_is_refused(trader):
    submit_application(user=trader)
    with pytest.raises(ApplicationRefused, match="already under review"):
        submit_application(user=trader)
    assert trader.applications.count() == 1


def test_an_approved_account_is_refused(trader):
    ApplicationFactory.approved(user=trader)
    with pytest.raises(ApplicationRefused, match="already approved"):
        submit_application(user=trader)


def test_a_subaccount_never_applies(subaccount):
    with pytest.raises(ApplicationRefused, match="main account"):
        submit_application(user=subaccount)
    assert not Application.objects.exists()


def test_rejected_account_waits_for_the_cooldown(trader, settings):
    settings.REVIEW_REAPPLY_COOLDOWN_DAYS = 7
    decided = WEDNESDAY - timedelta(days=6)
    ApplicationFactory(user=trader, status="rejected", decided_at=decided, decision_note="KYC")

    with pytest.raises(ApplicationRefused, match="apply again from 19 Nov 2026"):
        submit_application(user=trader, now=WEDNESDAY)


def test_rejected_account_may_apply_again_on_the_day_the_cooldown_ends(trader, settings):
    settings.REVIEW_REAPPLY_COOLDOWN_DAYS = 7
    ApplicationFactory(
        user=trader, status="rejected", decided_at=WEDNESDAY - timedelta(days=7), decision_note="x"
    )
    application = submit_application(user=trader, now=WEDNESDAY)
    assert application.is_pending
    assert trader.applications.count() == 2


def test_the_database_refuses_a_second_open_application(trader):
    ApplicationFactory(user=trader)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationFactory(user=trader)


def test_the_database_allows_many_decided_applications(trader):
    ApplicationFactory(user=trader, status="rejected")
    ApplicationFactory(user=trader, status="rejected")
    ApplicationFactory(user=trader)
    assert trader.applications.count() == 3


@pytest.mark.postgres
# Decided before the test starts, so that SQLite runs don't pay for (and empty) a
# transactional database only to skip.
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="race test needs PostgreSQL (real concurrent transactions)",
)
@pytest.mark.django_db(transaction=True)
def test_two_racing_submissions_open_one_application(monkeypatch):
    trader = UserFactory()
    start = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            start.wait(timeout=5)
            submit_application(user=trader)
            outcomes.append("opened")
        except ApplicationRefused:
            outcomes.append("refused")
        finally:
            close_old_connections()

    # Both pass the "no open application" check before either inserts: only the
    # database's conditional unique constraint can stop the second.
    original = Application.objects.create
    lost_on_the_constraint = []

    def slow_create(**kwargs):
        try:
            result = original(**kwargs)
        except IntegrityError:
            lost_on_the_constraint.append(True)
            raise
        time.sleep(0.3)  # hold the transaction open while the other one inserts
        return result

    monkeypatch.setattr(Application.objects, "create", slow_create)
    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(outcomes) == ["opened", "refused"]
    assert lost_on_the_constraint == [True]
    assert Application.objects.filter(user=trader, status="pending").count() == 1
