"""The usage panel on a key's page, and "Add to whitelist" for an IP the key was used from."""

import re

import pytest
from django.urls import reverse

from apikeys import usage
from apikeys.models import AuditEvent
from tests.factories import ApiKeyFactory, SubaccountFactory

pytestmark = pytest.mark.django_db

USED_IP = "198.51.100.23"


def detail_url(key):
    return reverse("apikeys:detail", args=[key.code])


def add_url(key):
    if key.user.is_subaccount:
        sub_code = key.user.subaccount.code
        return reverse("subaccounts:apikey_whitelist_used_ip", args=[sub_code, key.code])
    return reverse("apikeys:whitelist_used_ip", args=[key.code])


@pytest.fixture
def used_key(owner):
    key = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.0/24"])
    usage.record_request(key, USED_IP)
    usage.record_request(key, "203.0.113.9")
    return key


def test_key_page_shows_requests_chart_and_used_ips(owner_client, used_key):
    page = owner_client.get(detail_url(used_key)).content.decode()
    assert 'data-testid="key-usage"' in page
    assert 'data-testid="usage-chart"' in page
    assert "<svg" in page and "2 requests in the last 24 hours" in page
    assert USED_IP in page
    assert 'value="198.51.100.23">Add to whitelist' in page
    assert "Whitelisted" in page  # 203.0.113.9 is inside the /24


def test_add_used_ip_to_the_whitelist_with_a_code(owner_client, owner, used_key, totp):
    response = owner_client.post(
        add_url(used_key), {"ip": USED_IP, "code": totp.code(owner), "next": detail_url(used_key)}
    )
    assert response.status_code == 302
    assert response["Location"] == detail_url(used_key)
    used_key.refresh_from_db()
    assert used_key.ip_whitelist == ["198.51.100.23/32", "203.0.113.0/24"]
    event = AuditEvent.objects.get(apikey=used_key, action=AuditEvent.Action.MODIFIED)
    assert event.actor == owner


def test_wrong_code_changes_nothing(owner_client, used_key):
    response = owner_client.post(add_url(used_key), {"ip": USED_IP, "code": "000000"}, follow=True)
    used_key.refresh_from_db()
    assert used_key.ip_whitelist == ["203.0.113.0/24"]
    assert "Invalid or already used code" in response.content.decode()


def test_an_ip_the_key_was_never_used_from_is_refused(owner_client, owner, used_key, totp):
    owner_client.post(add_url(used_key), {"ip": "192.0.2.99", "code": totp.code(owner)})
    used_key.refresh_from_db()
    assert used_key.ip_whitelist == ["203.0.113.0/24"]


def test_adding_to_an_unrestricted_key_restricts_it_and_ends_its_expiry(owner_client, owner, totp):
    from datetime import timedelta

    from django.utils import timezone

    key = ApiKeyFactory(user=owner, expires_at=timezone.now() + timedelta(days=90))
    usage.record_request(key, USED_IP)
    owner_client.post(add_url(key), {"ip": USED_IP, "code": totp.code(owner)})
    key.refresh_from_db()
    assert key.ip_whitelist == ["198.51.100.23/32"]
    assert key.expires_at is None


def test_another_accounts_key_is_404(outsider_client, used_key):
    response = outsider_client.post(add_url(used_key), {"ip": USED_IP, "code": "123456"})
    assert response.status_code == 404


def test_parent_can_whitelist_for_its_sub_accounts_key(owner_client, owner, totp):
    key = ApiKeyFactory(user=SubaccountFactory(parent=owner), ip_whitelist=["203.0.113.0/24"])
    usage.record_request(key, USED_IP)
    owner_client.post(add_url(key), {"ip": USED_IP, "code": totp.code(owner)})
    key.refresh_from_db()
    assert "198.51.100.23/32" in key.ip_whitelist


def test_next_outside_the_site_is_ignored(owner_client, owner, used_key, totp):
    response = owner_client.post(
        add_url(used_key), {"ip": USED_IP, "code": totp.code(owner), "next": "https://evil.test/"}
    )
    assert response["Location"] == detail_url(used_key)


def test_get_is_not_allowed(owner_client, used_key):
    assert owner_client.get(add_url(used_key)).status_code == 405


def test_sub_accounts_key_page_shows_the_panel_and_comes_back_to_it(owner_client, owner, totp):
    from subaccounts.models import Subaccount

    sub = SubaccountFactory(parent=owner)
    handle = Subaccount.objects.get(user=sub)
    key = ApiKeyFactory(user=sub, ip_whitelist=["203.0.113.0/24"])
    usage.record_request(key, USED_IP)
    page_url = reverse("subaccounts:apikey_detail", args=[handle.code, key.code])
    page = owner_client.get(page_url).content.decode()
    assert 'data-testid="key-usage"' in page
    assert f'name="next" value="{page_url}"' in page
    response = owner_client.post(
        add_url(key), {"ip": USED_IP, "code": totp.code(owner), "next": page_url}
    )
    assert response["Location"] == page_url


def test_a_key_never_used_has_no_busiest_hour(owner_client, owner):
    apikey = ApiKeyFactory(user=owner)
    html = owner_client.get(reverse("apikeys:detail", args=[apikey.code])).content.decode()
    busiest = re.search(r'data-testid="busiest-hour">([^<]*)<', html).group(1)
    assert busiest == "—"
    assert "No requests in the last 24 hours." in html
