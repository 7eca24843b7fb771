from decimal import Decimal

import pytest

from accounts.models import User
from subaccounts.models import Subaccount
from subaccounts.services import (
    SubaccountError,
    create_subaccount,
    delete_subaccount,
    deletion_blockers,
    set_frozen,
)
from tests.factories import ApiKeyFactory, BalanceFactory, SubaccountFactory


def test_create_makes_a_passwordless_subaccount_named_after_its_parent(owner):
    sub = create_subaccount(parent=owner, name="grid_bot", note="BTC grid")
    assert sub.username == "owner-grid_bot"
    assert sub.parent == owner and sub.note == "BTC grid"
    assert not sub.has_usable_password()
    assert Subaccount.objects.get(user=sub).code


@pytest.mark.parametrize("name", ["", "a", "Has Space", "x" * 21, "../etc", "dash-ed"])
def test_create_refuses_names_that_are_not_short_slugs(owner, name):
    with pytest.raises(SubaccountError):
        create_subaccount(parent=owner, name=name)


def test_create_refuses_a_name_the_parent_already_used(owner):
    create_subaccount(parent=owner, name="desk")
    with pytest.raises(SubaccountError, match="already"):
        create_subaccount(parent=owner, name="desk")


def test_a_subaccount_cannot_have_subaccounts(owner):
    sub = create_subaccount(parent=owner, name="desk")
    with pytest.raises(SubaccountError, match="can't have sub-accounts"):
        create_subaccount(parent=sub, name="nested")


def test_create_stops_at_the_limit(owner, settings):
    settings.SUBACCOUNTS_MAX_PER_PARENT = 2
    create_subaccount(parent=owner, name="one")
    create_subaccount(parent=owner, name="two")
    with pytest.raises(SubaccountError, match="limit of 2"):
        create_subaccount(parent=owner, name="three")
    assert owner.subaccounts.count() == 2


def test_freezing_and_unfreezing_keeps_keys(owner):
    sub = create_subaccount(parent=owner, name="desk")
    key = ApiKeyFactory(user=sub)
    set_frozen(subaccount=sub, frozen=True)
    assert User.objects.get(pk=sub.pk).is_frozen
    set_frozen(subaccount=sub, frozen=False)
    assert not User.objects.get(pk=sub.pk).is_frozen
    assert sub.apikeys.get() == key


def test_delete_is_refused_while_keys_or_balance_remain(owner):
    sub = create_subaccount(parent=owner, name="desk")
    ApiKeyFactory(user=sub)
    BalanceFactory(user=sub, amount=Decimal("5"))
    assert deletion_blockers(sub) == ["it still has API keys", "it still holds a balance"]
    with pytest.raises(SubaccountError):
        delete_subaccount(subaccount=sub)
    assert User.objects.get(pk=sub.pk).is_active


def test_delete_closes_an_empty_subaccount_and_frees_a_place(owner, settings):
    settings.SUBACCOUNTS_MAX_PER_PARENT = 1
    sub = create_subaccount(parent=owner, name="desk")
    BalanceFactory(user=sub, amount=Decimal("0"))
    delete_subaccount(subaccount=sub)
    assert not User.objects.get(pk=sub.pk).is_active
    create_subaccount(parent=owner, name="desk2")


def test_a_name_whose_address_is_already_taken_is_refused_not_a_crash(owner):
    from tests.factories import UserFactory

    UserFactory(username="squatter", email="owner-bot@subaccount.invalid")
    with pytest.raises(SubaccountError, match="taken"):
        create_subaccount(parent=owner, name="bot")
    assert not owner.subaccounts.exists()


def test_active_subaccounts_of_a_parent_leave_out_deleted_ones_and_other_parents(owner, outsider):
    kept = SubaccountFactory(parent=owner)
    SubaccountFactory(parent=owner, is_active=False)
    SubaccountFactory(parent=outsider)
    assert list(owner.active_subaccounts()) == [kept]
