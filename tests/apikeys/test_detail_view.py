"""One key's page: details and its audit trail."""

from django.urls import reverse

from apikeys.models import AuditEvent
from tests.factories import ApiKeyFactory


def detail(client, apikey) -> str:
    response = client.get(reverse("apikeys:detail", args=[apikey.code]))
    assert response.status_code == 200
    return response.content.decode()


def test_shows_the_key_and_links_to_modify_and_delete(owner_client, owner):
    apikey = ApiKeyFactory(
        user=owner, alias="grid-bot", can_trade=True, ip_whitelist=["203.0.113.7/32"]
    )
    html = detail(owner_client, apikey)
    assert "grid-bot" in html and apikey.api_key in html and "203.0.113.7" in html
    assert reverse("apikeys:modify", args=[apikey.code]) in html
    assert reverse("apikeys:delete", args=[apikey.code]) in html
    assert apikey.plain_secret not in html and apikey.secret_encrypted not in html
    assert (
        "Shown once, when it was made" in html and "“Roll secret” gives this key a new one" in html
    )


def test_ed25519_key_shows_its_public_key(owner_client, owner):
    apikey = ApiKeyFactory(user=owner, ed25519=True)
    html = detail(owner_client, apikey)
    assert "-----BEGIN PUBLIC KEY-----" in html
    assert "PRIVATE KEY" not in html


def test_unrestricted_key_warns(owner_client, owner):
    html = detail(owner_client, ApiKeyFactory(user=owner))
    assert 'data-testid="unrestricted-warning"' in html


def test_trail_lists_the_keys_events_with_changes(owner_client, owner):
    apikey = ApiKeyFactory(user=owner)
    AuditEvent.objects.create(
        owner=owner,
        actor=owner,
        apikey=apikey,
        key_code=apikey.code,
        key_alias=apikey.alias,
        action="modified",
        ip="198.51.100.4",
        changes={"permissions": {"before": ["read"], "after": ["read", "trade"]}},
    )
    other = ApiKeyFactory(user=owner)
    AuditEvent.objects.create(
        owner=owner,
        actor=owner,
        apikey=other,
        key_code=other.code,
        key_alias="other-key",
        action="created",
    )
    html = detail(owner_client, apikey)
    assert "<del>Read</del>" in html and "<ins>Read, Trade</ins>" in html
    assert "198.51.100.4" in html and "other-key" not in html
