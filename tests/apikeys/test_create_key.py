"""services.create_key: key material, expiry, limit, rules, audit event and e-mail."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apikeys import keys
from apikeys.models import ApiKey, AuditEvent
from apikeys.services import KeyChoice, KeyRefused, create_key
from apikeys.whitelist import IpWhitelist
from tests.factories import ApiKeyFactory


def whitelist(text="203.0.113.7"):
    return IpWhitelist.parse(text)


def test_hmac_key_has_well_formed_key_and_secret_stored_encrypted(owner):
    new = create_key(owner=owner, actor=owner, alias="grid-bot", whitelist=whitelist())
    apikey = ApiKey.objects.get()
    assert keys.is_well_formed_api_key(apikey.api_key)
    assert keys.is_well_formed_secret(new.secret)
    assert apikey.secret_encrypted and new.secret not in apikey.secret_encrypted
    assert apikey.secret() == new.secret
    assert apikey.key_type == "hmac-sha256" and apikey.public_key == ""


def test_generated_ed25519_key_keeps_only_the_public_half(owner):
    new = create_key(owner=owner, actor=owner, alias="ed", key_choice=KeyChoice.ED25519)
    apikey = ApiKey.objects.get()
    assert new.secret.startswith("-----BEGIN PRIVATE KEY-----")
    assert apikey.key_type == "ed25519" and not apikey.user_supplied_key
    assert apikey.secret_encrypted == ""
    signature = keys.ed25519_signature(new.secret, b"payload")
    assert keys.verify_ed25519(apikey.public_key, b"payload", signature)


def test_own_ed25519_public_key_has_no_secret_at_all(owner):
    private_pem, public_pem = keys.new_ed25519_pair()
    new = create_key(
        owner=owner,
        actor=owner,
        alias="own",
        key_choice=KeyChoice.ED25519_OWN,
        public_key_pem=public_pem,
    )
    apikey = ApiKey.objects.get()
    assert new.secret == ""
    assert apikey.user_supplied_key and apikey.public_key == public_pem
    signature = keys.ed25519_signature(private_pem, b"x")
    assert keys.verify_ed25519(apikey.public_key, b"x", signature)


def test_new_key_repr_hides_the_secret(owner):
    new = create_key(owner=owner, actor=owner, alias="a")
    assert new.secret not in repr(new)


def test_key_without_whitelist_expires_after_the_set_days(owner, settings):
    settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS = 90
    now = timezone.now()
    create_key(owner=owner, actor=owner, alias="open", now=now)
    assert ApiKey.objects.get().expires_at == now + timedelta(days=90)


def test_key_with_whitelist_never_expires(owner):
    create_key(owner=owner, actor=owner, alias="fenced", whitelist=whitelist())
    assert ApiKey.objects.get().expires_at is None


def test_expiry_days_come_from_the_setting(owner, settings):
    settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS = 7
    now = timezone.now()
    create_key(owner=owner, actor=owner, alias="open", now=now)
    assert ApiKey.objects.get().expires_at == now + timedelta(days=7)


def test_whitelist_is_stored_normalised(owner):
    create_key(owner=owner, actor=owner, alias="a", whitelist=whitelist("192.0.2.0-192.0.2.255"))
    assert ApiKey.objects.get().ip_whitelist == ["192.0.2.0/24"]


def test_permissions_are_granted_one_by_one(owner):
    create_key(owner=owner, actor=owner, alias="t", can_trade=True)
    assert ApiKey.objects.get().permissions == ["read", "trade"]


def test_withdraw_without_whitelist_is_refused(owner):
    with pytest.raises(KeyRefused) as refused:
        create_key(owner=owner, actor=owner, alias="w", can_withdraw=True)
    assert refused.value.field == "can_withdraw"
    assert not ApiKey.objects.exists()


def test_withdraw_with_whitelist_is_granted(owner):
    create_key(owner=owner, actor=owner, alias="w", can_withdraw=True, whitelist=whitelist())
    assert ApiKey.objects.get().permissions == ["read", "withdraw"]


def test_limit_refuses_one_key_too_many(owner, settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 3
    ApiKeyFactory.create_batch(3, user=owner)
    with pytest.raises(KeyRefused, match="3 of 3"):
        create_key(owner=owner, actor=owner, alias="fourth")
    assert owner.apikeys.count() == 3


def test_limit_counts_each_account_separately(owner, outsider, subaccount, settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 1
    ApiKeyFactory(user=outsider)
    ApiKeyFactory(user=subaccount)
    create_key(owner=owner, actor=owner, alias="mine")
    assert owner.apikeys.count() == 1


def test_alias_taken_in_the_account_is_refused_whatever_the_case(owner):
    ApiKeyFactory(user=owner, alias="Grid-Bot")
    with pytest.raises(KeyRefused) as refused:
        create_key(owner=owner, actor=owner, alias="grid-bot")
    assert refused.value.field == "alias"


def test_same_alias_in_another_account_is_fine(owner, outsider):
    ApiKeyFactory(user=outsider, alias="grid-bot")
    create_key(owner=owner, actor=owner, alias="grid-bot")


def test_creation_is_recorded_with_who_where_and_what(owner):
    create_key(
        owner=owner,
        actor=owner,
        alias="grid-bot",
        can_trade=True,
        whitelist=whitelist(),
        ip="198.51.100.4",
    )
    apikey = ApiKey.objects.get()
    event = AuditEvent.objects.get()
    assert (event.action, event.owner, event.actor, event.apikey) == (
        "created",
        owner,
        owner,
        apikey,
    )
    assert (event.key_code, event.key_alias, event.api_key) == (
        apikey.code,
        "grid-bot",
        apikey.api_key,
    )
    assert event.ip == "198.51.100.4"
    assert event.changes["permissions"] == {"before": None, "after": ["read", "trade"]}
    assert event.changes["ip_whitelist"]["after"] == ["203.0.113.7/32"]


def test_parent_creating_for_a_subaccount_is_the_actor(owner, subaccount):
    create_key(owner=subaccount, actor=owner, alias="desk")
    apikey = subaccount.apikeys.get()
    assert apikey.created_by == owner
    event = AuditEvent.objects.get()
    assert (event.owner, event.actor) == (subaccount, owner)


def test_email_names_alias_permissions_and_ip_but_never_the_secret(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = create_key(
            owner=owner,
            actor=owner,
            alias="grid-bot",
            can_trade=True,
            whitelist=whitelist(),
            ip="198.51.100.4",
        )
    (message,) = mail.outbox
    assert message.to == [owner.email]
    assert message.subject == "API key “grid-bot” created"  # as “… modified”, “… deleted”
    assert "Read, Trade" in message.body
    assert "198.51.100.4" in message.body and "203.0.113.7/32" in message.body
    assert new.secret not in message.body
    assert new.apikey.secret_encrypted not in message.body


def test_email_waits_for_the_commit(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        create_key(owner=owner, actor=owner, alias="a")
    assert len(callbacks) == 1 and mail.outbox == []


def test_email_for_a_subaccount_key_goes_to_the_parent_never_to_the_reserved_address(
    owner, subaccount, django_capture_on_commit_callbacks
):
    # A sub-account's address is a reserved .invalid one (accounts.models): the parent
    # who manages it is the one to tell.
    with django_capture_on_commit_callbacks(execute=True):
        create_key(owner=subaccount, actor=owner, alias="desk")
    (message,) = mail.outbox
    assert subaccount.email.endswith("@subaccount.invalid")
    assert message.to == [owner.email]
