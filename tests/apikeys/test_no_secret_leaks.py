"""Nothing secret in logs, e-mails, error pages or the key pages after the one showing."""

import logging
import sys

import pytest
from django.core import mail
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from apikeys import keys, services
from apikeys.models import ApiKey

KNOWN_SECRET = keys._random_token(keys.SECRET_PREFIX, 43)


@pytest.fixture
def known_secret(monkeypatch):
    monkeypatch.setattr(keys, "new_hmac_secret", lambda: KNOWN_SECRET)
    return KNOWN_SECRET


def test_whole_flow_logs_no_secret(
    owner_client,
    create_key_via_page,
    known_secret,
    caplog,
    json_log,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.DEBUG = True  # so that django.db.backends logs every query with its parameters
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="django"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        location = create_key_via_page()["Location"]
        assert known_secret in owner_client.get(location).content.decode()
    assert any(r.name == "django.db.backends" for r in caplog.records), "queries were logged"
    for text in (caplog.text, json_log.getvalue()):
        assert known_secret not in text
        assert known_secret[4:-6] not in text
    assert '"logger": "django.db.backends"' in json_log.getvalue()


def test_emails_hold_no_secret(
    create_key_via_page, known_secret, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        create_key_via_page()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert known_secret not in message.body and known_secret not in message.subject


def report_of_failed_create(owner) -> tuple[str, str]:
    """The error report (text, HTML) of create_key failing after making the secret."""
    request = RequestFactory().post("/api-management/keys/new/", {"code": "123456"})
    request.user = owner
    try:
        services.create_key(owner=owner, actor=owner, alias="bot")
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info())
        return report.get_traceback_text(), report.get_traceback_html()
    raise AssertionError("create_key did not fail")


@pytest.mark.usefixtures("known_secret")
def test_error_report_during_create_hides_the_secret(owner, monkeypatch):
    def fail(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ApiKey, "save", fail)
    text, html = report_of_failed_create(owner)
    assert "database went away" in text and "create_key" in text
    assert KNOWN_SECRET not in text and KNOWN_SECRET not in html
    assert KNOWN_SECRET[4:-6] not in text


def test_error_page_hides_the_code_posted(owner_client, trader, totp, monkeypatch):
    code = totp.code(trader)

    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "create_key", fail)
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.cookies = owner_client.cookies
    response = client.post(
        "/api-management/keys/new/",
        {"alias": "bot", "key_choice": "hmac-sha256", "code": code},
    )
    assert response.status_code == 500
    # The code was verified (and spent) before the failure; it is masked in error reports.
    request = response.wsgi_request
    filtered = ExceptionReporter(request, RuntimeError, RuntimeError("boom"), None)
    assert code not in str(filtered.filter.get_post_parameters(request))


def test_secret_page_error_report_hides_the_secret(owner_client, create_key_via_page, monkeypatch):
    location = create_key_via_page()["Location"]
    secret = ApiKey.objects.get().secret()

    def broken_render(*args, **kwargs):
        raise RuntimeError("template broke")

    monkeypatch.setattr("core.showonce.django_render", broken_render)
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.cookies = owner_client.cookies
    captured = {}

    from django.core.signals import got_request_exception

    def grab(sender, request, **kwargs):
        captured["report"] = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()

    got_request_exception.connect(grab)
    try:
        assert client.get(location).status_code == 500
    finally:
        got_request_exception.disconnect(grab)
    assert "template broke" in captured["report"]
    assert "secret_page" in captured["report"]
    assert secret not in captured["report"]
