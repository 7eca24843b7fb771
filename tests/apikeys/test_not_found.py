"""Another account's key is a 404 on every key URL, for GET and POST, and stays untouched."""

import pytest
from django.urls import reverse

from apikeys.models import ApiKey, AuditEvent
from apikeys.views import SECRET_TO_SHOW
from tests.factories import ApiKeyFactory
from tests.helpers import form_data

KEY_PAGES = ["detail", "secret", "modify", "delete"]


@pytest.fixture
def their_key(outsider):
    return ApiKeyFactory(user=outsider, alias="theirs", ip_whitelist=["203.0.113.7/32"])


def assert_untouched(apikey):
    fresh = ApiKey.objects.get(pk=apikey.pk)
    assert (fresh.alias, fresh.permissions, fresh.ip_whitelist) == (
        apikey.alias,
        apikey.permissions,
        apikey.ip_whitelist,
    )


@pytest.mark.parametrize("name", KEY_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_accounts_key_is_404(owner_client, owner, their_key, totp, name, method):
    url = reverse(f"apikeys:{name}", args=[their_key.code])
    data = form_data(alias="hijacked", can_trade="on", code=totp.code(owner))
    response = getattr(owner_client, method)(url, data if method == "post" else None)
    # The read-only key page refuses POST (405) before any lookup: it tells nothing.
    read_only_post = name == "detail" and method == "post"
    assert response.status_code == (405 if read_only_post else 404)
    assert_untouched(their_key)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("name", KEY_PAGES)
def test_subaccounts_key_is_404_on_the_parents_own_pages(owner_client, owner, subaccount, name):
    apikey = ApiKeyFactory(user=subaccount)
    assert owner_client.get(reverse(f"apikeys:{name}", args=[apikey.code])).status_code == 404


@pytest.mark.parametrize("name", KEY_PAGES)
def test_unknown_code_is_404_like_another_accounts(owner_client, name):
    url = reverse(f"apikeys:{name}", args=["00000000-0000-4000-8000-000000000000"])
    assert owner_client.get(url).status_code == 404


def test_their_secret_page_is_404_even_with_their_stash_in_my_session(owner_client, their_key):
    session = owner_client.session
    session[SECRET_TO_SHOW] = {"tag": str(their_key.code), "sealed": "x"}
    session.save()
    url = reverse("apikeys:secret", args=[their_key.code])
    assert owner_client.get(url).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_delete_all_never_reaches_other_accounts(owner_client, owner, their_key, totp, method):
    ApiKeyFactory(user=owner)
    getattr(owner_client, method)(reverse("apikeys:delete_all"), {"code": totp.code(owner)})
    assert_untouched(their_key)


def test_page_lists_no_link_to_their_keys(owner_client, their_key):
    html = owner_client.get(reverse("apikeys:index")).content.decode()
    assert str(their_key.code) not in html
