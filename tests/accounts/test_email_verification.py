"""E-mail verification: a link at sign-up; unverified accounts see their pages but may
not apply for API trading or create keys, and can ask for the link again."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.emailverify import email_verified, verification_link_path
from reviews.models import Application
from tests.factories import SubaccountFactory, UserFactory
from tests.helpers import verified_client, with_2fa

RESEND = "/accounts/security/verify-email/resend/"


@pytest.fixture
def unverified(db):
    return with_2fa(UserFactory(username="fresh", email_verified_at=None))


@pytest.fixture
def unverified_client(unverified):
    return verified_client(Client(), unverified)


def test_the_link_verifies_the_address_on_a_post(unverified):
    path = verification_link_path(unverified)
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert not email_verified(unverified), "a GET (a mail scanner's) changes nothing"
    response = client.post(path)
    assert response.status_code == 302
    unverified.refresh_from_db()
    assert email_verified(unverified)


def test_a_link_for_an_address_since_changed_or_tampered_is_refused(unverified):
    path = verification_link_path(unverified)
    unverified.email = "other@example.com"
    unverified.save()
    assert "no longer valid" in Client().post(path).content.decode()
    assert Client().post(path[:-3] + "xx/").status_code == 400
    unverified.refresh_from_db()
    assert not email_verified(unverified)


def test_the_link_expires(unverified, settings, monkeypatch):
    path = verification_link_path(unverified)
    settings.EMAIL_VERIFICATION_MAX_AGE = -1
    assert "no longer valid" in Client().post(path).content.decode()


def test_an_unverified_account_may_sign_in_and_see_its_pages(unverified_client):
    for url in ("/accounts/security/", "/api-management/", "/assets/"):
        assert unverified_client.get(url).status_code == 200


def test_an_unverified_account_may_not_apply_and_is_told_why(unverified_client, unverified, totp):
    page = unverified_client.get("/api-management/").content.decode()
    assert "Verify your e-mail address" in page
    assert f'action="{RESEND}"' in page
    response = unverified_client.post(
        reverse("reviews:apply"), {"code": totp.code(unverified)}, follow=True
    )
    assert not Application.objects.exists()
    assert "Verify your e-mail address first" in response.content.decode()


def test_an_unverified_account_may_not_create_keys(unverified_client, unverified):
    from tests.factories import ApplicationFactory

    ApplicationFactory.approved(user=unverified)
    response = unverified_client.get(reverse("apikeys:new"))
    assert response.status_code == 302
    page = unverified_client.get("/api-management/").content.decode()
    assert "Verify your e-mail address" in page


def test_a_subaccount_follows_its_parents_verification(db):
    parent = UserFactory(email_verified_at=None)
    sub = SubaccountFactory(parent=parent, username=f"{parent.username}-x")
    assert not email_verified(sub)
    parent.email_verified_at = timezone.now()
    parent.save()
    sub.refresh_from_db()
    assert email_verified(sub)


def test_resend_mails_a_fresh_link_and_is_throttled(
    unverified_client, unverified, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_VERIFICATION_RESEND_RATE = "2/h"
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = unverified_client.post(RESEND)
    assert response.status_code == 429
    assert len(mail.outbox) == 2
    link = re.search(r"https?://[^/\s]+(/accounts/verify-email/\S+/)", mail.outbox[0].body)
    Client().post(link.group(1))
    unverified.refresh_from_db()
    assert email_verified(unverified)


def test_resend_for_a_verified_account_sends_nothing(
    owner_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(RESEND)
    assert mail.outbox == []


def test_a_subaccounts_key_page_asks_to_verify_the_parents_address(unverified_client, unverified):
    sub = SubaccountFactory(parent=unverified, username="fresh-bot")
    page = unverified_client.get(f"/subaccounts/{sub.subaccount.code}/api-management/")
    html = page.content.decode()
    assert "Verify your e-mail address" in html
    assert "subaccount.invalid" not in html  # sub-accounts have no address to verify
    assert unverified.email in html
