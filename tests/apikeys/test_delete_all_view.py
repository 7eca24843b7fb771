""" "Delete all": every key of the account, with one code, in one transaction."""

from django.urls import reverse

from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApiKeyFactory

URL = reverse("apikeys:delete_all")


def test_get_lists_what_will_go(owner_client, owner):
    keys = ApiKeyFactory.create_batch(2, user=owner)
    html = owner_client.get(URL).content.decode()
    assert all(apikey.alias in html for apikey in keys)
    assert "Delete all 2 keys" in html
    assert owner.apikeys.count() == 2


def test_delete_all_with_code(owner_client, owner, outsider, totp):
    ApiKeyFactory.create_batch(3, user=owner)
    theirs = ApiKeyFactory(user=outsider)
    response = owner_client.post(URL, {"code": totp.code(owner)}, follow=True)
    assert "All 3 API keys deleted." in response.content.decode()
    assert list(ApiKey.objects.all()) == [theirs]
    assert AuditEvent.objects.get().action == "deleted_all"


def test_wrong_code_deletes_nothing(owner_client, owner):
    ApiKeyFactory.create_batch(2, user=owner)
    response = owner_client.post(URL, {"code": "000000"})
    assert "Invalid or already used code." in response.content.decode()
    assert owner.apikeys.count() == 2


def test_nothing_to_delete_goes_back_to_the_list(owner_client, owner):
    response = owner_client.get(URL)
    assert response["Location"] == reverse("apikeys:index")
