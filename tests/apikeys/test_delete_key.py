"""services.delete_key and delete_all_keys: revoked at once, recorded, announced."""

import pytest
from django.core import mail

from apikeys.models import ApiKey, AuditEvent
from apikeys.services import delete_all_keys, delete_key
from tests.factories import ApiKeyFactory


def test_deleted_key_is_gone_so_it_can_never_authenticate(owner):
    apikey = ApiKeyFactory(user=owner)
    delete_key(owner=owner, actor=owner, apikey=apikey, ip="198.51.100.4")
    assert not ApiKey.objects.filter(api_key=apikey.api_key).exists()


def test_deletion_trail_survives_the_key(owner):
    apikey = ApiKeyFactory(user=owner, alias="grid-bot", can_trade=True)
    delete_key(owner=owner, actor=owner, apikey=apikey, ip="198.51.100.4")
    event = AuditEvent.objects.get()
    assert event.action == "deleted" and event.apikey is None
    assert (event.key_code, event.key_alias, event.api_key) == (
        apikey.code,
        "grid-bot",
        apikey.api_key,
    )
    assert event.ip == "198.51.100.4"
    assert event.changes["permissions"] == {"before": ["read", "trade"], "after": None}


def test_earlier_events_of_the_key_survive_its_deletion(owner):
    apikey = ApiKeyFactory(user=owner)
    AuditEvent.objects.create(
        owner=owner,
        actor=owner,
        apikey=apikey,
        key_code=apikey.code,
        key_alias=apikey.alias,
        action="created",
    )
    delete_key(owner=owner, actor=owner, apikey=apikey)
    assert AuditEvent.objects.filter(key_code=apikey.code).count() == 2


def test_delete_sends_an_email_without_secret(owner, django_capture_on_commit_callbacks):
    apikey = ApiKeyFactory(user=owner, alias="grid-bot")
    with django_capture_on_commit_callbacks(execute=True):
        delete_key(owner=owner, actor=owner, apikey=apikey, ip="198.51.100.4")
    (message,) = mail.outbox
    assert message.subject == "API key “grid-bot” deleted" and "198.51.100.4" in message.body
    assert apikey.plain_secret not in message.body


def test_delete_of_another_owners_key_is_refused(owner, outsider):
    apikey = ApiKeyFactory(user=outsider)
    with pytest.raises(ApiKey.DoesNotExist):
        delete_key(owner=owner, actor=owner, apikey=apikey)
    assert ApiKey.objects.filter(pk=apikey.pk).exists()


def test_delete_all_removes_every_key_of_the_account_only(owner, outsider, subaccount):
    ApiKeyFactory.create_batch(3, user=owner)
    theirs = ApiKeyFactory(user=outsider)
    subs = ApiKeyFactory(user=subaccount)
    assert delete_all_keys(owner=owner, actor=owner) == 3
    assert list(ApiKey.objects.order_by("pk")) == [theirs, subs]


def test_delete_all_is_one_event_naming_every_key(owner):
    first, second = ApiKeyFactory.create_batch(2, user=owner)
    delete_all_keys(owner=owner, actor=owner, ip="198.51.100.4")
    event = AuditEvent.objects.get()
    assert event.action == "deleted_all" and event.ip == "198.51.100.4"
    aliases = {key["alias"] for key in event.changes["keys"]["before"]}
    assert aliases == {first.alias, second.alias}


def test_delete_all_runs_in_one_transaction(owner, monkeypatch):
    ApiKeyFactory.create_batch(2, user=owner)

    def broken(*args, **kwargs):
        raise RuntimeError("mail server down while rendering")

    monkeypatch.setattr("apikeys.services._notify", broken)
    with pytest.raises(RuntimeError):
        delete_all_keys(owner=owner, actor=owner)
    assert owner.apikeys.count() == 2
    assert not AuditEvent.objects.exists()


def test_delete_all_of_nothing_records_nothing(owner):
    assert delete_all_keys(owner=owner, actor=owner) == 0
    assert not AuditEvent.objects.exists()


def test_delete_all_sends_one_email_listing_the_keys(owner, django_capture_on_commit_callbacks):
    keys = ApiKeyFactory.create_batch(2, user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        delete_all_keys(owner=owner, actor=owner)
    (message,) = mail.outbox
    assert "All 2 API keys deleted" in message.subject
    for apikey in keys:
        assert apikey.alias in message.body
        assert apikey.plain_secret not in message.body
