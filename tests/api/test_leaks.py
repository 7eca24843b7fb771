"""POST /api/v1/leaks: a secret scanner's signed report disables each key whose secret
it found, records where, e-mails the owner, and labels each token. Anything unsigned,
wrongly signed, oversized or malformed changes nothing."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.utils import timezone

from api import leaks
from apikeys import keys, services
from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApiKeyFactory
from tests.helpers import SignedApi, error_code

KEY_ID = "bd4ae1b6c3a9f6dca8b9b5a0d6b52c8d1b7a0f3e"
URL = "https://github.com/someone/bot/blob/abc123/config.py"


@pytest.fixture
def scanner(settings):
    """The partner's key pair; its public half configured as the operator would."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings.SECRET_SCANNING_PUBLIC_KEYS = {KEY_ID: pem}
    return private


def sign(private, body: bytes) -> str:
    return base64.b64encode(private.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def report(client, private, findings, *, key_id=KEY_ID, signature=None, raw=None):
    body = raw if raw is not None else json.dumps(findings).encode()
    headers = {
        leaks.HEADER_KEY_ID: key_id,
        leaks.HEADER_SIGNATURE: sign(private, body) if signature is None else signature,
    }
    return client.post("/api/v1/leaks", body, content_type="application/json", headers=headers)


def finding(token, url=URL):
    return {"token": token, "type": "corvex_api_secret", "url": url, "source": "content"}


@pytest.fixture
def leaked(db):
    return ApiKeyFactory(ip_whitelist=["203.0.113.7/32"])


def test_a_signed_report_disables_the_key_records_where_and_e_mails_the_owner(
    client, scanner, leaked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = report(client, scanner, [finding(leaked.plain_secret)])
    assert response.status_code == 200
    assert response.json() == [
        {
            "token_raw": leaked.plain_secret,
            "token_type": "corvex_api_secret",
            "label": "true_positive",
        }
    ]
    apikey = ApiKey.objects.get(pk=leaked.pk)
    assert apikey.disabled_at is not None and apikey.disabled_reason == "leaked"
    event = AuditEvent.objects.get(apikey=leaked, action="disabled")
    assert event.changes["found_at"]["after"] == URL and event.actor is None
    (message,) = mail.outbox
    assert message.to == [leaked.user.email]
    assert URL in message.body and leaked.api_key in message.body
    assert leaked.plain_secret not in message.body
    assert "Roll secret" in message.body and f"/api-management/keys/{leaked.code}/" in message.body


def test_a_sub_accounts_leaked_key_is_mailed_to_its_parent_by_name_with_its_link(
    db, client, scanner, django_capture_on_commit_callbacks
):
    from tests.factories import SubaccountFactory

    sub = SubaccountFactory()
    apikey = ApiKeyFactory(user=sub)
    with django_capture_on_commit_callbacks(execute=True):
        report(client, scanner, [finding(apikey.plain_secret)])
    (message,) = mail.outbox
    assert message.to == [sub.parent.email]
    assert f"Hello {sub.parent.username}," in message.body
    assert f"sub-account {sub.username}" in message.body
    assert f"/subaccounts/{sub.subaccount.code}/api-management/keys/{apikey.code}/" in message.body


def test_a_disabled_key_authenticates_nothing(client, scanner, leaked, api):
    assert api.get(leaked, "/api/v1/key", remote_addr="203.0.113.7").status_code == 200
    report(client, scanner, [finding(leaked.plain_secret)])
    refused = api.get(leaked, "/api/v1/key", remote_addr="203.0.113.7")
    assert (refused.status_code, error_code(refused)) == (401, "key_disabled")


def test_a_leak_of_a_key_disabled_as_idle_is_recorded_and_needs_a_roll(
    client, scanner, leaked, django_capture_on_commit_callbacks
):
    """Found from outside: the report of an idle-disabled key was dropped, and a plain
    "Enable" brought the leaked secret back."""
    leaked.disabled_at, leaked.disabled_reason = timezone.now(), ApiKey.DisabledReason.IDLE
    leaked.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = report(client, scanner, [finding(leaked.plain_secret)])
    assert response.json()[0]["label"] == "true_positive"
    apikey = ApiKey.objects.get(pk=leaked.pk)
    assert apikey.disabled_reason == ApiKey.DisabledReason.LEAKED
    assert AuditEvent.objects.filter(apikey=apikey, action="disabled").count() == 1
    assert len(mail.outbox) == 1
    owner = apikey.user
    with pytest.raises(services.KeyRefused):
        services.enable_key(owner=owner, actor=owner, apikey=apikey)


def test_the_same_report_twice_disables_records_and_e_mails_once(
    client, scanner, leaked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = report(client, scanner, [finding(leaked.plain_secret)])
        second = report(client, scanner, [finding(leaked.plain_secret)])
    assert first.json() == second.json()
    assert second.json()[0]["label"] == "true_positive"
    assert AuditEvent.objects.filter(action="disabled").count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "token",
    # Named ids: the generated tokens differ per process, and pytest-xdist's workers
    # must collect the same tests.
    [
        pytest.param(keys.new_hmac_secret(), id="well-formed-not-ours"),
        pytest.param("aps_" + "A" * 49, id="wrong-checksum"),
        pytest.param(keys.new_api_key(), id="an-api-key"),
        pytest.param("ghp_notoursatall", id="another-vendors"),
    ],
)
def test_a_token_that_is_not_ours_is_a_false_positive_and_changes_nothing(
    client, scanner, leaked, token
):
    response = report(client, scanner, [finding(token), finding(leaked.plain_secret)])
    assert [item["label"] for item in response.json()] == ["false_positive", "true_positive"]
    assert AuditEvent.objects.filter(action="disabled").count() == 1


def test_the_secret_of_a_deleted_key_is_a_false_positive(client, scanner, leaked):
    owner = leaked.user
    services.delete_key(owner=owner, actor=owner, apikey=leaked)
    response = report(client, scanner, [finding(leaked.plain_secret)])
    assert response.json()[0]["label"] == "false_positive"
    assert not AuditEvent.objects.filter(action="disabled").exists()


def test_the_secret_before_a_roll_still_finds_its_key(client, scanner, leaked):
    owner = leaked.user
    services.roll_secret(owner=owner, actor=owner, apikey=leaked, grace="7d")
    response = report(client, scanner, [finding(leaked.plain_secret)])
    assert response.json()[0]["label"] == "true_positive"
    assert ApiKey.objects.get(pk=leaked.pk).disabled_at is not None


def test_a_new_keys_secret_is_indexed_by_its_digest_and_found(db):
    apikey = ApiKeyFactory()
    assert apikey.secret_digest == keys.secret_digest(apikey.plain_secret)
    assert services.key_of_secret(apikey.plain_secret) == apikey


def nothing_changed(leaked):
    apikey = ApiKey.objects.get(pk=leaked.pk)
    return apikey.disabled_at is None and not AuditEvent.objects.filter(action="disabled").exists()


def test_an_unsigned_report_is_refused_and_changes_nothing(client, scanner, leaked):
    body = json.dumps([finding(leaked.plain_secret)])
    response = client.post("/api/v1/leaks", body, content_type="application/json")
    assert (response.status_code, error_code(response)) == (401, "missing_credentials")
    assert nothing_changed(leaked)


def test_a_report_without_its_signature_names_only_the_missing_header(client, scanner, leaked):
    response = report(client, scanner, [finding(leaked.plain_secret)], signature=" ")
    assert (response.status_code, error_code(response)) == (401, "missing_credentials")
    assert response.json()["error"]["message"] == f"Missing header(s): {leaks.HEADER_SIGNATURE}."
    assert nothing_changed(leaked)


def test_a_report_signed_by_another_key_is_refused(client, scanner, leaked):
    stranger = ec.generate_private_key(ec.SECP256R1())
    response = report(client, stranger, [finding(leaked.plain_secret)])
    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    assert nothing_changed(leaked)


def test_a_signature_over_other_bytes_is_refused(client, scanner, leaked):
    other = sign(scanner, b"[]")
    response = report(client, scanner, [finding(leaked.plain_secret)], signature=other)
    assert response.status_code == 401
    assert nothing_changed(leaked)


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(b"junk").decode()])
def test_a_garbled_signature_is_refused(client, scanner, leaked, signature):
    response = report(client, scanner, [finding(leaked.plain_secret)], signature=signature or " ")
    assert response.status_code == 401
    assert nothing_changed(leaked)


