"""services.modify_key: what changes, what is recorded, and the expiry clock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.models import AuditEvent
from apikeys.services import KeyRefused, modify_key
from apikeys.whitelist import IpWhitelist
from tests.factories import ApiKeyFactory


def modify(apikey, **changes):
    fields = {
        "alias": apikey.alias,
        "can_trade": apikey.can_trade,
        "can_withdraw": apikey.can_withdraw,
        "whitelist": IpWhitelist.from_blocks(apikey.ip_whitelist),
    }
    fields.update(changes)
    return modify_key(owner=apikey.user, actor=apikey.user, apikey=apikey, **fields)


def test_alias_permissions_and_whitelist_change(owner):
    apikey = ApiKeyFactory(user=owner, alias="old")
    modify(apikey, alias="new", can_trade=True, whitelist=IpWhitelist.parse("203.0.113.7"))
    apikey.refresh_from_db()
    assert apikey.alias == "new"
    assert apikey.permissions == ["read", "trade"]
    assert apikey.ip_whitelist == ["203.0.113.7/32"]


def test_change_is_recorded_before_and_after(owner):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"])
    changes = modify(
        apikey, can_trade=True, whitelist=IpWhitelist.parse("198.51.100.0/24"), now=timezone.now()
    )
    event = AuditEvent.objects.get()
    assert event.action == "modified" and event.apikey == apikey
    assert event.changes == changes
    assert changes == {
        "permissions": {"before": ["read"], "after": ["read", "trade"]},
        "ip_whitelist": {"before": ["203.0.113.7/32"], "after": ["198.51.100.0/24"]},
    }


def test_event_reads_before_and_after_for_people(owner):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"])
    modify(apikey, can_trade=True, whitelist=IpWhitelist.parse("198.51.100.0/24"))
    rows = AuditEvent.objects.get().change_rows()
    assert ("Permissions", "Read", "Read, Trade") in rows
    assert ("Whitelist IP", "203.0.113.7", "198.51.100.0/24") in rows


def test_nothing_changed_records_nothing(owner):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"])
    assert modify(apikey) == {}
    assert not AuditEvent.objects.exists()


def test_removing_the_whitelist_restarts_the_expiry(owner, settings):
    settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS = 90
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"], expires_at=None)
    now = timezone.now() + timedelta(days=200)
    changes = modify(apikey, whitelist=IpWhitelist(), now=now)
    apikey.refresh_from_db()
    assert apikey.expires_at == now + timedelta(days=90)
    assert changes["expires_at"]["before"] is None
    assert ("Expires", "Never", f"{(now + timedelta(days=90)):%Y-%m-%d %H:%M} UTC") in (
        AuditEvent.objects.get().change_rows()
    )


def test_adding_a_whitelist_clears_the_expiry(owner):
    apikey = ApiKeyFactory(user=owner, expires_at=timezone.now() + timedelta(days=3))
    modify(apikey, whitelist=IpWhitelist.parse("203.0.113.7"))
    apikey.refresh_from_db()
    assert apikey.expires_at is None


def test_changing_an_existing_whitelist_keeps_no_expiry(owner):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"], expires_at=None)
    modify(apikey, whitelist=IpWhitelist.parse("203.0.113.8"))
    apikey.refresh_from_db()
    assert apikey.expires_at is None


def test_an_unrestricted_key_keeps_its_expiry_when_other_fields_change(owner):
    expires = timezone.now() + timedelta(days=30)
    apikey = ApiKeyFactory(user=owner, expires_at=expires)
    modify(apikey, alias="renamed", can_trade=True)
    apikey.refresh_from_db()
    assert apikey.expires_at == expires


def test_withdraw_without_whitelist_is_refused(owner):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"], can_withdraw=True)
    with pytest.raises(KeyRefused):
        modify(apikey, whitelist=IpWhitelist())
    apikey.refresh_from_db()
    assert apikey.ip_whitelist == ["203.0.113.7/32"]


def test_alias_of_another_key_is_refused_but_its_own_is_fine(owner):
    ApiKeyFactory(user=owner, alias="taken")
    apikey = ApiKeyFactory(user=owner, alias="mine")
    with pytest.raises(KeyRefused):
        modify(apikey, alias="TAKEN")
    modify(apikey, alias="Mine")
    apikey.refresh_from_db()
    assert apikey.alias == "Mine"


def test_key_of_another_owner_cannot_be_modified(owner, outsider):
    apikey = ApiKeyFactory(user=outsider)
    with pytest.raises(apikey.DoesNotExist):
        modify_key(
            owner=owner,
            actor=owner,
            apikey=apikey,
            alias="x",
            can_trade=True,
            can_withdraw=False,
            whitelist=None,
        )


def test_event_rows_come_in_a_fixed_order_whatever_the_json_order(owner):
    event = AuditEvent(
        owner=owner,
        action="modified",
        changes={
            "expires_at": {"before": None, "after": "2027-07-01T00:00:00+00:00"},
            "ip_whitelist": {"before": [], "after": ["203.0.113.7/32"]},
            "alias": {"before": "a", "after": "b"},
            "permissions": {"before": ["read"], "after": ["read", "trade"]},
        },
    )
    labels = [label for label, _before, _after in event.change_rows()]
    assert labels == ["Alias Name", "Permissions", "Whitelist IP", "Expires"]
