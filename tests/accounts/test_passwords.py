"""Change password (Security) and forgot password (Django's reset flow by e-mail)."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD, SubaccountFactory, UserFactory
from tests.helpers import verified_client

CHANGE = "/accounts/security/password/"
FORGOT = "/accounts/password/reset/"
NEW = "a fresh and unusual pass phrase 42"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def forgot(db, django_capture_on_commit_callbacks):
    """POST "forgot password" as a browser would; e-mails leave on commit, which the
    test's transaction never does, so the callbacks run here."""

    def post(client, email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(FORGOT, {"email": email})

    return post


def change(client, user, totp, **overrides):
    data = {
        "old_password": PASSWORD,
        "new_password1": NEW,
        "new_password2": NEW,
        "code": totp.code(user),
        **overrides,
    }
    return client.post(CHANGE, data)


# --- Change password -------------------------------------------------------


def test_security_page_links_to_change_password(owner_client):
    html = owner_client.get("/accounts/security/").content.decode()
    assert f'href="{CHANGE}"' in html


def test_change_password_with_password_and_code_keeps_this_session(owner_client, owner, totp):
    response = change(owner_client, owner, totp)
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW)
    assert owner_client.get("/accounts/security/").status_code == 200


def test_change_password_signs_out_the_other_sessions(owner_client, owner, totp):
    other = verified_client(Client(), owner)
    assert other.get("/accounts/security/").status_code == 200
    change(owner_client, owner, totp)
    response = other.get("/accounts/security/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "overrides",
    [{"old_password": "wrong"}, {"code": "000000"}],
    ids=["wrong-password", "wrong-code"],
)
def test_change_password_wrong_password_or_code_is_one_message_and_changes_nothing(
    owner_client, owner, totp, overrides
):
    response = change(owner_client, owner, totp, **overrides)
    assert response.status_code == 400
    assert "The current password or the code is not right." in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_change_password_applies_djangos_validators_before_spending_the_code(
    owner_client, owner, totp
):
    code = totp.code(owner)
    response = change(owner_client, owner, totp, new_password1="123", new_password2="123")
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    # The code was not spent on a form that failed anyway.
    assert change(owner_client, owner, totp, code=code).status_code == 302


def test_change_password_without_2fa_asks_no_code(db, client):
    user = UserFactory()
    client.force_login(user)
    assert "code" not in client.get(CHANGE).context["form"].fields
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_change_password_is_throttled_before_the_password_is_checked(
    owner_client, owner, totp, settings
):
    settings.PASSWORD_RECHECK_RATE_PER_USER = "2/m"
    for _ in range(2):
        change(owner_client, owner, totp, old_password="wrong")
    response = change(owner_client, owner, totp)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_change_password_needs_a_signed_in_user(client):
    response = client.get(CHANGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Forgot password -------------------------------------------------------


def test_login_page_offers_forgot_password(client):
    assert f'href="{FORGOT}"' in client.get("/accounts/login/").content.decode()


def test_forgot_password_answers_the_same_for_a_known_and_an_unknown_address(db, forgot):
    UserFactory(email="known@example.com")
    answers = []
    for address in ("known@example.com", "nobody@example.com"):
        client = Client()
        posted = forgot(client, address)
        page = client.get(posted["Location"])
        answers.append((posted.status_code, posted["Location"], CSRF.sub(b"", page.content)))
    assert answers[0] == answers[1]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["known@example.com"]


def test_forgot_password_never_mails_a_subaccount(owner, forgot):
    sub = SubaccountFactory(parent=owner, username="owner-desk9")
    forgot(Client(), sub.email)
    assert mail.outbox == []


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)


def test_reset_link_sets_a_new_password_once_and_signs_nobody_in(owner, forgot):
    client = Client()
    forgot(client, owner.email)
    link = _link(mail.outbox[0])
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW)
    # Not signed in: the user still signs in, with the 2FA step.
    assert "_auth_user_id" not in client.session
    signed = client.post("/accounts/login/", {"username": owner.username, "password": NEW})
    assert signed["Location"].startswith("/accounts/login/code/")
    # The link works once.
    again = Client().get(link, follow=True)
    assert "no longer valid" in again.content.decode()


class TwoHoursAgo(PasswordResetTokenGenerator):
    """A link made two hours ago: the clock, mocked."""

    def _now(self):
        return datetime.now() - timedelta(hours=2)


def test_reset_link_expires_after_an_hour(owner, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    token = TwoHoursAgo().make_token(owner)
    page = Client().get(f"/accounts/password/reset/{uid}/{token}/", follow=True)
    assert "no longer valid" in page.content.decode()


def test_reset_signs_out_every_session_of_the_account(owner, forgot, totp):
    other = verified_client(Client(), owner)
    client = Client()
    forgot(client, owner.email)
    set_url = client.get(_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert other.get("/accounts/security/")["Location"].startswith("/accounts/login/")


def test_forgot_password_is_throttled_per_address(db, forgot, settings):
    settings.PASSWORD_RESET_RATE_PER_EMAIL = "2/h"
    UserFactory(email="victim@example.com")
    for n in range(2):
        assert forgot(Client(REMOTE_ADDR=f"203.0.113.{n}"), "victim@example.com").status_code == 302
    # Another IP, another spelling of the same address: still the same address.
    refused = forgot(Client(REMOTE_ADDR="203.0.113.9"), " VICTIM@example.com")
    assert refused.status_code == 429
    assert len(mail.outbox) == 2


def test_forgot_password_is_throttled_per_ip(db, forgot, settings):
    settings.PASSWORD_RESET_RATE_PER_IP = "2/h"
    client = Client()
    for n in range(2):
        forgot(client, f"someone{n}@example.com")
    refused = forgot(client, "another@example.com")
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()


def test_throttled_forgot_password_answers_the_same_for_a_known_and_an_unknown_address(
    db, settings, forgot
):
    settings.PASSWORD_RESET_RATE_PER_IP = "0/h"
    UserFactory(email="known@example.com")
    pages = [
        CSRF.sub(b"", forgot(Client(), address).content)
        for address in ("known@example.com", "nobody@example.com")
    ]
    assert pages[0] == pages[1]
    assert mail.outbox == []
