"""A parent manages a sub-account's keys with the API Management page functions,
forms and services, under /subaccounts/<code>/api-management/."""

import pytest
from django.urls import reverse

from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApiKeyFactory, ApplicationFactory
from tests.helpers import form_data


def url(name, sub, apikey=None):
    args = [sub.subaccount.code] + ([apikey.code] if apikey else [])
    return reverse(f"subaccounts:apikey_{name}", args=args)


@pytest.fixture
def parent(owner):
    ApplicationFactory.approved(user=owner)
    return owner


def test_parent_creates_a_key_for_the_subaccount_with_their_own_code(
    owner_client, parent, subaccount, totp
):
    response = owner_client.post(url("new", subaccount), form_data(code=totp.code(parent)))
    apikey = ApiKey.objects.get()
    assert (apikey.user, apikey.created_by) == (subaccount, parent)
    assert response["Location"] == url("secret", subaccount, apikey)
    html = owner_client.get(response["Location"]).content.decode()
    assert apikey.secret() in html
    assert url("detail", subaccount, apikey) in html
    event = AuditEvent.objects.get()
    assert (event.owner, event.actor) == (subaccount, parent)


def test_index_lists_the_subaccounts_keys_with_its_own_links(owner_client, parent, subaccount):
    theirs = ApiKeyFactory(user=subaccount, alias="desk-bot")
    own = ApiKeyFactory(user=parent, alias="parent-bot")
    html = owner_client.get(url("index", subaccount)).content.decode()
    assert "desk-bot" in html and "parent-bot" not in html
    assert url("modify", subaccount, theirs) in html
    assert url("new", subaccount) in html and url("delete_all", subaccount) in html
    assert reverse("apikeys:detail", args=[own.code]) not in html


def test_parents_own_key_is_404_under_the_subaccounts_pages(owner_client, parent, subaccount):
    own = ApiKeyFactory(user=parent)
    for name in ["detail", "modify", "delete", "secret"]:
        assert owner_client.get(url(name, subaccount, own)).status_code == 404


def test_modify_and_delete_a_subaccount_key(owner_client, parent, subaccount, totp):
    apikey = ApiKeyFactory(user=subaccount, alias="desk-bot")
    response = owner_client.post(
        url("modify", subaccount, apikey),
        form_data(alias="desk-bot", can_trade="on", code=totp.code(parent)),
    )
    assert response["Location"] == url("detail", subaccount, apikey)
    apikey.refresh_from_db()
    assert apikey.can_trade
    response = owner_client.post(url("delete", subaccount, apikey), {"code": totp.code(parent)})
    assert response["Location"] == url("index", subaccount)
    assert not ApiKey.objects.exists()


def test_limit_and_alias_are_per_subaccount(owner_client, parent, subaccount, totp, settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 1
    ApiKeyFactory(user=parent, alias="grid-bot")
    response = owner_client.post(
        url("new", subaccount), form_data(alias="grid-bot", code=totp.code(parent))
    )
    assert response.status_code == 302
    assert subaccount.apikeys.get().alias == "grid-bot"
