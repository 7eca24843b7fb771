"""The "Compliance" group, from the data migration: see and decide applications, see
accounts and balances, nothing else."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from accounts.models import Asset
from tests.factories import UserFactory


def test_the_group_has_exactly_its_permissions(db):
    group = Group.objects.get(name="Compliance")
    assert sorted(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("accounts", "view_asset"),
        ("accounts", "view_balance"),
        ("accounts", "view_user"),
        ("reviews", "change_application"),
        ("reviews", "view_application"),
    ]


def test_a_compliance_user_is_not_a_superuser(compliance):
    assert not compliance.is_superuser
    assert compliance.has_perm("reviews.change_application")
    assert not compliance.has_perm("accounts.change_user")
    assert not compliance.has_perm("accounts.change_asset")
    assert not compliance.has_perm("reviews.delete_application")


def test_can_see_accounts_and_their_balances(compliance_client):
    trader = UserFactory(username="someone")
    response = compliance_client.get(f"/admin/accounts/user/{trader.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "someone" in html
    assert 'name="_save"' not in html  # view only


def test_cannot_edit_a_user(compliance_client):
    trader = UserFactory(username="someone", email="someone@example.com")
    response = compliance_client.post(
        f"/admin/accounts/user/{trader.pk}/change/",
        {"username": "renamed", "email": "x@example.com", "is_staff": "on", "is_superuser": "on"},
    )
    assert response.status_code == 403
    trader.refresh_from_db()
    assert trader.username == "someone"
    assert not trader.is_superuser


def test_cannot_add_a_user(compliance_client):
    assert compliance_client.get("/admin/accounts/user/add/").status_code == 403


def test_cannot_change_a_price(compliance_client):
    btc = Asset.objects.get(symbol="BTC")
    before = btc.usdt_price
    response = compliance_client.post(
        f"/admin/accounts/asset/{btc.pk}/change/",
        {"symbol": "BTC", "name": "Bitcoin", "usdt_price": "1"},
    )
    assert response.status_code == 403
    btc.refresh_from_db()
    assert btc.usdt_price == before != Decimal("1")


def test_sees_prices_without_the_editable_column(compliance_client):
    html = compliance_client.get("/admin/accounts/asset/").content.decode()
    assert "BTC" in html
    assert 'name="form-0-usdt_price"' not in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_static/staticdevice/",
        "/admin/auth/group/",
    ],
)
def test_cannot_see_2fa_devices_or_groups(compliance_client, url):
    assert compliance_client.get(url).status_code == 403


def test_the_admin_index_lists_only_accounts_and_applications(compliance_client):
    html = compliance_client.get("/admin/").content.decode()
    assert "/admin/reviews/application/" in html
    assert "/admin/accounts/user/" in html
    assert "/admin/otp_totp/" not in html
    assert "/admin/auth/group/" not in html
