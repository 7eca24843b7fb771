"""Security → Address Management: the withdrawal address book and its switch."""

import pytest
from django.urls import reverse

from accounts import addressbook
from accounts.models import AddressManagement, Asset, WithdrawalAddress
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGE = reverse("accounts:addresses")
ADDRESS = "TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"


def add(client, user, totp, **fields):
    data = {"asset": "USDT", "address": ADDRESS, "label": "cold wallet"} | fields
    data.setdefault("code", totp.code(user))
    return client.post(reverse("accounts:add_address"), data)


def test_security_page_links_to_address_management(owner_client):
    page = owner_client.get(reverse("accounts:security")).content.decode()
    assert f'href="{PAGE}"' in page


def test_page_shows_the_switch_off_and_an_empty_book(owner_client):
    page = owner_client.get(PAGE).content.decode()
    assert "Address Management" in page
    assert "No addresses yet." in page
    assert "Turn on" in page


def test_page_needs_2fa(client):
    client.force_login(UserFactory())
    assert client.get(PAGE).status_code == 302


def test_add_an_address_with_a_code(owner_client, owner, totp):
    response = add(owner_client, owner, totp)
    assert response.status_code == 302
    entry = WithdrawalAddress.objects.get(user=owner)
    assert (entry.asset.symbol, entry.address, entry.label) == ("USDT", ADDRESS, "cold wallet")
    assert ADDRESS in owner_client.get(PAGE).content.decode()


def test_wrong_code_adds_nothing_and_says_so_next_to_the_field(owner_client, owner, totp):
    response = add(owner_client, owner, totp, code="000000")
    assert response.status_code == 400
    assert "Invalid or already used code" in response.content.decode()
    assert not WithdrawalAddress.objects.exists()


@pytest.mark.parametrize("address", ["x", "has spaces in it", "a" * 129, "<script>"])
def test_malformed_address_is_refused(owner_client, owner, totp, address):
    assert add(owner_client, owner, totp, address=address).status_code == 400
    assert not WithdrawalAddress.objects.exists()


def test_same_address_twice_for_one_coin_is_refused(owner_client, owner, totp):
    add(owner_client, owner, totp)
    response = add(owner_client, owner, totp)
    assert response.status_code == 400
    assert "in the book already" in response.content.decode()


def test_book_has_a_limit(owner):
    usdt_asset = Asset.objects.get(symbol="USDT")
    for i in range(addressbook.ADDRESS_BOOK_MAX):
        addressbook.add_address(user=owner, asset=usdt_asset, address=f"addr{i:04}", label="x")
    with pytest.raises(addressbook.AddressRefused):
        addressbook.add_address(user=owner, asset=usdt_asset, address="one-more", label="x")


def test_turn_address_management_on_and_off_with_a_code(owner_client, owner, totp):
    url = reverse("accounts:switch_address_management")
    owner_client.post(url, {"enabled": "on", "code": totp.code(owner)})
    assert addressbook.address_management_on(owner)
    owner_client.post(url, {"enabled": "off", "code": totp.code(owner)})
    assert not addressbook.address_management_on(owner)


def test_turning_it_off_needs_the_right_code(owner_client, owner, totp):
    addressbook.set_address_management(user=owner, enabled=True)
    url = reverse("accounts:switch_address_management")
    response = owner_client.post(url, {"enabled": "off", "code": "000000"})
    assert response.status_code == 400
    assert AddressManagement.objects.get(user=owner).enabled


def test_remove_an_address(owner_client, owner):
    entry = addressbook.add_address(
        user=owner, asset=Asset.objects.get(symbol="USDT"), address=ADDRESS, label="old"
    )
    owner_client.post(reverse("accounts:remove_address", args=[entry.code]))
    assert not WithdrawalAddress.objects.exists()


def test_another_accounts_address_is_404(outsider_client, owner):
    entry = addressbook.add_address(
        user=owner, asset=Asset.objects.get(symbol="USDT"), address=ADDRESS, label="mine"
    )
    response = outsider_client.post(reverse("accounts:remove_address", args=[entry.code]))
    assert response.status_code == 404
    assert WithdrawalAddress.objects.filter(pk=entry.pk).exists()
