"""Deleting one key: a confirmation page, a code, and the key is gone at once."""

from django.urls import reverse

from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApiKeyFactory


def url(apikey):
    return reverse("apikeys:delete", args=[apikey.code])


def test_get_asks_for_a_code_and_deletes_nothing(owner_client, owner):
    apikey = ApiKeyFactory(user=owner, alias="grid-bot")
    html = owner_client.get(url(apikey)).content.decode()
    assert "grid-bot" in html and "Google Authenticator code" in html
    assert ApiKey.objects.filter(pk=apikey.pk).exists()


def test_delete_with_code_removes_the_key(owner_client, owner, totp):
    apikey = ApiKeyFactory(user=owner)
    response = owner_client.post(url(apikey), {"code": totp.code(owner)})
    assert response["Location"] == reverse("apikeys:index")
    assert not ApiKey.objects.filter(api_key=apikey.api_key).exists()
    event = AuditEvent.objects.get()
    assert event.action == "deleted" and event.ip == "127.0.0.1"


def test_wrong_code_keeps_the_key(owner_client, owner):
    apikey = ApiKeyFactory(user=owner)
    response = owner_client.post(url(apikey), {"code": "000000"})
    assert "Invalid or already used code." in response.content.decode()
    assert ApiKey.objects.filter(pk=apikey.pk).exists()
    assert not AuditEvent.objects.exists()


def test_deleting_twice_is_a_404(owner_client, owner, totp):
    apikey = ApiKeyFactory(user=owner)
    owner_client.post(url(apikey), {"code": totp.code(owner)})
    assert owner_client.post(url(apikey), {"code": totp.code(owner)}).status_code == 404
