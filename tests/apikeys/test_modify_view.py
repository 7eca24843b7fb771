"""The Modify page: prefilled, validated like create, confirmed with a code."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apikeys.models import AuditEvent
from tests.factories import ApiKeyFactory
from tests.helpers import form_data


def url(apikey):
    return reverse("apikeys:modify", args=[apikey.code])


def test_form_is_prefilled_with_the_key(owner_client, owner):
    apikey = ApiKeyFactory(
        user=owner,
        alias="grid-bot",
        can_trade=True,
        ip_whitelist=["198.51.100.0/24", "203.0.113.7/32"],
    )
    html = owner_client.get(url(apikey)).content.decode()
    assert 'value="grid-bot"' in html
    assert "198.51.100.0/24\n203.0.113.7</textarea>" in html
    assert 'name="can_trade" id="id_can_trade" checked' in html
    assert "Key type" not in html, "the key material never changes"


def test_modify_saves_and_records_and_returns_to_the_key(owner_client, owner, totp):
    apikey = ApiKeyFactory(
        user=owner, alias="grid-bot", expires_at=timezone.now() + timedelta(days=9)
    )
    response = owner_client.post(
        url(apikey),
        form_data(
            alias="grid-bot", can_trade="on", ip_whitelist="203.0.113.7", code=totp.code(owner)
        ),
    )
    assert response["Location"] == reverse("apikeys:detail", args=[apikey.code])
    apikey.refresh_from_db()
    assert apikey.permissions == ["read", "trade"] and apikey.ip_whitelist == ["203.0.113.7/32"]
    assert apikey.expires_at is None
    event = AuditEvent.objects.get()
    assert event.ip == "127.0.0.1" and event.actor == owner
    assert set(event.changes) == {"permissions", "ip_whitelist", "expires_at"}


def test_removing_the_whitelist_restarts_expiry(owner_client, owner, totp):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"])
    owner_client.post(url(apikey), form_data(alias=apikey.alias, code=totp.code(owner)))
    apikey.refresh_from_db()
    assert apikey.ip_whitelist == [] and apikey.expires_at > timezone.now()


def test_bad_whitelist_is_refused_with_the_input_kept(owner_client, owner, totp):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"])
    typed = "203.0.113.7, 0.0.0.0/0"
    response = owner_client.post(
        url(apikey), form_data(alias=apikey.alias, ip_whitelist=typed, code=totp.code(owner))
    )
    html = response.content.decode()
    assert "“0.0.0.0/0” allows every IPv4 address" in html
    assert f"{typed}</textarea>" in html
    apikey.refresh_from_db()
    assert apikey.ip_whitelist == ["203.0.113.7/32"]


def test_wrong_code_changes_nothing(owner_client, owner):
    apikey = ApiKeyFactory(user=owner, alias="grid-bot")
    owner_client.post(url(apikey), form_data(alias="renamed", can_trade="on", code="000000"))
    apikey.refresh_from_db()
    assert (apikey.alias, apikey.can_trade) == ("grid-bot", False)
    assert not AuditEvent.objects.exists()


def test_withdraw_needs_a_whitelist(owner_client, owner, totp):
    apikey = ApiKeyFactory(user=owner)
    response = owner_client.post(
        url(apikey), form_data(alias=apikey.alias, can_withdraw="on", code=totp.code(owner))
    )
    assert "Withdraw needs an IP whitelist" in response.content.decode()
    apikey.refresh_from_db()
    assert not apikey.can_withdraw


def test_nothing_changed_says_so(owner_client, owner, totp):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"])
    response = owner_client.post(
        url(apikey),
        form_data(alias=apikey.alias, ip_whitelist="203.0.113.7", code=totp.code(owner)),
        follow=True,
    )
    assert "Nothing changed." in response.content.decode()
