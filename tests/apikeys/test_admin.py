"""The admin shows keys and their trail read-only, and never a secret."""

import pytest
from django.test import Client

from apikeys.models import AuditEvent
from tests.factories import ApiKeyFactory, UserFactory
from tests.helpers import verified_client, with_2fa


@pytest.fixture
def admin_client(db):
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    return verified_client(Client(), admin)


def test_key_pages_show_no_secret(admin_client, owner):
    apikey = ApiKeyFactory(user=owner)
    for url in ["/admin/apikeys/apikey/", f"/admin/apikeys/apikey/{apikey.pk}/change/"]:
        response = admin_client.get(url)
        html = response.content.decode()
        assert response.status_code == 200
        assert apikey.api_key in html
        assert apikey.plain_secret not in html
        assert apikey.secret_encrypted not in html
        assert apikey.secret_encrypted[:20] not in html


def test_search_by_api_key(admin_client, owner):
    apikey = ApiKeyFactory(user=owner, alias="findme")
    html = admin_client.get("/admin/apikeys/apikey/", {"q": apikey.api_key}).content.decode()
    assert "findme" in html


def test_keys_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, owner):
    apikey = ApiKeyFactory(user=owner)
    assert admin_client.get("/admin/apikeys/apikey/add/").status_code == 403
    response = admin_client.post(
        f"/admin/apikeys/apikey/{apikey.pk}/change/", {"alias": "renamed", "can_withdraw": "on"}
    )
    assert response.status_code == 403
    assert (
        admin_client.post(f"/admin/apikeys/apikey/{apikey.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    apikey.refresh_from_db()
    assert apikey.alias != "renamed"


def test_audit_trail_is_readable(admin_client, owner):
    AuditEvent.objects.create(owner=owner, actor=owner, action="created", key_alias="grid-bot")
    html = admin_client.get("/admin/apikeys/auditevent/").content.decode()
    assert "grid-bot" in html
