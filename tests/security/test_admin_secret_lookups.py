"""No admin page filters on a secret: a changelist lookup answers a guess.

``?id__exact=N&key__startswith=…`` on the TOTP devices' changelist answered "one row"
or "none", which recovers a secret a character at a time (about 280 requests); the
same on the API keys' encrypted secrets. Every registered model admin, django-otp's
included, refuses any lookup that reaches a secret or key-material field, directly
or through a relation.
"""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from config.admin import SECRET_FIELDS
from tests.factories import ApiKeyFactory, UserFactory
from tests.helpers import verified_client, with_2fa

# A name like these holds, or might hold, a secret. Every such field is either in
# config.admin.SECRET_FIELDS or listed here with the reason it is not a secret.
SECRETISH = re.compile(r"key|secret|token|password|seed|private|pem|session|otp", re.I)
NOT_SECRET = {
    "accounts.user.apikeys": "a relation to the user's keys",
    "accounts.user.totpdevice": "a relation to the device, whose key is secret",
    "accounts.user.portal_sessions": "a relation to the sessions list, whose key is secret",
    "apikeys.apikey.api_key": "the key's public identifier, sent with every request",
    "apikeys.apikey.key_type": "HMAC or Ed25519",
    "apikeys.apikey.user_supplied_key": "whether the trader brought the public key",
    "apikeys.auditevent.apikey": "a relation",
    "apikeys.auditevent.key_code": "the key's public code",
    "apikeys.auditevent.key_alias": "the alias",
    "apikeys.auditevent.api_key": "the public identifier",
    "otp_static.staticdevice.token_set": "a relation to the tokens, which are secret",
    "django_otp_webauthn.webauthncredential.public_key": "a passkey's public key: "
    "it verifies signatures, it makes none",
    "api.order.apikey": "a relation",
    "api.withdrawal.apikey": "a relation",
    "apikeys.keyusagehour.apikey": "a relation",
    "apikeys.keyipaddress.apikey": "a relation",
}


def test_every_field_named_like_a_secret_is_declared_one_way_or_the_other():
    undeclared = []
    for model in apps.get_models():
        label = model._meta.label_lower
        for field in model._meta.get_fields():
            name = f"{label}.{field.name}"
            declared = field.name in SECRET_FIELDS.get(label, ()) or name in NOT_SECRET
            if SECRETISH.search(field.name) and not declared:
                undeclared.append(name)
    assert not undeclared, f"secret or not? declare in config.admin.SECRET_FIELDS: {undeclared}"


def secret_paths(model):
    """Every lookup path from ``model`` to a secret field: its own, and one relation away."""
    for name in SECRET_FIELDS.get(model._meta.label_lower, ()):
        yield name
    for field in model._meta.get_fields():
        if field.is_relation and field.related_model is not None:
            for name in SECRET_FIELDS.get(field.related_model._meta.label_lower, ()):
                # A reverse relation's name is the one lookups use (its query name).
                yield f"{field.name}__{name}"


def all_lookups():
    for model, model_admin in admin.site._registry.items():
        for path in secret_paths(model):
            yield model, model_admin, path


def test_the_registry_reaches_the_secrets_that_were_attacked():
    paths = {(m._meta.label_lower, p) for m, _, p in all_lookups()}
    assert ("otp_totp.totpdevice", "key") in paths
    assert ("apikeys.apikey", "secret_encrypted") in paths
    assert ("accounts.user", "password") in paths
    assert ("apikeys.apikey", "user__password") in paths


@pytest.mark.parametrize("suffix", ["", "__startswith", "__exact", "__gt", "__contains"])
def test_no_model_admin_allows_a_lookup_on_a_secret(rf, suffix):
    allowed = []
    for model, model_admin, path in all_lookups():
        request = rf.get("/")
        if model_admin.lookup_allowed(path + suffix, "a", request):
            allowed.append(f"{model._meta.label_lower}: {path}{suffix}")
    assert not allowed, allowed


def test_filtering_the_changelists_on_a_secret_is_refused(db):
    superuser = with_2fa(UserFactory(username="root", is_staff=True, is_superuser=True))
    ApiKeyFactory(user=superuser)
    client = verified_client(Client(), superuser)
    device = superuser.totpdevice_set.get()
    # The attack as it was made: one row or none tells whether the guess is right.
    attack = f"/admin/otp_totp/totpdevice/?id__exact={device.pk}&key__startswith={device.key[0]}"
    assert client.get(attack).status_code == 400
    refused = []
    for model, _admin, path in all_lookups():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(url, {f"{path}__startswith": "a"})
        if response.status_code != 400:
            refused.append(f"{url}?{path}__startswith=a -> {response.status_code}")
    assert not refused, refused


def test_ordinary_filters_still_work(db):
    superuser = with_2fa(UserFactory(username="root", is_staff=True, is_superuser=True))
    client = verified_client(Client(), superuser)
    assert client.get("/admin/apikeys/apikey/", {"key_type": "ed25519"}).status_code == 200
    assert client.get("/admin/accounts/user/", {"is_staff__exact": "1"}).status_code == 200
