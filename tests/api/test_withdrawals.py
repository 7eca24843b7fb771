"""GET/POST /api/v1/withdrawals: debits at once, never below zero, Address Management."""

from decimal import Decimal

import pytest

from accounts.addressbook import add_address, set_address_management
from accounts.models import Asset, Balance
from api import auth
from api.models import Withdrawal
from tests.factories import ApiKeyFactory, usdt
from tests.helpers import CLIENT_IP, error_code
from tests.racing import race, racing_db  # noqa: F401 - a fixture

ADDRESS = "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"


def withdraw_key(**kwargs):
    kwargs.setdefault("ip_whitelist", [f"{CLIENT_IP}/32"])
    return ApiKeyFactory(can_withdraw=True, **kwargs)


def balance(user, symbol="USDT") -> Decimal:
    return Balance.objects.get(user=user, asset__symbol=symbol).amount


@pytest.mark.django_db
def test_withdrawal_debits_the_balance_and_is_recorded(api):
    key = withdraw_key()
    usdt(key.user, "100")
    response = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "40.5", "address": ADDRESS}
    )
    assert response.status_code == 201
    body = response.json()["withdrawal"]
    assert (body["asset"], body["amount"], body["address"], body["status"]) == (
        "USDT",
        "40.5",
        ADDRESS,
        "submitted",
    )
    assert balance(key.user) == Decimal("59.5")
    assert Withdrawal.objects.get(code=body["id"]).apikey == key


@pytest.mark.django_db
def test_withdrawing_the_whole_balance_leaves_zero(api):
    key = withdraw_key()
    usdt(key.user, "10")
    body = {"asset": "USDT", "amount": "10", "address": ADDRESS}
    assert api.post(key, "/api/v1/withdrawals", body).status_code == 201
    assert balance(key.user) == 0


@pytest.mark.django_db
def test_more_than_the_balance_is_refused_and_nothing_moves(api):
    key = withdraw_key()
    usdt(key.user, "10")
    response = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "10.01", "address": ADDRESS}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "amount"
    assert "10 USDT" in response.json()["error"]["message"]
    assert balance(key.user) == 10
    assert not Withdrawal.objects.exists()


@pytest.mark.django_db
def test_an_asset_without_a_balance_is_refused(api):
    key = withdraw_key()
    response = api.post(
        key, "/api/v1/withdrawals", {"asset": "BTC", "amount": "1", "address": ADDRESS}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "amount"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"asset": "NOPE"}, "asset"),
        ({"asset": 1}, "asset"),
        ({"amount": "-5"}, "amount"),
        ({"amount": 5}, "amount"),
        ({"amount": "99999999999999999999"}, "amount"),
        ({"address": "x"}, "address"),
        ({"address": "bad address with spaces"}, "address"),
        ({"address": "a" * 129}, "address"),
        ({"memo": "1"}, "memo"),
    ],
)
def test_bad_field_is_400_naming_it(api, change, field):
    key = withdraw_key()
    usdt(key.user, "100")
    body = {"asset": "USDT", "amount": "1", "address": ADDRESS} | change
    response = api.post(key, "/api/v1/withdrawals", body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


@pytest.mark.django_db
def test_address_management_on_refuses_addresses_outside_the_book(api):
    key = withdraw_key()
    usdt(key.user, "100")
    usdt_asset = Asset.objects.get(symbol="USDT")
    add_address(user=key.user, asset=usdt_asset, address=ADDRESS, label="cold")
    set_address_management(user=key.user, enabled=True)

    elsewhere = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "1", "address": "TSomewhereElse1"}
    )
    assert elsewhere.status_code == 403
    assert error_code(elsewhere) == "address_not_whitelisted"
    booked = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "1", "address": ADDRESS}
    )
    assert booked.status_code == 201
    assert balance(key.user) == 99


@pytest.mark.django_db
def test_a_book_address_counts_only_for_its_own_asset(api):
    key = withdraw_key()
    usdt(key.user, "100")
    add_address(user=key.user, asset=Asset.objects.get(symbol="TRX"), address=ADDRESS, label="t")
    set_address_management(user=key.user, enabled=True)
    response = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "1", "address": ADDRESS}
    )
    assert error_code(response) == "address_not_whitelisted"


@pytest.mark.django_db
def test_address_management_off_allows_any_address(api):
    key = withdraw_key()
    usdt(key.user, "100")
    set_address_management(user=key.user, enabled=False)
    response = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "1", "address": "TAnyAddress9"}
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_withdraw_permission_without_a_whitelist_is_refused(api):
    key = ApiKeyFactory(can_withdraw=True, ip_whitelist=[])
    usdt(key.user, "100")
    response = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "1", "address": ADDRESS}
    )
    assert error_code(response) == "permission_denied"
    assert "whitelist" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_list_shows_the_accounts_withdrawals(api):
    key = withdraw_key()
    usdt(key.user, "100")
    for amount in ("1", "2"):
        api.post(
            key, "/api/v1/withdrawals", {"asset": "USDT", "amount": amount, "address": ADDRESS}
        )
    listed = api.get(key, "/api/v1/withdrawals").json()["withdrawals"]
    assert [w["amount"] for w in listed] == ["2", "1"]
    assert len(api.get(key, "/api/v1/withdrawals?limit=1").json()["withdrawals"]) == 1


