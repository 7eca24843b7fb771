"""The stamps that let a worker trust the key row it remembers, and their guard."""

import pytest
from django.core.cache import cache

from accounts.securitylock import start_security_lock
from apikeys import services as key_services
from apikeys.models import ApiKey
from core import authstamp
from reviews import services as review_services
from subaccounts import services as sub_services
from tests.authstamps import AuthStampGuard, auth_write
from tests.factories import ApiKeyFactory, SubaccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def stamp(account) -> int | None:
    return cache.get(authstamp.stamp_key(account.pk))


def test_the_guard_reads_which_sql_changes_what_the_gate_decides():
    assert auth_write('UPDATE "accounts_user" SET "is_frozen" = %s WHERE "id" = %s')
    assert auth_write('UPDATE "apikeys_apikey" SET "can_trade" = %s WHERE "id" = %s')
    assert auth_write('DELETE FROM "apikeys_apikey" WHERE "id" IN (%s)')
    usage = 'UPDATE "apikeys_apikey" SET "last_used_at" = %s, "last_used_ip" = %s WHERE "id" = 1'
    assert auth_write(usage) is None
    assert auth_write('UPDATE "accounts_user" SET "last_login" = %s WHERE "id" = %s') is None


def test_the_guard_fails_a_write_with_no_bump_next_to_it():
    guard = AuthStampGuard()
    guard.events = [("write", "first"), ("write", "second"), ("bump", "")]
    assert guard.unbumped() == ["first"]


@pytest.mark.parametrize(
    "change",
    [
        lambda key: key_services.delete_key(owner=key.user, actor=key.user, apikey=key),
        lambda key: (
            key_services.end_grace(owner=key.user, actor=key.user, apikey=key)
            or ApiKey.objects.filter(pk=key.pk).update(expires_at=None)
        ),
        lambda key: key_services.revoke_leaked_secret(token=key.plain_secret),
        lambda key: start_security_lock(user=key.user),
        lambda key: sub_services.set_frozen(subaccount=key.user, frozen=True),
        lambda key: review_services.set_frozen(
            account=key.user.parent,
            frozen=True,
            officer=UserFactory(is_superuser=True),
            reason="Test",
        ),  # fmt: skip
        lambda key: setattr(key.user.parent, "is_active", False) or key.user.parent.save(),
    ],
    ids=[
        "delete",
        "bulk-update",
        "leak",
        "security-lock",
        "freeze-sub",
        "freeze-parent",
        "deactivate-parent",
    ],  # fmt: skip
)
def test_a_write_the_gate_reads_moves_the_stamp_of_the_owner_or_its_parent(change):
    key = ApiKeyFactory(user=SubaccountFactory())
    authstamp.bump(key.user_id, key.user.parent_id)
    before = (stamp(key.user), stamp(key.user.parent))
    change(key)
    assert (stamp(key.user), stamp(key.user.parent)) != before


def test_the_usage_flush_and_a_sign_in_move_no_stamp():
    key = ApiKeyFactory()
    authstamp.bump(key.user_id)
    before = stamp(key.user)
    ApiKey.objects.filter(pk=key.pk).update(last_used_ip="198.51.100.1")
    key.user.save(update_fields=["last_login"])
    assert stamp(key.user) == before


def test_what_one_request_changes_on_its_key_never_reaches_the_next(api):
    from api import keyrow

    key = ApiKeyFactory(user=SubaccountFactory())
    assert api.get(key, "/api/v1/key").status_code == 200
    stamps = [cache.get(name) for name in keyrow.stamp_keys(key.api_key)]
    first = keyrow.lookup(key.api_key, stamps)
    first.can_trade = True
    first.ip_whitelist.append("198.51.100.7/32")
    first.user.is_frozen = True
    first.user.parent.is_active = False
    second = keyrow.lookup(key.api_key, stamps)
    assert second is not first and second.user is not first.user
    assert (second.can_trade, second.ip_whitelist) == (False, [])
    assert (second.user.is_frozen, second.user.parent.is_active) == (False, True)
    assert api.get(key, "/api/v1/key").status_code == 200
