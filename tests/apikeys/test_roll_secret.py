"""Rolling a key's secret: a new secret shown once, the old one accepted for the grace
period chosen (none, 1 hour, 24 hours, 7 days), "End now", and a replay refused across
the two secrets."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.client import Client as ApiClient
from apikeys import services
from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApiKeyFactory

BOT_IP = "203.0.113.7"


def signer(apikey, secret=None, private_pem=None):
    return ApiClient(
        "http://testserver", api_key=apikey.api_key, secret=secret, private_key_pem=private_pem
    )


def call(client_signer, headers=None, path="/api/v1/key"):
    headers = headers or client_signer.signed_headers("GET", path)
    response = Client().get(path, headers=headers, REMOTE_ADDR=BOT_IP)
    return response.status_code, json.loads(response.content)


def roll_on_page(owner_client, trader, totp, apikey, grace="1h", **extra):
    """Roll on the page; the new secret as the page that shows it once gives it."""
    response = owner_client.post(
        reverse("apikeys:roll", args=[apikey.code]),
        {"grace": grace, "code": totp.code(trader), **extra},
    )
    assert response.status_code == 302, response.content
    page = owner_client.get(response["Location"])
    assert page.status_code == 200
    return page


@pytest.fixture
def hmac_key(trader):
    return ApiKeyFactory(user=trader, ip_whitelist=[f"{BOT_IP}/32"])


@pytest.mark.parametrize("grace", ["1h", "24h", "7d"])
def test_during_the_grace_period_both_secrets_work_and_the_api_key_stays(
    owner_client, trader, totp, hmac_key, grace
):
    old_secret = hmac_key.plain_secret
    page = roll_on_page(owner_client, trader, totp, hmac_key, grace=grace)
    new_secret = page.context["secret"]
    assert new_secret != old_secret and new_secret.startswith("aps_")
    assert b"New secret" in page.content
    rolled = ApiKey.objects.get(pk=hmac_key.pk)
    assert rolled.api_key == hmac_key.api_key
    assert call(signer(rolled, new_secret))[0] == 200
    assert call(signer(rolled, old_secret))[0] == 200
    expected = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
    left = rolled.previous_valid_until - timezone.now()
    assert expected[grace] - timedelta(minutes=1) < left <= expected[grace]


def test_without_a_grace_period_the_old_secret_stops_at_once(owner_client, trader, totp, hmac_key):
    old_secret = hmac_key.plain_secret
    new_secret = roll_on_page(owner_client, trader, totp, hmac_key, grace="none").context["secret"]
    status, body = call(signer(hmac_key, old_secret))
    assert (status, body["error"]["code"]) == (401, "invalid_signature")
    assert call(signer(hmac_key, new_secret))[0] == 200
    assert ApiKey.objects.get(pk=hmac_key.pk).previous_secret_encrypted == ""


def test_the_old_secret_stops_by_itself_when_the_grace_period_ends(trader, hmac_key):
    rolled_at = timezone.now() - timedelta(hours=1, seconds=1)
    new = services.roll_secret(
        owner=trader, actor=trader, apikey=hmac_key, grace="1h", now=rolled_at
    )
    status, body = call(signer(hmac_key, hmac_key.plain_secret))
    assert (status, body["error"]["code"]) == (401, "invalid_signature")
    assert call(signer(hmac_key, new.secret))[0] == 200


def test_end_now_stops_the_old_secret_and_is_recorded(owner_client, trader, totp, hmac_key):
    new_secret = roll_on_page(owner_client, trader, totp, hmac_key, grace="7d").context["secret"]
    detail = owner_client.get(reverse("apikeys:detail", args=[hmac_key.code]))
    assert b"End now" in detail.content and b"old secret is valid until" in detail.content
    response = owner_client.post(reverse("apikeys:end_grace", args=[hmac_key.code]))
    assert response.status_code == 302
    assert call(signer(hmac_key, hmac_key.plain_secret))[0] == 401
    assert call(signer(hmac_key, new_secret))[0] == 200
    assert AuditEvent.objects.filter(apikey=hmac_key, action="grace_ended").count() == 1
    detail = owner_client.get(reverse("apikeys:detail", args=[hmac_key.code]))
    assert b"End now" not in detail.content


def test_end_now_needs_a_post(owner_client, trader, hmac_key):
    services.roll_secret(owner=trader, actor=trader, apikey=hmac_key, grace="1h")
    assert owner_client.get(reverse("apikeys:end_grace", args=[hmac_key.code])).status_code == 405
    assert ApiKey.objects.get(pk=hmac_key.pk).in_grace()


def test_a_request_replayed_under_the_other_secret_is_refused(trader, hmac_key):
    old = signer(hmac_key, hmac_key.plain_secret)
    new_secret = services.roll_secret(
        owner=trader, actor=trader, apikey=hmac_key, grace="24h"
    ).secret
    new = signer(hmac_key, new_secret)
    headers = old.signed_headers("GET", "/api/v1/key")
    assert call(old, headers)[0] == 200
    # The same request signed with the new secret: same bytes, a replay.
    resigned = {**headers, "X-API-SIGNATURE": new.sign(_payload(headers))}
    status, body = call(new, resigned)
    assert (status, body["error"]["code"]) == (401, "replayed_request")
    # And the captured original, resent during the grace period, too.
    status, body = call(old, headers)
    assert (status, body["error"]["code"]) == (401, "replayed_request")


def _payload(headers) -> bytes:
    return f"{headers['X-API-TIMESTAMP']}{headers['X-API-KEY']}GET/api/v1/key".encode()


def test_a_second_roll_keeps_only_the_current_and_the_newest_secret(trader, hmac_key):
    first = hmac_key.plain_secret
    second = services.roll_secret(owner=trader, actor=trader, apikey=hmac_key, grace="7d").secret
    third = services.roll_secret(owner=trader, actor=trader, apikey=hmac_key, grace="7d").secret
    assert call(signer(hmac_key, first))[0] == 401
    assert call(signer(hmac_key, second))[0] == 200
    assert call(signer(hmac_key, third))[0] == 200


def test_generated_ed25519_key_gets_a_new_pair_and_the_old_one_works_in_grace(
    owner_client, trader, totp
):
    apikey = ApiKeyFactory(user=trader, ed25519=True, ip_whitelist=[f"{BOT_IP}/32"])
    page = roll_on_page(owner_client, trader, totp, apikey, grace="1h")
    new_private = page.context["secret"]
    assert new_private.startswith("-----BEGIN PRIVATE KEY-----")
    assert call(signer(apikey, private_pem=new_private))[0] == 200
    assert call(signer(apikey, private_pem=apikey.private_pem))[0] == 200


def test_ed25519_key_can_take_a_pasted_public_key(owner_client, trader, totp):
    from apikeys import keys

    apikey = ApiKeyFactory(user=trader, ed25519=True, ip_whitelist=[f"{BOT_IP}/32"])
    mine, public_pem = keys.new_ed25519_pair()
    page = roll_on_page(owner_client, trader, totp, apikey, grace="none", public_key=public_pem)
    assert page.context["secret"] == ""
    assert call(signer(apikey, private_pem=mine))[0] == 200
    assert call(signer(apikey, private_pem=apikey.private_pem))[0] == 401


def test_a_pasted_key_that_is_not_ed25519_is_a_form_error_and_keeps_the_code(
    owner_client, trader, totp
):
    apikey = ApiKeyFactory(user=trader, ed25519=True)
    response = owner_client.post(
        reverse("apikeys:roll", args=[apikey.code]),
        {"grace": "1h", "public_key": "not a key", "code": totp.code(trader)},
    )
    assert response.status_code == 200
    assert "public_key" in response.context["form"].errors
    assert ApiKey.objects.get(pk=apikey.pk).public_key == apikey.public_key


def test_a_wrong_code_rolls_nothing(owner_client, trader, hmac_key):
    response = owner_client.post(
        reverse("apikeys:roll", args=[hmac_key.code]), {"grace": "1h", "code": "000000"}
    )
    assert response.status_code == 200
    assert ApiKey.objects.get(pk=hmac_key.pk).secret_encrypted == hmac_key.secret_encrypted


def test_the_new_secret_is_shown_once(owner_client, trader, totp, hmac_key):
    page = roll_on_page(owner_client, trader, totp, hmac_key)
    again = owner_client.get(reverse("apikeys:secret", args=[hmac_key.code]))
    assert again.status_code == 302
    assert page.context["secret"].encode() not in again.content


def test_roll_is_audited_and_e_mailed_without_the_secret(
    owner_client, trader, totp, hmac_key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = roll_on_page(owner_client, trader, totp, hmac_key, grace="24h")
    new_secret = page.context["secret"]
    event = AuditEvent.objects.get(apikey=hmac_key, action="rolled")
    assert event.actor == trader and event.ip
    assert event.changes["old_secret_valid_until"]["after"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "rolled" in message.subject and hmac_key.api_key in message.body
    assert "accepted until" in message.body
    assert new_secret not in message.body and hmac_key.plain_secret not in message.body
    assert new_secret not in json.dumps(event.changes)


def test_another_accounts_key_cannot_be_rolled(outsider_client, outsider, totp, hmac_key):
    response = outsider_client.post(
        reverse("apikeys:roll", args=[hmac_key.code]),
        {"grace": "none", "code": totp.code(outsider)},
    )
    assert response.status_code == 404
    assert ApiKey.objects.get(pk=hmac_key.pk).secret_encrypted == hmac_key.secret_encrypted


def test_a_sub_accounts_key_is_rolled_by_its_parent(owner_client, trader, totp, subaccount):
    apikey = ApiKeyFactory(user=subaccount, ip_whitelist=[f"{BOT_IP}/32"])
    url = reverse("subaccounts:apikey_roll", args=[subaccount.subaccount.code, apikey.code])
    response = owner_client.post(url, {"grace": "1h", "code": totp.code(trader)})
    assert response.status_code == 302
    new_secret = owner_client.get(response["Location"]).context["secret"]
    assert call(signer(apikey, new_secret))[0] == 200
    assert AuditEvent.objects.get(apikey=apikey, action="rolled").actor == trader
