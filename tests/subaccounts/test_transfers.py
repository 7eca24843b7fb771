"""Transfer: a parent moves funds to and from its sub-account, confirmed with its 2FA code."""

from decimal import Decimal
from unittest import mock

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Asset, Balance, Transfer
from subaccounts import services
from subaccounts.services import SubaccountError, create_subaccount
from tests.factories import BalanceFactory, SubaccountFactory, UserFactory


@pytest.fixture
def desk(owner):
    return create_subaccount(parent=owner, name="desk")


def give(user, symbol, amount):
    return BalanceFactory(user=user, asset=Asset.objects.get(symbol=symbol), amount=Decimal(amount))


def held(user, symbol="BTC") -> Decimal:
    balance = Balance.objects.filter(user=user, asset__symbol=symbol).first()
    return balance.amount if balance else Decimal(0)


def post_transfer(client, sub, code, **fields):
    data = {"direction": "to", "asset": "BTC", "amount": "0.25", "code": code} | fields
    return client.post(f"/subaccounts/{sub.subaccount.code}/transfer/", data)


def code_spent(user) -> bool:
    return TOTPDevice.objects.get(user=user).last_t != -1


def test_funding_a_subaccount_moves_both_balances_and_is_listed_on_both_pages(
    owner_client, owner, desk, totp
):
    give(owner, "BTC", "1.5")
    response = post_transfer(owner_client, desk, totp.code(owner))
    assert response.status_code == 302
    assert (held(owner), held(desk)) == (Decimal("1.25"), Decimal("0.25"))
    transfer = Transfer.objects.get()
    assert (transfer.from_user, transfer.to_user, transfer.created_by) == (owner, desk, owner)
    assert transfer.amount == Decimal("0.25")

    sub_page = owner_client.get(f"/subaccounts/{desk.subaccount.code}/").content.decode()
    assets_page = owner_client.get("/assets/").content.decode()
    for html, sign in ((sub_page, "+"), (assets_page, "−")):
        assert html.count('data-testid="transfer-row"') == 1
        assert f"{sign}0.25 BTC" in html


