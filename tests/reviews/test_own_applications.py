"""Nobody decides an application of their own account, their parent's or their
sub-accounts': refused in the service (one rule), and in the admin with a message."""

import pytest

from reviews.models import Application
from reviews.services import (
    OwnApplication,
    decide_application,
    decide_applications,
    own_application_refusal,
)
from tests.factories import ApplicationFactory, SubaccountFactory, UserFactory

from .test_admin_decisions import CHANGELIST, act, messages_of, page


def related_account(reviewer, relation):
    if relation == "own":
        return reviewer
    if relation == "parent":
        parent = UserFactory(username="theparent")
        reviewer.parent = parent
        reviewer.save()
        return parent
    return SubaccountFactory(parent=reviewer, username=f"{reviewer.username}-desk")


@pytest.mark.parametrize("relation", ["own", "parent", "subaccount"])
def test_the_service_refuses_a_decision_on_a_related_account(db, relation):
    reviewer = UserFactory(username="officer", is_staff=True)
    application = ApplicationFactory(user=related_account(reviewer, relation))
    assert own_application_refusal(reviewer=reviewer, application=application)
    for approve in (True, False):
        with pytest.raises(OwnApplication):
            decide_application(
                application=application, approve=approve, decided_by=reviewer, note="x"
            )
    application.refresh_from_db()
    assert application.status == Application.Status.PENDING


def test_the_rule_lets_an_unrelated_officer_decide(db):
    reviewer = UserFactory(username="officer", is_staff=True)
    application = ApplicationFactory(user=UserFactory())
    assert own_application_refusal(reviewer=reviewer, application=application) is None


def test_a_bulk_decision_skips_the_own_and_decides_the_rest(db):
    reviewer = UserFactory(username="officer", is_staff=True)
    own = ApplicationFactory(user=reviewer)
    other = ApplicationFactory(user=UserFactory())
    result = decide_applications(applications=[own, other], approve=True, decided_by=reviewer)
    assert result.decided == [other] and result.refused == [own]
    own.refresh_from_db()
    assert own.status == Application.Status.PENDING


def test_the_admin_page_of_an_own_application_offers_no_decision(compliance_client, compliance):
    own = ApplicationFactory(user=compliance)
    html = compliance_client.get(page(own)).content.decode()
    assert "/approve/" not in html and "/reject/" not in html
    assert "your own account" in html


def test_approving_an_own_application_in_the_admin_is_refused_with_a_message(
    compliance_client, compliance
):
    own = ApplicationFactory(user=compliance)
    response = compliance_client.post(f"{CHANGELIST}{own.pk}/approve/", follow=True)
    assert messages_of(response) == [
        "Not decided: compliance (your own account or one related to it). "
        "Another officer must decide it."
    ]
    own.refresh_from_db()
    assert own.status == Application.Status.PENDING


def test_rejecting_an_own_application_in_the_admin_is_refused(compliance_client, compliance):
    own = ApplicationFactory(user=compliance)
    url = f"{CHANGELIST}{own.pk}/reject/"
    response = compliance_client.post(url, {"reason": "self", "reject": "Reject"}, follow=True)
    assert "Another officer must decide it." in " ".join(messages_of(response))
    own.refresh_from_db()
    assert own.status == Application.Status.PENDING


def test_a_bulk_action_in_the_admin_decides_the_others_and_names_the_own(
    compliance_client, compliance
):
    sub = SubaccountFactory(parent=compliance, username="compliance-desk")
    own = ApplicationFactory(user=sub)
    other = ApplicationFactory(user=UserFactory(username="zed"))
    response = act(compliance_client, "approve_selected", [own, other], approve="yes")
    assert messages_of(response) == [
        "Approved 1 application.",
        "Not decided: compliance-desk (your own account or one related to it). "
        "Another officer must decide it.",
    ]
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.status, other.status) == ("pending", "approved")
