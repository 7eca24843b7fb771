"""Every e-mail an account receives carries its anti-phishing phrase: one place adds it
(``accounts.mail.send_to_account``), so no e-mail can forget it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts import emailverify
from accounts.notices import send_notice
from apikeys import services as key_services
from reviews import services as review_services
from tests.factories import ApiKeyFactory, ApplicationFactory, UserFactory

PHRASE = "purple otter 42"
ROOT = Path(settings.BASE_DIR)
KEY_TEMPLATES = sorted(p.name for p in (ROOT / "templates/apikeys/email").glob("*.txt"))


@pytest.fixture
def user(db):
    return UserFactory(anti_phishing_phrase=PHRASE)


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    def run(call):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            call()
        assert mail.outbox, "nothing was sent"
        return list(mail.outbox)

    return run


def _request():
    return RequestFactory().get("/")


def _assert_phrase(messages, user):
    for message in messages:
        assert message.to == [user.email]
        assert f"Anti-phishing phrase: {PHRASE}" in message.body, message.subject


def test_someone_tried_to_sign_up_with_your_address(user, mails):
    form = {
        "username": "copycat",
        "email": user.email,
        "password1": "a long and unusual pass phrase",
        "password2": "a long and unusual pass phrase",
    }
    _assert_phrase(mails(lambda: Client().post("/accounts/signup/", form)), user)


def test_the_verification_link(user, mails):
    _assert_phrase(mails(lambda: emailverify.send_verification(_request(), user)), user)


def test_the_password_reset_link(user, mails):
    post = lambda: Client().post("/accounts/password/reset/", {"email": user.email})  # noqa: E731
    _assert_phrase(mails(post), user)


def test_a_security_notice(user, mails):
    _assert_phrase(mails(lambda: send_notice(user=user, subject="x", lines=["y"])), user)


@pytest.mark.parametrize("template", KEY_TEMPLATES)
def test_every_key_email(user, mails, template):
    apikey = ApiKeyFactory(user=user)
    ctx = {
        "apikey": apikey,
        "apikeys": [apikey],
        "changes": {"alias": {"before": "a", "after": "b"}},
        "within": "7 days",
        "link": "https://example.com/",
        "url": "https://example.com/leak",
        "source": "scanner",
        "ip": "192.0.2.1",
        "now": timezone.now(),
    }
    send = lambda: key_services._notify(user, user, f"apikeys/email/{template}", **ctx)  # noqa: E731
    _assert_phrase(mails(send), user)


@pytest.mark.parametrize("approve", [True, False])
def test_the_review_decision(user, mails, approve):
    application = ApplicationFactory(user=user)
    officer = UserFactory(is_staff=True, is_superuser=True)
    decide = lambda: review_services.decide_application(  # noqa: E731
        application=application, approve=approve, decided_by=officer, note="because"
    )
    _assert_phrase(mails(decide), user)


def test_a_freeze(user, mails):
    officer = UserFactory(is_staff=True, is_superuser=True)
    freeze = lambda: review_services.set_frozen(  # noqa: E731
        account=user, frozen=True, officer=officer, reason="checks"
    )
    _assert_phrase(mails(freeze), user)


SENDS = re.compile(
    r"(?<!def )\b(send_mail|send_mass_mail|email_user|EmailMessage|EmailMultiAlternatives)\("
)


def test_no_code_but_the_one_place_builds_an_email():
    # A new e-mail that built its own message would carry no phrase: every e-mail to an
    # account goes through accounts.mail.send_to_account.
    apps = ["accounts", "apikeys", "reviews", "subaccounts", "api", "core", "config"]
    builders = sorted(
        str(path.relative_to(ROOT))
        for app in apps
        for path in (ROOT / app).rglob("*.py")
        if SENDS.search(path.read_text())
    )
    assert builders == ["accounts/mail.py"]
