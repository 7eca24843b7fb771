"""Security notices by e-mail, each with the account's anti-phishing phrase, never a secret."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from apikeys.models import ApiKey
from tests.apikeys.conftest import form_data
from tests.factories import PASSWORD, ApiKeyFactory

PHRASE = "purple otter 42"
NEW = "a fresh and unusual pass phrase 42"
SETTINGS = "/accounts/security/anti-phishing/"


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a request and return the e-mails it sent once committed."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            response = call()
        return response, list(mail.outbox)

    return run


@pytest.fixture
def phrase(owner):
    owner.anti_phishing_phrase = PHRASE
    owner.save()
    return PHRASE


def test_the_phrase_is_set_on_the_security_page_with_a_code(owner_client, owner, totp):
    refused = owner_client.post(SETTINGS, {"phrase": PHRASE, "code": "000000"})
    assert refused.status_code == 400
    owner.refresh_from_db()
    assert owner.anti_phishing_phrase == ""
    response = owner_client.post(SETTINGS, {"phrase": PHRASE, "code": totp.code(owner)})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.anti_phishing_phrase == PHRASE
    assert "Anti-phishing phrase" in owner_client.get("/accounts/security/").content.decode()


def test_the_phrase_is_one_line_of_plain_text(owner_client, owner, totp):
    response = owner_client.post(SETTINGS, {"phrase": "a\nb<x>", "code": totp.code(owner)})
    assert response.status_code == 400
    owner.refresh_from_db()
    assert owner.anti_phishing_phrase == ""


def test_password_change_notice_carries_the_phrase_and_no_password(
    owner_client, owner, totp, phrase, sent
):
    data = {
        "old_password": PASSWORD,
        "new_password1": NEW,
        "new_password2": NEW,
        "code": totp.code(owner),
    }
    _, (notice,) = sent(lambda: owner_client.post("/accounts/security/password/", data))
    assert notice.to == [owner.email]
    assert "password was changed" in notice.subject.lower()
    assert PHRASE in notice.body
    assert NEW not in notice.body and PASSWORD not in notice.body


def test_password_reset_notice(owner, phrase, sent):
    client = Client()
    _, (link_mail,) = sent(lambda: client.post("/accounts/password/reset/", {"email": owner.email}))
    assert PHRASE in link_mail.body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", link_mail.body).group(1)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    mail.outbox.clear()
    _, (notice,) = sent(lambda: client.post(set_url, {"new_password1": NEW, "new_password2": NEW}))
    assert "password was reset" in notice.subject.lower()
    assert PHRASE in notice.body


def test_turning_2fa_off_and_on_are_notices(owner_client, owner, totp, phrase, sent):
    data = {"password": PASSWORD, "code": totp.code(owner)}
    _, (off,) = sent(lambda: owner_client.post("/accounts/security/2fa/disable/", data))
    assert "two-factor authentication was turned off" in off.subject.lower()
    assert PHRASE in off.body


def test_a_notice_without_a_phrase_says_how_to_set_one(owner_client, owner, totp, sent):
    data = {"password": PASSWORD, "code": totp.code(owner)}
    _, (off,) = sent(lambda: owner_client.post("/accounts/security/2fa/disable/", data))
    assert "anti-phishing phrase" in off.body.lower()


def test_key_created_modified_and_deleted_notices_carry_the_phrase(
    owner_client, trader, totp, phrase, sent
):
    _, created = sent(
        lambda: owner_client.post(
            reverse("apikeys:new"), form_data(alias="bot", code=totp.code(trader))
        )
    )
    assert PHRASE in created[-1].body
    apikey = ApiKey.objects.get()
    mail.outbox.clear()
    _, (modified,) = sent(
        lambda: owner_client.post(
            reverse("apikeys:modify", args=[apikey.code]),
            form_data(alias="bot", can_trade="on", code=totp.code(trader)),
        )
    )
    assert "modified" in modified.subject.lower()
    assert PHRASE in modified.body
    assert "Permissions" in modified.body and "Read, Trade" in modified.body
    mail.outbox.clear()
    _, deleted = sent(
        lambda: owner_client.post(
            reverse("apikeys:delete", args=[apikey.code]), {"code": totp.code(trader)}
        )
    )
    assert PHRASE in deleted[-1].body


def test_a_modify_that_changes_nothing_sends_nothing(owner_client, owner, totp, sent):
    apikey = ApiKeyFactory(user=owner, alias="same")
    _, notices = sent(
        lambda: owner_client.post(
            reverse("apikeys:modify", args=[apikey.code]),
            form_data(alias="same", code=totp.code(owner)),
        )
    )
    assert notices == []


def test_turning_2fa_on_is_a_notice(db, sent):
    from django_otp.oath import TOTP

    from accounts.twofactor import confirm_totp_setup, new_totp_key
    from tests.factories import UserFactory

    user = UserFactory(anti_phishing_phrase=PHRASE)
    hex_key = new_totp_key()
    totp = TOTP(bytes.fromhex(hex_key))
    code = str(totp.token()).zfill(6)
    _, (on,) = sent(lambda: confirm_totp_setup(user=user, hex_key=hex_key, code=code))
    assert "two-factor authentication was turned on" in on.subject.lower()
    assert PHRASE in on.body and hex_key not in on.body


CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FROM = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": CHROME}


def test_a_password_change_notice_says_only_the_other_sessions_were_signed_out(
    owner_client, owner, totp, sent
):
    data = {
        "old_password": PASSWORD,
        "new_password1": NEW,
        "new_password2": NEW,
        "code": totp.code(owner),
    }
    _, (notice,) = sent(lambda: owner_client.post("/accounts/security/password/", data, **FROM))
    assert "every session" not in notice.body.lower()
    assert "other sessions of your account were signed out" in notice.body.lower()
    assert "203.0.113.77" in notice.body and "Chrome on Linux" in notice.body


def test_a_password_reset_notice_names_the_ip_and_browser(owner, sent):
    client = Client(**FROM)
    _, (link_mail,) = sent(lambda: client.post("/accounts/password/reset/", {"email": owner.email}))
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", link_mail.body).group(1)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    mail.outbox.clear()
    _, (notice,) = sent(lambda: client.post(set_url, {"new_password1": NEW, "new_password2": NEW}))
    assert "every session of your account was signed out" in notice.body.lower()
    assert "203.0.113.77" in notice.body and "Chrome on Linux" in notice.body


def test_2fa_notices_name_the_ip_and_browser(owner_client, owner, totp, sent):
    data = {"password": PASSWORD, "code": totp.code(owner)}
    _, (off,) = sent(lambda: owner_client.post("/accounts/security/2fa/disable/", data, **FROM))
    assert "203.0.113.77" in off.body and "Chrome on Linux" in off.body
    owner_client.get("/accounts/security/2fa/setup/")
    hex_key = owner_client.session["totp_setup_key"]
    from django_otp.oath import TOTP

    code = str(TOTP(bytes.fromhex(hex_key)).token()).zfill(6)
    mail.outbox.clear()
    _, (on,) = sent(
        lambda: owner_client.post("/accounts/security/2fa/setup/", {"code": code}, **FROM)
    )
    assert "turned on" in on.subject and "203.0.113.77" in on.body and "Chrome on Linux" in on.body


def test_the_reset_link_email_states_the_links_real_lifetime_and_2fa_only_when_on(
    owner, settings, sent
):
    settings.PASSWORD_RESET_TIMEOUT = 30 * 60
    _, (link_mail,) = sent(
        lambda: Client().post("/accounts/password/reset/", {"email": owner.email})
    )
    assert "within 30 minutes" in link_mail.body and "an hour" not in link_mail.body
    assert "two-factor code" in link_mail.body
    mail.outbox.clear()
    from tests.factories import UserFactory

    no_2fa = UserFactory()
    _, (plain,) = sent(lambda: Client().post("/accounts/password/reset/", {"email": no_2fa.email}))
    assert "two-factor code" not in plain.body