# --- The race: 50 withdrawals at once, on both databases ------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("racing_db")
def test_fifty_parallel_withdrawals_never_take_the_balance_below_zero():
    from django.test import Client

    from tests.helpers import SignedApi

    key = withdraw_key()
    usdt(key.user, "100.000001")
    signed_at = auth.now_ms()

    # 50 withdrawals of 7.142857 USDT against 100.000001: exactly 14 fit, leaving 0.000003.
    def withdraw(i):
        # Distinct timestamps: identical requests in one millisecond would be replays.
        return SignedApi(Client()).post(
            key,
            "/api/v1/withdrawals",
            {"asset": "USDT", "amount": "7.142857", "address": ADDRESS},
            timestamp=signed_at - i,
        )

    responses = race(withdraw, 50)

    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == [201] * 14 + [400] * 36
    assert balance(key.user) == Decimal("0.000003")
    assert Withdrawal.objects.filter(user=key.user).count() == 14
    assert sum(w.amount for w in Withdrawal.objects.filter(user=key.user)) == Decimal("99.999998")


@pytest.mark.django_db
def test_a_subaccount_withdraws_only_to_its_parents_book_when_the_parent_turns_it_on(api):
    from tests.factories import SubaccountFactory

    sub = SubaccountFactory()
    key = withdraw_key(user=sub)
    usdt(sub, "100")
    set_address_management(user=sub.parent, enabled=True)
    body = {"asset": "USDT", "amount": "1", "address": ADDRESS}
    refused = api.post(key, "/api/v1/withdrawals", body)
    assert (refused.status_code, error_code(refused)) == (403, "address_not_whitelisted")
    add_address(
        user=sub.parent, asset=Asset.objects.get(symbol="USDT"), address=ADDRESS, label="cold"
    )
    assert api.post(key, "/api/v1/withdrawals", body).status_code == 201
    assert balance(sub) == Decimal("99")


@pytest.mark.django_db
def test_a_key_that_loses_withdraw_after_authenticating_debits_nothing(api, monkeypatch):
    """A change committed between the signature check and the debit still stops it."""
    from apikeys.models import ApiKey

    key = withdraw_key()
    usdt(key.user, "100")
    real_authenticate = auth.authenticate

    def authenticate_then_owner_revokes(request, permission):
        authenticated = real_authenticate(request, permission)
        ApiKey.objects.filter(pk=key.pk).update(can_withdraw=False)
        return authenticated

    monkeypatch.setattr(auth, "authenticate", authenticate_then_owner_revokes)
    response = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "5", "address": ADDRESS}
    )
    assert (response.status_code, error_code(response)) == (403, "permission_denied")
    assert balance(key.user) == Decimal("100")
    assert not Withdrawal.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("frozen", ["sub-account", "main account"])
def test_a_freeze_after_authenticating_debits_nothing(api, monkeypatch, frozen):
    """Freezing the sub-account or its main account mid-request stops the debit."""
    from accounts.models import User
    from tests.factories import SubaccountFactory

    sub = SubaccountFactory()
    key = withdraw_key(user=sub)
    usdt(sub, "100")
    real_authenticate = auth.authenticate

    def authenticate_then_freeze(request, permission):
        authenticated = real_authenticate(request, permission)
        User.objects.filter(pk=sub.pk if frozen == "sub-account" else sub.parent_id).update(
            is_frozen=True
        )
        return authenticated

    monkeypatch.setattr(auth, "authenticate", authenticate_then_freeze)
    response = api.post(
        key, "/api/v1/withdrawals", {"asset": "USDT", "amount": "5", "address": ADDRESS}
    )
    assert (response.status_code, error_code(response)) == (403, "permission_denied")
    assert balance(sub) == Decimal("100")
    assert not Withdrawal.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("whose", ["account", "parent"])
def test_withdrawal_during_the_security_lock_is_403_security_lock_with_when_it_lifts(api, whose):
    from accounts.securitylock import start_security_lock
    from tests.factories import SubaccountFactory, UserFactory

    if whose == "account":
        key = withdraw_key()
        locked = key.user
    else:
        locked = UserFactory()
        key = withdraw_key(user=SubaccountFactory(parent=locked, username=f"{locked.username}-s"))
    usdt(key.user, "100")
    until = start_security_lock(user=locked)
    body = {"asset": "USDT", "amount": "1", "address": ADDRESS}
    response = api.post(key, "/api/v1/withdrawals", body)
    assert response.status_code == 403
    assert error_code(response) == "security_lock"
    assert until.isoformat() in response.json()["error"]["message"]
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert balance(key.user) == Decimal("100")
    assert not Withdrawal.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("racing_db")
def test_orders_and_withdrawals_of_one_key_at_once_all_go_through():
    """An order's foreign keys share-lock its account and key at COMMIT (PostgreSQL); a
    withdrawal that locked them for update could deadlock with it (found from outside:
    a 500 "deadlock detected" under orders and withdrawals in parallel)."""
    from api.services import place_order, withdraw

    key = withdraw_key()
    usdt(key.user, "1000")
    usdt_asset = Asset.objects.get(symbol="USDT")

    def work(i):
        for _ in range(6):
            if i % 2:
                withdraw(
                    account=key.user,
                    apikey=key,
                    asset=usdt_asset,
                    amount=Decimal("1"),
                    address=ADDRESS,
                )
            else:
                place_order(
                    account=key.user,
                    apikey=key,
                    symbol="BTCUSDT",
                    side="buy",
                    type="limit",
                    quantity=Decimal("0.01"),
                    price=Decimal("65000"),
                )
        return "ok"

    results = race(work, 8)

    assert results == ["ok"] * 8
    assert balance(key.user) == Decimal("976")
