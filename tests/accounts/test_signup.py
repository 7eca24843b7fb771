import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory


def test_signup_creates_account_with_argon2_hash_and_asks_to_verify_the_email(
    client, db, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_HASHERS = ["accounts.hashers.PortalArgon2PasswordHasher"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "username": "alice",
                "email": "Alice@Example.com",
                "password1": "a long and unusual pass phrase",
                "password2": "a long and unusual pass phrase",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/sent/"
    user = User.objects.get(username="alice")
    assert user.email == "alice@example.com"
    assert user.password.startswith("argon2$")
    assert user.email_verified_at is None
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "/accounts/verify-email/" in message.body


def test_signup_refuses_weak_password_and_keeps_what_was_typed(client, db):
    response = client.post(
        "/accounts/signup/",
        {"username": "bob", "email": "bob@example.com", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="bob").exists()
    assert "This password is too short" in response.content.decode()
    assert 'value="bob@example.com"' in response.content.decode()


def test_signup_answers_the_same_for_a_new_and_a_taken_email_and_mails_the_taken_one(
    db, owner, django_capture_on_commit_callbacks
):
    answers = []
    for username, email in (("newcomer", "newcomer@example.com"), ("copycat", owner.email.upper())):
        client = Client()
        with django_capture_on_commit_callbacks(execute=True):
            posted = client.post("/accounts/signup/", signup_form(username, email))
        page = client.get(posted["Location"])
        answers.append((posted.status_code, posted["Location"], CSRF.sub(b"", page.content)))
    assert answers[0] == answers[1]
    assert not User.objects.filter(username="copycat").exists()
    verify, tried = mail.outbox
    assert verify.to == ["newcomer@example.com"]
    assert tried.to == [owner.email]
    assert "tried to sign up" in tried.body
    assert "/accounts/verify-email/" not in tried.body


def signup_data(**overrides):
    data = {
        "username": "carol",
        "email": "carol@example.com",
        "password1": "a long and unusual pass phrase",
        "password2": "a long and unusual pass phrase",
    }
    return {**data, **overrides}


def test_signup_refuses_a_dash_which_names_sub_accounts(client, db):
    response = client.post("/accounts/signup/", signup_data(username="alice-bot"))
    assert "no “-”" in response.content.decode()
    assert not User.objects.filter(username="alice-bot").exists()


def test_signup_refuses_the_reserved_sub_account_mail_domain(client, db):
    response = client.post("/accounts/signup/", signup_data(email="alice-bot@subaccount.invalid"))
    assert "Enter your own e-mail address" in response.content.decode()
    assert not User.objects.filter(username="carol").exists()


def signup_form(username, email, **extra):
    phrase = "a long and unusual pass phrase"
    return {"username": username, "email": email, "password1": phrase, "password2": phrase, **extra}


@pytest.mark.parametrize("taken", ["demo", "DEMO"])
def test_signup_with_taken_username_is_a_form_error_not_500(client, db, taken):
    UserFactory(username="demo")
    response = client.post("/accounts/signup/", signup_form(taken, "new@example.com"))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(username__iexact="demo").count() == 1


@pytest.mark.parametrize("lookalike", ["ＤＥＭＯ", "Ｄｅｍｏ", "ｄｅｍｏ", "𝐃𝐄𝐌𝐎"])
def test_signup_with_a_lookalike_of_a_taken_username_is_refused(client, db, lookalike):
    # NFKC turns full-width and mathematical letters into ASCII: "ＤＥＭＯ" would be
    # stored as "DEMO" beside "demo", and sign in as its own account.
    UserFactory(username="demo")
    response = client.post("/accounts/signup/", signup_form(lookalike, "new@example.com"))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(username__iexact="demo").count() == 1


@pytest.mark.parametrize("name", ["demо", "ᴅᴇᴍᴏ", "trader\u200b"])
def test_signup_takes_ascii_usernames_only(client, db, name):
    # Confusables that NFKC keeps (a Cyrillic "о", small capitals) would pass for "demo".
    response = client.post("/accounts/signup/", signup_form(name, "new@example.com"))
    assert response.status_code == 200
    assert "Use letters, digits and @ . + _" in response.content.decode()
    assert User.objects.count() == 0


def test_the_database_refuses_two_usernames_that_differ_in_case_only(db):
    from django.db import IntegrityError, transaction

    UserFactory(username="demo")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="DEMO")


def test_signup_is_throttled_per_client_ip(client, db, settings):
    settings.SIGNUP_RATE_PER_IP = "3/h"
    for n in range(3):
        client.post("/accounts/signup/", signup_form(f"user{n}", "bad"))
    response = client.post("/accounts/signup/", signup_form("late", "late@example.com"))
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert not User.objects.filter(username="late").exists()
    # Another address is not held back by this one's attempts.
    other = client.post(
        "/accounts/signup/", signup_form("other", "other@example.com"), REMOTE_ADDR="192.0.2.9"
    )
    assert other.status_code == 302


CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


class CountingHasher(MD5PasswordHasher):
    """The tests' fast hasher, counting how often a password is hashed."""

    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


def test_a_taken_email_costs_the_same_password_hash_as_a_new_one(db, owner, settings):
    # Hashing is most of a sign-up's time: a taken address answered without it would
    # be measurably faster, and the timing would tell who has an account.
    settings.PASSWORD_HASHERS = ["tests.accounts.test_signup.CountingHasher"]
    hashes = []
    for username, email in (("newcomer", "newcomer@example.com"), ("copycat", owner.email)):
        CountingHasher.calls = 0
        response = Client().post("/accounts/signup/", signup_form(username, email))
        assert response.status_code == 302
        hashes.append(CountingHasher.calls)
    assert hashes == [1, 1]


def test_sign_up_attempts_mail_an_address_at_most_n_times_a_day_and_answer_the_same(
    db, owner, settings, django_capture_on_commit_callbacks
):
    # Signing up with someone's address again and again must not mail-bomb them.
    settings.SIGNUP_ATTEMPT_EMAIL_RATE = "2/d"
    answers = []
    for n in range(4):
        client = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")
        with django_capture_on_commit_callbacks(execute=True):
            posted = client.post("/accounts/signup/", signup_form(f"copy{n}", owner.email.upper()))
        page = client.get(posted["Location"])
        answers.append((posted.status_code, posted["Location"], CSRF.sub(b"", page.content)))
    assert len(mail.outbox) == 2
    assert answers.count(answers[0]) == 4


def test_the_signup_help_texts_are_plain_sentences_that_match_the_rules(client, db):
    html = client.get("/accounts/signup/").content.decode()
    helps = re.findall(r'<p class="help"[^>]*>(.*?)</p>', html, re.S)
    assert len(helps) >= 2
    for help_text in helps:
        assert "<ul" not in help_text and "<li" not in help_text  # no list inside a <p>
    assert '<p class="help" id="id_password1_helptext"><ul' not in html
    username_help = re.search(r'id="id_username_helptext">(.*?)</p>', html, re.S).group(1)
    assert "-" not in username_help and "@ . + _" in username_help  # "-" is refused
