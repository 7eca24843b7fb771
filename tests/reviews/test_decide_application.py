"""decide_application(s): the record of a decision, no second decision, and the e-mail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.models import Application
from reviews.services import AlreadyDecided, decide_application, decide_applications
from tests.factories import ApplicationFactory, UserFactory


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", is_staff=True)


@pytest.fixture
def application(db):
    return ApplicationFactory(user=UserFactory(username="alice", email="alice@example.com"))


def test_approval_records_who_when_and_the_note(application, reviewer):
    before = timezone.now()
    decide_application(application=application, approve=True, decided_by=reviewer, note=" ok ")

    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.decided_by == reviewer
    assert before <= application.decided_at <= timezone.now()
    assert application.decision_note == "ok"


def test_rejection_records_the_reason(application, reviewer):
    decide_application(
        application=application, approve=False, decided_by=reviewer, note="Proof of address"
    )
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert application.decision_note == "Proof of address"


def test_rejection_without_a_reason_is_refused(application, reviewer):
    with pytest.raises(ValueError, match="reason"):
        decide_application(application=application, approve=False, decided_by=reviewer, note="  ")
    application.refresh_from_db()
    assert application.is_pending


def test_a_decided_application_cannot_be_decided_again(application, reviewer):
    decide_application(application=application, approve=False, decided_by=reviewer, note="No")
    other = UserFactory(is_staff=True)

    with pytest.raises(AlreadyDecided):
        decide_application(application=application, approve=True, decided_by=other)

    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert application.decided_by == reviewer


def test_a_stale_copy_cannot_overwrite_a_decision(application, reviewer):
    stale = Application.objects.get(pk=application.pk)
    decide_application(application=application, approve=True, decided_by=reviewer)

    with pytest.raises(AlreadyDecided):
        decide_application(application=stale, approve=False, decided_by=reviewer, note="late")
    assert Application.objects.get(pk=application.pk).status == Application.Status.APPROVED


def test_bulk_decision_skips_and_returns_the_decided_ones(reviewer):
    pending = ApplicationFactory.create_batch(2)
    decided = ApplicationFactory.approved()

    result = decide_applications(
        applications=[*pending, decided], approve=False, decided_by=reviewer, note="Incomplete"
    )

    assert result.decided == pending
    assert result.skipped == [decided]
    assert Application.objects.filter(status="rejected").count() == 2


def test_the_trader_is_emailed_the_approval_after_commit(
    application, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        decide_application(application=application, approve=True, decided_by=reviewer)
        assert mailoutbox == []  # nothing leaves before the decision is committed

    assert len(callbacks) == 1
    [mail] = mailoutbox
    assert mail.to == ["alice@example.com"]
    assert mail.subject == "Your API trading application is approved"
    assert "create API keys" in mail.body


def test_the_trader_is_emailed_the_reason_and_reapply_date(
    application, reviewer, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.REVIEW_REAPPLY_COOLDOWN_DAYS = 7
    with django_capture_on_commit_callbacks(execute=True):
        decide_application(
            application=application, approve=False, decided_by=reviewer, note="Blurry ID photo"
        )

    [mail] = mailoutbox
    assert mail.subject == "Your API trading application was not approved"
    assert "Blurry ID photo" in mail.body
    again = timezone.localdate() + timedelta(days=7)
    assert f"{again:%-d %b %Y}" in mail.body


def test_no_email_when_the_decision_is_refused(
    application, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    decide_application(application=application, approve=True, decided_by=reviewer)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyDecided):
        decide_application(application=application, approve=True, decided_by=reviewer)
    assert mailoutbox == []


def test_a_note_with_markup_is_sent_as_plain_text(
    application, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide_application(
            application=application, approve=False, decided_by=reviewer, note="Balance < 10 & no ID"
        )
    assert "Balance < 10 & no ID" in mailoutbox[0].body


def test_deciding_records_the_business_days_it_took(db, monkeypatch):
    from datetime import UTC, datetime

    officer = UserFactory(username="officer-bd")
    application = ApplicationFactory(submitted_at=datetime(2026, 11, 13, 9, 0, tzinfo=UTC))  # Fri
    thursday = datetime(2026, 11, 19, 15, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: thursday)
    decide_application(application=application, approve=True, decided_by=officer)
    application.refresh_from_db()
    assert application.business_days == 4  # Mon, Tue, Wed, Thu


@pytest.mark.parametrize("approve", [True, False])
def test_the_decision_email_carries_the_anti_phishing_phrase(
    application, reviewer, mailoutbox, django_capture_on_commit_callbacks, approve
):
    application.user.anti_phishing_phrase = "purple otter 42"
    application.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        decide_application(application=application, approve=approve, decided_by=reviewer, note="n")
    [mail] = mailoutbox
    assert mail.body.startswith("Anti-phishing phrase: purple otter 42\n")


@pytest.mark.parametrize("frozen", [True, False])
def test_the_freeze_email_carries_the_anti_phishing_phrase(
    compliance, mailoutbox, django_capture_on_commit_callbacks, frozen
):
    from reviews.services import set_frozen

    account = UserFactory(username="bob", anti_phishing_phrase="purple otter 42")
    with django_capture_on_commit_callbacks(execute=True):
        set_frozen(account=account, frozen=frozen, officer=compliance, reason="KYC check")
    [mail] = mailoutbox
    assert mail.body.startswith("Anti-phishing phrase: purple otter 42\n")
