"""The API Management page: gate, usage, the list of keys, recent activity, queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apikeys.models import AuditEvent
from tests.factories import ApiKeyFactory, ApplicationFactory, UserFactory

INDEX = reverse("apikeys:index")


def page(client) -> str:
    response = client.get(INDEX)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_approved_trader_with_2fa_gets_create_api(owner_client, trader):
    html = page(owner_client)
    assert f'href="{reverse("apikeys:new")}"' in html
    assert 'data-testid="create-requirements"' not in html


def test_without_2fa_the_page_says_to_turn_it_on(client, db):
    user = UserFactory()
    ApplicationFactory.approved(user=user)
    client.force_login(user)
    html = page(client)
    assert reverse("apikeys:new") not in html
    assert "Two-factor authentication" in html and "is off" in html


def test_without_approval_the_page_says_the_application_is_missing(owner_client, owner):
    html = page(owner_client)
    assert reverse("apikeys:new") not in html
    assert 'data-testid="create-requirements"' in html
    assert "API trading application" in html and "is not approved yet" in html


def test_pending_application_is_named(owner_client, owner):
    ApplicationFactory(user=owner)
    assert "is not approved yet (under review)" in page(owner_client)


def test_usage_shows_keys_of_the_limit(owner_client, trader, settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 10
    ApiKeyFactory.create_batch(3, user=trader)
    assert "<strong>3</strong> of 10" in page(owner_client)


def test_at_the_limit_create_api_is_off_and_the_page_says_why(owner_client, trader, settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 2
    ApiKeyFactory.create_batch(2, user=trader)
    html = page(owner_client)
    assert reverse("apikeys:new") not in html
    assert "Key limit reached" in html and "2 of 2" in html


def test_empty_list_invites_to_create(owner_client, trader):
    html = page(owner_client)
    assert 'data-testid="keys-empty"' in html and "Delete all" not in html


def test_keys_are_listed_newest_first_with_their_details(owner_client, trader):
    now = timezone.now()
    old = ApiKeyFactory(user=trader, alias="old-bot", created_at=now - timedelta(days=2))
    new = ApiKeyFactory(
        user=trader,
        alias="new-bot",
        can_trade=True,
        can_withdraw=True,
        ip_whitelist=["203.0.113.7/32", "198.51.100.0/24"],
        created_at=now,
    )
    html = page(owner_client)
    assert html.index("new-bot") < html.index("old-bot")
    assert new.api_key in html and old.api_key in html
    assert f'data-copy="#apikey-{new.code}"' in html
    assert "203.0.113.7<" in html and "198.51.100.0/24" in html
    for badge in ("Read", "Trade", "Withdraw"):
        assert f">{badge}</span>" in html
    assert "HMAC-SHA256" in html
    assert "Delete all" in html
    assert reverse("apikeys:modify", args=[new.code]) in html
    assert reverse("apikeys:delete", args=[new.code]) in html


def test_unrestricted_key_shows_a_warning_and_its_expiry(owner_client, trader):
    expires = timezone.now() + timedelta(days=90)
    ApiKeyFactory(user=trader, expires_at=expires)
    html = page(owner_client)
    assert "Unrestricted" in html
    assert f'Any IP can use it, until <span class="nowrap">{expires:%Y-%m-%d}<' in html


def test_expired_key_is_marked(owner_client, trader):
    ApiKeyFactory(user=trader, expires_at=timezone.now() - timedelta(days=1))
    assert "Expired" in page(owner_client)


def test_only_the_accounts_own_keys_are_listed(owner_client, trader, outsider, subaccount):
    theirs = ApiKeyFactory(user=outsider)
    subs = ApiKeyFactory(user=subaccount)
    html = page(owner_client)
    assert theirs.api_key not in html and subs.api_key not in html


def test_no_secret_on_the_page(owner_client, trader):
    apikey = ApiKeyFactory(user=trader)
    html = page(owner_client)
    assert apikey.plain_secret not in html and apikey.secret_encrypted not in html


def test_recent_activity_includes_deleted_keys(owner_client, trader):
    AuditEvent.objects.create(
        owner=trader,
        actor=trader,
        action="deleted",
        key_alias="gone-bot",
        ip="198.51.100.4",
        changes={"permissions": {"before": ["read"], "after": None}},
    )
    html = page(owner_client)
    assert "Recent activity" in html
    assert "gone-bot" in html and "(deleted)" in html and "198.51.100.4" in html


def test_recent_activity_shows_before_and_after(owner_client, trader):
    apikey = ApiKeyFactory(user=trader)
    AuditEvent.objects.create(
        owner=trader,
        actor=trader,
        apikey=apikey,
        key_code=apikey.code,
        key_alias=apikey.alias,
        action="modified",
        changes={"ip_whitelist": {"before": [], "after": ["203.0.113.7/32"]}},
    )
    html = page(owner_client)
    assert "<del>Unrestricted</del>" in html and "<ins>203.0.113.7</ins>" in html
    assert reverse("apikeys:detail", args=[apikey.code]) in html


def test_recent_activity_is_the_accounts_own(owner_client, trader, outsider):
    AuditEvent.objects.create(owner=outsider, actor=outsider, action="created", key_alias="theirs")
    assert "theirs" not in page(owner_client)


def queries_for_page(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        page(client)
    return len(captured)


def test_page_queries_stay_the_same_whatever_the_number_of_keys(
    owner_client, trader, settings, django_assert_max_num_queries
):
    settings.APIKEY_MAX_PER_ACCOUNT = 50
    ApiKeyFactory(user=trader)
    one_key = queries_for_page(owner_client)
    for apikey in ApiKeyFactory.create_batch(
        20, user=trader, ip_whitelist=["203.0.113.7/32"], last_used_at=timezone.now()
    ):
        AuditEvent.objects.create(
            owner=trader,
            actor=trader,
            apikey=apikey,
            key_code=apikey.code,
            key_alias=apikey.alias,
            action="created",
        )
    with django_assert_max_num_queries(one_key):
        page(owner_client)
    assert one_key <= 12, "a handful: session, user, 2FA device, application, keys, events"


@pytest.mark.parametrize("count", [0, 1, 10])
def test_page_query_count_is_bounded(owner_client, trader, count, django_assert_max_num_queries):
    ApiKeyFactory.create_batch(count, user=trader)
    with django_assert_max_num_queries(12):
        page(owner_client)