def test_an_unknown_key_identifier_is_refused(client, scanner, leaked):
    response = report(client, scanner, [finding(leaked.plain_secret)], key_id="unknown")
    assert (response.status_code, error_code(response)) == (401, "invalid_signature")
    assert nothing_changed(leaked)


def test_without_configured_keys_every_report_is_refused(client, scanner, leaked, settings):
    settings.SECRET_SCANNING_PUBLIC_KEYS = {}
    assert report(client, scanner, [finding(leaked.plain_secret)]).status_code == 401
    assert nothing_changed(leaked)


def test_an_oversized_report_is_refused_before_it_is_read(client, scanner, leaked):
    findings = [finding(leaked.plain_secret, url="https://x/" + "a" * 1000)] * 300
    response = report(client, scanner, findings)
    assert (response.status_code, error_code(response)) == (400, "invalid_request")
    assert nothing_changed(leaked)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"{}",
        b"[]",
        b'[{"type": "x"}]',
        b'[{"token": 5}]',
        b'["aps_"]',
        b'[{"token": "a", "url": ["x"]}]',
        b"\xff\xfe",
    ],
)
def test_a_malformed_signed_report_is_a_400_and_changes_nothing(client, scanner, leaked, raw):
    response = report(client, scanner, None, raw=raw)
    assert (response.status_code, error_code(response)) == (400, "invalid_request")
    assert nothing_changed(leaked)