def test_moving_everything_back_leaves_exactly_zero_and_the_subaccount_can_be_deleted(
    owner_client, owner, desk, totp
):
    give(desk, "ETH", "0.4096")
    response = post_transfer(
        owner_client, desk, totp.code(owner), direction="from", asset="ETH", amount="0.4096"
    )
    assert response.status_code == 302
    assert (held(owner, "ETH"), held(desk, "ETH")) == (Decimal("0.4096"), 0)
    assert services.deletion_blockers(desk) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "2"}, "more than owner holds (1.5 BTC)"),
        ({"amount": "0.000000001"}, "BTC allows at most 8"),
        ({"asset": "USDT", "amount": "0.0000001"}, "USDT allows at most 6"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "-1"}, "Enter a plain decimal"),
        ({"amount": "0.1", "direction": "from"}, "more than owner-desk holds (0 BTC)"),
    ],
)
def test_a_refused_transfer_moves_nothing_and_does_not_spend_the_code(
    owner_client, owner, desk, totp, fields, message
):
    give(owner, "BTC", "1.5")
    give(owner, "USDT", "10")
    response = post_transfer(owner_client, desk, totp.code(owner), **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not code_spent(owner)
    assert held(owner) == Decimal("1.5") and held(desk) == 0
    assert not Transfer.objects.exists()


def test_a_wrong_code_moves_nothing(owner_client, owner, desk):
    give(owner, "BTC", "1.5")
    response = post_transfer(owner_client, desk, "000000")
    assert response.status_code == 400
    assert held(owner) == Decimal("1.5") and not Transfer.objects.exists()


def test_a_frozen_subaccount_can_receive_but_not_send(owner_client, owner, desk, totp):
    give(owner, "BTC", "1")
    give(desk, "BTC", "1")
    services.set_frozen(subaccount=desk, frozen=True)
    assert post_transfer(owner_client, desk, totp.code(owner)).status_code == 302
    refused = post_transfer(owner_client, desk, totp.code(owner), direction="from")
    assert refused.status_code == 400
    assert "can receive funds but not send them" in refused.content.decode()
    assert (held(owner), held(desk)) == (Decimal("0.75"), Decimal("1.25"))


def test_the_service_refuses_a_frozen_sender_even_if_the_form_passed(owner, desk):
    give(desk, "BTC", "1")
    services.set_frozen(subaccount=desk, frozen=True)
    btc = Asset.objects.get(symbol="BTC")
    with pytest.raises(SubaccountError):
        services.transfer(
            parent=owner, subaccount=desk, asset=btc, amount=Decimal("1"), direction="from"
        )
    assert held(desk) == 1


def test_another_parents_subaccount_is_404(owner_client, owner, totp):
    give(owner, "BTC", "1")
    theirs = SubaccountFactory(parent=UserFactory())
    assert post_transfer(owner_client, theirs, totp.code(owner)).status_code == 404
    assert held(owner) == 1


def test_a_deleted_subaccount_takes_no_transfer(owner, desk):
    give(owner, "BTC", "1")
    services.delete_subaccount(subaccount=desk)
    with pytest.raises(SubaccountError):
        services.transfer(
            parent=owner,
            subaccount=desk,
            asset=Asset.objects.get(symbol="BTC"),
            amount=Decimal("1"),
            direction="to",
        )
    assert held(owner) == 1


def test_transfer_needs_post(owner_client, desk):
    assert owner_client.get(f"/subaccounts/{desk.subaccount.code}/transfer/").status_code == 405


def test_the_page_offers_the_transfer_form(owner_client, desk):
    html = owner_client.get(f"/subaccounts/{desk.subaccount.code}/").content.decode()
    assert 'action="/subaccounts/' in html and "/transfer/" in html
    assert "From owner to owner-desk" in html and "From owner-desk back to owner" in html


amount_texts = st.one_of(
    st.text(max_size=30),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=0, max_value=2, places=9).map(str),
    st.sampled_from(["0.1", "1", "0.00000001", "1e-3", " 0.5 ", "-0", "NaN", "1" * 40]),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    direction=st.sampled_from(["to", "from"]) | st.text(max_size=10),
    asset=st.sampled_from(["BTC", "USDT"]) | st.text(max_size=10),
    amount=amount_texts,
)
def test_arbitrary_input_never_crashes_and_never_moves_half(
    owner_client, owner, desk, direction, asset, amount
):
    """Whatever is typed, the answer is a redirect or a form error, and every BTC that
    left one account arrived in the other, exactly."""
    if not Balance.objects.filter(user=owner).exists():
        give(owner, "BTC", "1")
        give(desk, "BTC", "1")
    # Each example brings a good code; spending codes is tested above.
    with mock.patch("accounts.forms.verify_code", return_value=object()):
        response = post_transfer(
            owner_client, desk, "123456", direction=direction, asset=asset, amount=amount
        )
    assert response.status_code in (302, 400)
    assert held(owner) + held(desk) == 2
    into_desk = sum(t.amount for t in Transfer.objects.filter(to_user=desk))
    out_of_desk = sum(t.amount for t in Transfer.objects.filter(from_user=desk))
    assert held(desk) == 1 + into_desk - out_of_desk >= 0


def test_the_admin_lists_transfers_and_can_not_change_them(client, owner, desk, totp):
    from tests.helpers import verified_client, with_2fa

    give(owner, "BTC", "1")
    services.transfer(
        parent=owner,
        subaccount=desk,
        asset=Asset.objects.get(symbol="BTC"),
        amount=Decimal("0.5"),
        direction="to",
    )
    admin = verified_client(client, with_2fa(UserFactory(is_staff=True, is_superuser=True)))
    html = admin.get("/admin/accounts/transfer/").content.decode()
    assert "owner-desk" in html and "0.5" in html
    assert "/admin/accounts/transfer/add/" not in html
    transfer = Transfer.objects.get()
    assert (
        admin.post(f"/admin/accounts/transfer/{transfer.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Transfer.objects.count() == 1


@pytest.mark.parametrize(
    "written",
    ["1_0", "1e1", "1.5E1", "+1", "١", "١٠", "１", "𝟏", ".5", "5.", "1e999999999", "1e-999999999"],
)
def test_an_amount_not_written_as_a_plain_decimal_is_refused_and_nothing_moves(
    owner_client, owner, desk, totp, written
):
    # The API's syntax, one rule: Decimal alone reads "1_0" as 10 and "١" as 1, and
    # "1e999999999" overflowed into a 500.
    give(owner, "USDT", "100")
    response = post_transfer(owner_client, desk, totp.code(owner), asset="USDT", amount=written)
    assert response.status_code == 400
    assert "Enter a plain decimal" in response.content.decode()
    assert (held(owner, "USDT"), held(desk, "USDT")) == (Decimal("100"), Decimal("0"))
    assert not Transfer.objects.exists()
    assert not code_spent(owner)
