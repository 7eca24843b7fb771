"""A key made on the page works on the signed REST API as promised, and a deleted or
modified key stops working at once."""

import json

from django.test import Client
from django.urls import reverse

from api.client import Client as ApiClient
from apikeys.models import ApiKey

BOT_IP = "203.0.113.7"


def created_key(owner_client, create_key_via_page, **fields):
    """Create on the page and collect the secret from the page that shows it once."""
    location = create_key_via_page(**fields)["Location"]
    secret = owner_client.get(location).context["secret"]
    return ApiKey.objects.get(), secret


def call(apikey, secret, path="/api/v1/key", ip=BOT_IP):
    signer = ApiClient("http://testserver", api_key=apikey.api_key, secret=secret)
    response = Client().get(path, headers=signer.signed_headers("GET", path), REMOTE_ADDR=ip)
    return response.status_code, json.loads(response.content)


def test_new_key_works_from_its_whitelist_only(owner_client, create_key_via_page):
    apikey, secret = created_key(owner_client, create_key_via_page, ip_whitelist=BOT_IP)
    assert call(apikey, secret)[0] == 200
    status, body = call(apikey, secret, ip="198.51.100.1")
    assert (status, body["error"]["code"]) == (403, "ip_not_allowed")


def test_deleted_key_can_never_authenticate_again(owner_client, create_key_via_page, trader, totp):
    apikey, secret = created_key(owner_client, create_key_via_page, ip_whitelist=BOT_IP)
    owner_client.post(reverse("apikeys:delete", args=[apikey.code]), {"code": totp.code(trader)})
    status, body = call(apikey, secret)
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")


def test_deleted_all_keys_can_never_authenticate_again(
    owner_client, create_key_via_page, trader, totp
):
    apikey, secret = created_key(owner_client, create_key_via_page, ip_whitelist=BOT_IP)
    owner_client.post(reverse("apikeys:delete_all"), {"code": totp.code(trader)})
    assert call(apikey, secret)[0] == 401


def test_modified_whitelist_applies_at_once(owner_client, create_key_via_page, trader, totp):
    apikey, secret = created_key(owner_client, create_key_via_page, ip_whitelist=BOT_IP)
    owner_client.post(
        reverse("apikeys:modify", args=[apikey.code]),
        {"alias": apikey.alias, "ip_whitelist": "198.51.100.0/24", "code": totp.code(trader)},
    )
    assert call(apikey, secret)[0] == 403
    assert call(apikey, secret, ip="198.51.100.20")[0] == 200
