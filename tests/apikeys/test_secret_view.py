"""The once-only secret page."""

import time

from django.urls import reverse

from apikeys import keys, views
from apikeys.models import ApiKey
from tests.factories import ApiKeyFactory


def created(create_key_via_page, **fields):
    response = create_key_via_page(**fields)
    return ApiKey.objects.get(), response["Location"]


def test_secret_is_shown_once_with_copy_buttons(owner_client, create_key_via_page):
    apikey, url = created(create_key_via_page)
    response = owner_client.get(url)
    html = response.content.decode()
    secret = apikey.secret()
    assert response.status_code == 200
    assert secret in html and apikey.api_key in html
    assert 'data-copy="#new-secret"' in html and 'data-copy="#new-api-key"' in html
    assert "It will never be shown again" in html
    assert keys.is_well_formed_secret(secret)


def test_secret_page_is_never_cached(owner_client, create_key_via_page):
    _apikey, url = created(create_key_via_page)
    assert "no-store" in owner_client.get(url)["Cache-Control"]


def test_reload_shows_the_secret_no_more(owner_client, create_key_via_page):
    apikey, url = created(create_key_via_page)
    owner_client.get(url)
    response = owner_client.get(url, follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(reverse("apikeys:detail", args=[apikey.code]), 302)]
    assert apikey.secret() not in html
    assert "shown only once" in html


def test_secret_leaves_the_session_as_it_is_rendered(owner_client, create_key_via_page):
    _apikey, url = created(create_key_via_page)
    assert views.SECRET_TO_SHOW in owner_client.session
    owner_client.get(url)
    assert views.SECRET_TO_SHOW not in owner_client.session


def test_session_holds_the_secret_only_encrypted(owner_client, create_key_via_page):
    apikey, _url = created(create_key_via_page)
    stashed = owner_client.session[views.SECRET_TO_SHOW]
    assert apikey.secret() not in str(stashed)


def test_secret_not_collected_in_time_is_gone(owner_client, create_key_via_page, monkeypatch):
    apikey, url = created(create_key_via_page)
    later = time.time() + views.SECRET_TO_SHOW_SECONDS + 5
    monkeypatch.setattr("cryptography.fernet.time.time", lambda: later)
    html = owner_client.get(url, follow=True).content.decode()
    assert apikey.secret() not in html and "time is up" in html


def test_another_keys_page_does_not_spend_the_stashed_secret(
    owner_client, create_key_via_page, trader
):
    apikey, url = created(create_key_via_page)
    other = ApiKeyFactory(user=trader)
    owner_client.get(reverse("apikeys:secret", args=[other.code]))
    assert apikey.secret() in owner_client.get(url).content.decode()


def test_generated_ed25519_private_key_is_shown_once_as_pem(owner_client, create_key_via_page):
    _apikey, url = created(create_key_via_page, key_choice="ed25519")
    html = owner_client.get(url).content.decode()
    assert "-----BEGIN PRIVATE KEY-----" in html and "Private Key (PEM)" in html
    assert "-----BEGIN PRIVATE KEY-----" not in owner_client.get(url, follow=True).content.decode()


def test_own_public_key_page_shows_the_api_key_and_no_secret(owner_client, create_key_via_page):
    _private, public_pem = keys.new_ed25519_pair()
    apikey, url = created(create_key_via_page, key_choice="ed25519-own", public_key=public_pem)
    html = owner_client.get(url).content.decode()
    assert apikey.api_key in html and "We never had it" in html


def test_page_shows_the_normalised_whitelist(owner_client, create_key_via_page):
    _apikey, url = created(create_key_via_page, ip_whitelist="192.0.2.0-192.0.2.255 192.0.2.7")
    html = owner_client.get(url).content.decode()
    assert "<span>192.0.2.0/24</span>" in html


def test_unrestricted_key_page_warns_and_names_the_expiry(owner_client, create_key_via_page):
    apikey, url = created(create_key_via_page, ip_whitelist="")
    html = owner_client.get(url).content.decode()
    assert "Unrestricted" in html and f"{apikey.expires_at:%Y-%m-%d %H:%M}" in html