def test_a_malformed_report_disables_nothing_even_with_one_good_finding(client, scanner, leaked):
    raw = json.dumps([finding(leaked.plain_secret), {"token": 7}]).encode()
    assert report(client, scanner, None, raw=raw).status_code == 400
    assert nothing_changed(leaked)


def test_a_report_is_not_answered_to_get(client, scanner):
    response = client.get("/api/v1/leaks")
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_the_owner_pages_say_the_key_is_disabled_and_why(client, scanner, owner, owner_client):
    from django.urls import reverse

    apikey = ApiKeyFactory(user=owner)
    report(client, scanner, [finding(apikey.plain_secret)])
    detail = owner_client.get(reverse("apikeys:detail", args=[apikey.code])).content.decode()
    assert "Disabled" in detail and "found in public" in detail and URL in detail
    listing = owner_client.get(reverse("apikeys:index")).content.decode()
    assert 'data-testid="disabled"' in listing


# --- The per-address failure budget ----------------------------------------------------


@pytest.fixture
def ratelimit_clock(monkeypatch):
    """Move the clock the failure budget reads (django-ratelimit's windows), in seconds."""
    from types import SimpleNamespace

    import django_ratelimit.core

    clock = SimpleNamespace(now=1_767_225_600.0)
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


def unsigned(client, body=b"[]", ip="198.51.100.9"):
    return client.post("/api/v1/leaks", body, content_type="application/json", REMOTE_ADDR=ip)


def test_an_address_sending_unsigned_reports_is_refused_for_the_rest_of_the_minute(
    client, scanner, leaked, settings, ratelimit_clock, django_assert_num_queries
):
    settings.LEAK_REPORT_FAILURES_PER_MINUTE_PER_IP = 3
    for _ in range(2):
        assert unsigned(client).status_code == 401
    forged = client.post(
        "/api/v1/leaks",
        b"[]",
        content_type="application/json",
        REMOTE_ADDR="198.51.100.9",
        headers={leaks.HEADER_KEY_ID: KEY_ID, leaks.HEADER_SIGNATURE: sign(scanner, b"{}")},
    )
    assert (forged.status_code, forged["X-RateLimit-Remaining"]) == (401, "0")
    # Even a good report from there waits: refused before its body or signature is read.
    body = json.dumps([finding(leaked.plain_secret)]).encode()
    headers = {leaks.HEADER_KEY_ID: KEY_ID, leaks.HEADER_SIGNATURE: sign(scanner, body)}
    with django_assert_num_queries(0):
        refused = client.post(
            "/api/v1/leaks", body, content_type="application/json",
            REMOTE_ADDR="198.51.100.9", headers=headers,
        )  # fmt: skip
    assert (refused.status_code, error_code(refused)) == (429, "rate_limited")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert nothing_changed(leaked)
    # Another address is not affected; a minute later this one may report again.
    other = client.post(
        "/api/v1/leaks", body, content_type="application/json",
        REMOTE_ADDR="203.0.113.50", headers=headers,
    )  # fmt: skip
    assert other.status_code == 200
    ratelimit_clock.now += 61
    assert unsigned(client).status_code == 401


def test_signed_reports_do_not_spend_the_budget(db, client, scanner, settings):
    settings.LEAK_REPORT_FAILURES_PER_MINUTE_PER_IP = 2
    for _ in range(4):
        token = keys.new_hmac_secret()
        assert report(client, scanner, [finding(token)]).status_code == 200
    # A signed but malformed report is the partner's bug, not a guess: it costs nothing.
    for _ in range(3):
        assert report(client, scanner, None, raw=b"{}").status_code == 400
    assert report(client, scanner, [finding(keys.new_hmac_secret())]).status_code == 200


def test_leak_report_failures_and_signed_api_failures_are_separate_budgets(
    db, client, scanner, settings
):
    settings.LEAK_REPORT_FAILURES_PER_MINUTE_PER_IP = 1
    settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP = 100
    unsigned(client, ip="127.0.0.1")
    assert unsigned(client, ip="127.0.0.1").status_code == 429
    api_key = ApiKeyFactory()
    assert SignedApi(client).get(api_key, "/api/v1/key", remote_addr="127.0.0.1").status_code == 200
