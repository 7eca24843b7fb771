"""Approving and rejecting in the admin: the actions, and the application's own page."""

import pytest

from reviews.models import Application
from tests.factories import ApplicationFactory, UserFactory

CHANGELIST = "/admin/reviews/application/"


def page(application):
    return f"{CHANGELIST}{application.pk}/change/"


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def alice(db):
    return ApplicationFactory(user=UserFactory(username="alice"))


@pytest.fixture
def bob(db):
    return ApplicationFactory(user=UserFactory(username="bob"))


def act(client, action, applications, **extra):
    data = {"action": action, "_selected_action": [a.pk for a in applications], **extra}
    # Decided applications are listed (and so selectable) under "All" only.
    return client.post(f"{CHANGELIST}?status__exact=all", data, follow=True)


def test_approve_action_decides_and_says_how_many(compliance_client, compliance, alice, bob):
    response = act(compliance_client, "approve_selected", [alice, bob], approve="yes")

    assert messages_of(response) == ["Approved 2 applications."]
    for application in (alice, bob):
        application.refresh_from_db()
        assert application.status == Application.Status.APPROVED
        assert application.decided_by == compliance


def test_approve_action_skips_and_names_the_decided_ones(compliance_client, alice):
    done = ApplicationFactory(user=UserFactory(username="carol"), status="rejected")
    response = act(compliance_client, "approve_selected", [alice, done], approve="yes")

    assert messages_of(response) == [
        "Approved 1 application.",
        "Skipped 1 already decided: carol (rejected).",
    ]
    done.refresh_from_db()
    assert done.status == Application.Status.REJECTED


def test_reject_action_first_asks_for_a_reason(compliance_client, alice, bob):
    response = act(compliance_client, "reject_selected", [alice, bob])

    assert response.status_code == 200
    assert response.templates[0].name == "admin/reviews/application/reject.html"
    html = response.content.decode()
    assert "Reason (shown to the trader)" in html
    assert "these 2 applications" in html
    assert Application.objects.filter(status="pending").count() == 2


def test_reject_action_refuses_an_empty_reason(compliance_client, alice):
    response = act(compliance_client, "reject_selected", [alice], reject="Reject", reason="   ")

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_pending


def test_reject_action_with_a_reason_rejects_and_skips_decided(compliance_client, alice):
    done = ApplicationFactory.approved(user=UserFactory(username="dave"))
    response = act(
        compliance_client,
        "reject_selected",
        [alice, done],
        reject="Reject",
        reason="Source of funds unclear",
    )

    assert messages_of(response) == [
        "Rejected 1 application.",
        "Skipped 1 already decided: dave (approved).",
    ]
    alice.refresh_from_db()
    assert alice.status == Application.Status.REJECTED
    assert alice.decision_note == "Source of funds unclear"


def test_the_reject_page_names_those_it_will_skip(compliance_client, alice):
    done = ApplicationFactory.approved(user=UserFactory(username="erin"))
    html = act(compliance_client, "reject_selected", [alice, done]).content.decode()
    assert "Already decided, will be skipped" in html
    assert "erin (approved)" in html


def test_the_application_page_offers_approve_and_reject(compliance_client, alice):
    html = compliance_client.get(page(alice)).content.decode()
    assert f'action="/admin/reviews/application/{alice.pk}/approve/"' in html
    assert f'href="/admin/reviews/application/{alice.pk}/reject/"' in html
    assert 'name="_save"' not in html  # every field is read-only


def test_approve_on_the_application_page(compliance_client, compliance, alice):
    response = compliance_client.post(f"{CHANGELIST}{alice.pk}/approve/", follow=True)

    assert response.redirect_chain[-1][0] == CHANGELIST
    assert messages_of(response) == ["Approved 1 application."]
    alice.refresh_from_db()
    assert alice.status == Application.Status.APPROVED
    assert alice.decided_by == compliance


def test_approve_by_get_is_not_allowed(compliance_client, alice):
    assert compliance_client.get(f"{CHANGELIST}{alice.pk}/approve/").status_code == 405
    alice.refresh_from_db()
    assert alice.is_pending


def test_reject_on_the_application_page_needs_a_reason(compliance_client, alice):
    url = f"{CHANGELIST}{alice.pk}/reject/"
    assert "Reason (shown to the trader)" in compliance_client.get(url).content.decode()

    assert compliance_client.post(url, {"reason": "", "reject": "Reject"}).status_code == 400
    alice.refresh_from_db()
    assert alice.is_pending

    response = compliance_client.post(url, {"reason": "Sanctioned country"}, follow=True)
    assert messages_of(response) == ["Rejected 1 application."]
    alice.refresh_from_db()
    assert alice.status == Application.Status.REJECTED
    assert alice.decision_note == "Sanctioned country"


def test_a_decided_application_page_shows_the_decision_and_no_buttons(compliance_client, alice):
    compliance_client.post(f"{CHANGELIST}{alice.pk}/approve/", follow=True)
    html = compliance_client.get(page(alice)).content.decode()
    assert "Approved by compliance on" in html
    assert "can't be decided again" in html
    assert "/approve/" not in html


def test_approving_twice_on_the_page_is_skipped(compliance_client, alice):
    compliance_client.post(f"{CHANGELIST}{alice.pk}/approve/", follow=True)
    response = compliance_client.post(f"{CHANGELIST}{alice.pk}/approve/", follow=True)
    assert messages_of(response) == ["Skipped 1 already decided: alice (approved)."]


def test_decisions_email_the_trader(
    compliance_client, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        act(compliance_client, "approve_selected", [alice, bob], approve="yes")
    assert sorted(m.to[0] for m in mailoutbox) == [alice.user.email, bob.user.email]


def test_a_user_with_view_only_cannot_decide(client, alice):
    from django.contrib.auth.models import Permission

    from tests.helpers import verified_client, with_2fa

    viewer = with_2fa(UserFactory(is_staff=True))
    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))
    client = verified_client(client, viewer)

    assert client.post(f"{CHANGELIST}{alice.pk}/approve/").status_code == 403
    assert client.get(f"{CHANGELIST}{alice.pk}/reject/").status_code == 403
    assert "/approve/" not in client.get(page(alice)).content.decode()
    alice.refresh_from_db()
    assert alice.is_pending


def test_an_unknown_application_is_404(compliance_client, db):
    assert compliance_client.post(f"{CHANGELIST}999999/approve/").status_code == 404
