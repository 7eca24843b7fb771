"""Text fields hold plain text: no control characters, and a failing e-mail loses nothing.

A key alias with a carriage return used to be saved, then break the e-mail whose
Subject names it: a 500 after the commit, the secret never shown, a zombie key
counting toward the limit. Every single-line field refuses control characters with
one validator (``accounts.validators.plain_text``); multi-line ones (a rejection
reason) take line breaks and tabs, nothing else.
"""

import smtplib

import pytest
from django import forms
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse

from accounts.models import User, WithdrawalAddress
from accounts.validators import plain_text, plain_text_lines
from apikeys.models import ApiKey
from reviews.services import decide_application
from tests.factories import ApplicationFactory, UserFactory
from tests.helpers import form_data, verified_client, with_2fa

HOSTILE = ["bot\rBcc: x@evil.example", "a\nb", "nul\x00", "bell\x07", "del\x7f", "nel\x85"]
HOSTILE += ["line\u2028sep", "rlo\u202egnp.exe", "esc\x1b[31m"]


def test_a_key_alias_with_a_carriage_return_is_refused_and_no_key_is_saved(
    owner_client, trader, totp
):
    response = owner_client.post(
        reverse("apikeys:new"), form_data(alias="bot\rBcc: x", code=totp.code(trader))
    )
    assert response.status_code == 200
    assert "control characters" in response.content.decode()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_the_single_line_validator_refuses_control_characters(value):
    with pytest.raises(forms.ValidationError) as refused:
        plain_text(value)
    assert refused.value.code == "control_character"


ORDINARY = ["grid-bot", "Ledger (cold) – 2", "ｖｉｃｔｉｍ", "כסף", "🔑 key"]


@pytest.mark.parametrize("value", ORDINARY)
def test_the_single_line_validator_takes_ordinary_text_in_any_script(value):
    plain_text(value)


def test_the_multi_line_validator_takes_line_breaks_but_not_other_controls():
    plain_text_lines("Source of funds unclear.\r\nPlease write to us.\tThanks")
    with pytest.raises(forms.ValidationError):
        plain_text_lines("reason\x00")
    with pytest.raises(forms.ValidationError):
        plain_text_lines("reason\x1b[2J")


@pytest.mark.parametrize(
    "invisible",
    ["\u200f", "\u200b", "\ufeff", "\U000e0041", "\uffff", "\ue000", "\u00ad"],
    ids=["RLM", "ZWSP", "BOM", "tag", "noncharacter", "private-use", "soft-hyphen"],
)
def test_invisible_format_characters_are_refused_too(invisible):
    # Invisible in a list of keys: "bot" and "bo\u200bt" would be two aliases that read
    # the same.
    with pytest.raises(forms.ValidationError):
        plain_text(f"bo{invisible}t")


# Text fields that are free text stored or e-mailed; each must carry the validator.
# Fields left out, and why: passwords are never shown or stored as typed; codes and
# usernames have stricter validators of their own; the signature tool compares the
# bytes a bot signed, stores nothing and shows them escaped.
EXEMPT = {
    ("SignupForm", "username"),
    ("LoginForm", "username"),
    ("SignatureCheckForm", "api_key"),
    ("SignatureCheckForm", "method"),
    ("SignatureCheckForm", "path"),
    ("SignatureCheckForm", "body"),
    ("SignatureCheckForm", "timestamp"),
    ("SignatureCheckForm", "recv_window"),
    # An amount: the plain-decimal rule (accounts.money.AmountField) is stricter.
    ("TransferForm", "amount"),
    ("SignatureCheckForm", "signature"),
    ("ApiKeyForm", "ip_whitelist"),
    ("CreateApiKeyForm", "ip_whitelist"),
    ("ModifyApiKeyForm", "ip_whitelist"),
    ("CreateApiKeyForm", "public_key"),
    ("RollSecretForm", "public_key"),
}
PROJECT_APPS = ("accounts.", "apikeys.", "subaccounts.", "reviews.", "api.", "config.")


def project_forms():
    for module in ("accounts", "apikeys", "subaccounts", "reviews", "api"):
        __import__(f"{module}.forms")
    __import__("accounts.addressbook_forms")
    seen, todo = set(), [forms.Form, forms.ModelForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(
        (c for c in seen if c.__module__.startswith(PROJECT_APPS)), key=lambda c: c.__name__
    )


def test_every_free_text_field_of_every_form_refuses_control_characters():
    missing = []
    for form_class in project_forms():
        for name, field in form_class.base_fields.items():
            is_text = (
                type(field) is forms.CharField
                or isinstance(field, forms.CharField)
                and (type(field).__module__.startswith(PROJECT_APPS))
            )
            secret = isinstance(field.widget, forms.PasswordInput) or name == "code"
            if not is_text or secret or (form_class.__name__, name) in EXEMPT:
                continue
            if not any(v in (plain_text, plain_text_lines) for v in field.validators):
                missing.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert not missing, f"text fields without the plain-text validator: {missing}"
    assert len(project_forms()) > 10, "the forms were found"


@pytest.mark.parametrize(
    "url,data,field",
    [
        ("/subaccounts/new/", {"name": "de\rsk", "note": ""}, "name"),
        ("/subaccounts/new/", {"name": "desk", "note": "note\x1b[31m"}, "note"),
        (
            "/accounts/security/addresses/add/",
            {"asset": "USDT", "address": "TAddr99999", "label": "cold\rwallet"},
            "label",
        ),
    ],
)
def test_portal_text_fields_refuse_control_characters(owner_client, owner, totp, url, data, field):
    before = (User.objects.count(), WithdrawalAddress.objects.count())
    response = owner_client.post(url, {**data, "code": totp.code(owner)})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
    assert (User.objects.count(), WithdrawalAddress.objects.count()) == before


def test_a_rejection_reason_with_control_characters_is_refused(db):
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    application = ApplicationFactory(user=UserFactory())
    client = verified_client(Client(), admin)
    url = f"/admin/reviews/application/{application.pk}/reject/"
    response = client.post(url, {"reason": "bad\x1b[2J", "reject": "Reject"})
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.status == "pending"


class FailingEmailBackend(BaseEmailBackend):
    """The outside world: an SMTP server that refuses everything."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_failing_email_after_commit_is_logged_and_the_new_key_stands(
    owner_client, trader, totp, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("apikeys:new"), form_data(alias="grid-bot", code=totp.code(trader))
        )
    apikey = ApiKey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("apikeys:secret", args=[apikey.code])
    secret_page = owner_client.get(response["Location"])
    assert 'data-testid="secret"' in secret_page.content.decode()
    (record,) = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert "SMTPServerDisconnected" in record.getMessage()
    assert apikey.secret_encrypted not in caplog.text


def test_a_failing_decision_email_leaves_the_decision_made(
    db, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"
    application = ApplicationFactory(user=UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        decide_application(application=application, approve=True, decided_by=UserFactory())
    application.refresh_from_db()
    assert application.status == "approved"
    assert any("not sent" in r.getMessage() for r in caplog.records)
