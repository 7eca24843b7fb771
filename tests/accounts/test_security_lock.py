"""The security lock: 24 hours after a password reset or change, or 2FA turned off, no
withdrawal through the API and no key with Withdraw."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.securitylock import security_lock_until, start_security_lock
from apikeys import services as key_services
from apikeys.models import ApiKey
from apikeys.whitelist import IpWhitelist
from tests.apikeys.conftest import form_data
from tests.factories import PASSWORD, ApiKeyFactory, SubaccountFactory, UserFactory

NEW = "a fresh and unusual pass phrase 42"
DAY = timedelta(hours=24)


def assert_locked_for_a_day(user, before):
    until = security_lock_until(user)
    assert until is not None
    assert before + DAY <= until <= timezone.now() + DAY


def test_no_lock_on_a_new_account(db):
    assert security_lock_until(UserFactory()) is None


def test_changing_the_password_locks_for_24_hours(owner_client, owner, totp):
    before = timezone.now()
    owner_client.post(
        "/accounts/security/password/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW,
            "new_password2": NEW,
            "code": totp.code(owner),
        },
    )
    assert_locked_for_a_day(owner, before)


def test_a_refused_password_change_does_not_lock(owner_client, owner, totp):
    owner_client.post(
        "/accounts/security/password/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW, "code": "1"},
    )
    assert security_lock_until(owner) is None


def test_resetting_the_password_locks_for_24_hours(owner, django_capture_on_commit_callbacks):
    before = timezone.now()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": owner.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    set_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert_locked_for_a_day(owner, before)


def test_turning_2fa_off_locks_for_24_hours(owner_client, owner, totp):
    before = timezone.now()
    owner_client.post(
        "/accounts/security/2fa/disable/", {"password": PASSWORD, "code": totp.code(owner)}
    )
    assert_locked_for_a_day(owner, before)


def test_the_lock_lifts_after_24_hours(db):
    user = UserFactory()
    start = timezone.now()
    start_security_lock(user=user, now=start)
    assert security_lock_until(user, now=start + DAY - timedelta(seconds=1)) == start + DAY
    assert security_lock_until(user, now=start + DAY) is None


def test_a_subaccount_follows_its_parents_lock(owner):
    sub = SubaccountFactory(parent=owner, username="owner-desk2")
    start_security_lock(user=owner)
    assert security_lock_until(sub) == security_lock_until(owner)


def test_a_newer_lock_never_shortens_an_older_one(db):
    user = UserFactory()
    start = timezone.now()
    start_security_lock(user=user, now=start)
    start_security_lock(user=user, now=start - timedelta(hours=5))
    assert security_lock_until(user, now=start) == start + DAY


def test_security_and_api_management_pages_show_the_lock_and_its_end(owner_client, owner):
    until = start_security_lock(user=owner)
    shown = until.strftime("%Y-%m-%d %H:%M")
    for url in ("/accounts/security/", "/api-management/"):
        html = owner_client.get(url).content.decode()
        assert "Security lock" in html and shown in html, url


# --- Keys ------------------------------------------------------------------------


def test_the_create_page_refuses_withdraw_during_the_lock_and_keeps_the_code(
    owner_client, trader, totp
):
    start_security_lock(user=trader)
    code = totp.code(trader)
    data = form_data(can_withdraw="on", ip_whitelist="203.0.113.7", code=code)
    response = owner_client.post(reverse("apikeys:new"), data)
    assert response.status_code == 200
    assert "Security lock" in response.content.decode()
    assert not ApiKey.objects.exists()
    # The code was not spent: the same one creates a key without Withdraw.
    data = form_data(can_trade="on", ip_whitelist="203.0.113.7", code=code)
    assert owner_client.post(reverse("apikeys:new"), data).status_code == 302


def test_the_modify_page_refuses_giving_withdraw_during_the_lock(owner_client, owner, totp):
    apikey = ApiKeyFactory(user=owner, ip_whitelist=["203.0.113.7/32"])
    start_security_lock(user=owner)
    data = form_data(
        alias=apikey.alias, can_withdraw="on", ip_whitelist="203.0.113.7", code=totp.code(owner)
    )
    response = owner_client.post(reverse("apikeys:modify", args=[apikey.code]), data)
    assert "Security lock" in response.content.decode()
    apikey.refresh_from_db()
    assert not apikey.can_withdraw


def test_a_key_that_has_withdraw_may_still_be_modified_during_the_lock(owner_client, owner, totp):
    apikey = ApiKeyFactory(user=owner, can_withdraw=True, ip_whitelist=["203.0.113.7/32"])
    start_security_lock(user=owner)
    data = form_data(
        alias="renamed", can_withdraw="on", ip_whitelist="203.0.113.7", code=totp.code(owner)
    )
    owner_client.post(reverse("apikeys:modify", args=[apikey.code]), data)
    apikey.refresh_from_db()
    assert apikey.alias == "renamed"


@pytest.mark.parametrize(
    ("typed", "allowed"),
    [
        ("203.0.113.7, 10.0.0.0/16", False),  # a new place to withdraw from
        ("203.0.113.0/24", False),  # a wider block around the old address
        ("203.0.113.7", True),  # the same
        ("198.51.100.0/25", True),  # narrower
    ],
)
def test_a_withdraw_keys_whitelist_may_only_narrow_during_the_lock(
    owner_client, owner, totp, typed, allowed
):
    """A thief with the password must not add their address to a Withdraw key and wait
    out the lock (found from outside: widening was saved)."""
    old = ["198.51.100.0/24", "203.0.113.7/32"]
    apikey = ApiKeyFactory(user=owner, can_withdraw=True, ip_whitelist=old)
    start_security_lock(user=owner)
    data = form_data(
        alias=apikey.alias, can_withdraw="on", ip_whitelist=typed, code=totp.code(owner)
    )
    response = owner_client.post(reverse("apikeys:modify", args=[apikey.code]), data)
    apikey.refresh_from_db()
    if allowed:
        assert apikey.ip_whitelist == IpWhitelist.parse(typed).as_blocks()
    else:
        assert apikey.ip_whitelist == old
        assert "only narrow" in response.content.decode()


@pytest.mark.parametrize("who", ["owner", "subaccount"])
def test_the_key_service_refuses_withdraw_during_the_lock(owner, who):
    start_security_lock(user=owner)
    target = owner if who == "owner" else SubaccountFactory(parent=owner, username="owner-d3")
    with pytest.raises(key_services.KeyRefused, match="Security lock"):
        key_services.create_key(
            owner=target,
            actor=owner,
            alias="w",
            can_withdraw=True,
            whitelist=IpWhitelist.parse("203.0.113.7"),
        )
    apikey = ApiKeyFactory(user=target, ip_whitelist=["203.0.113.7/32"])
    with pytest.raises(key_services.KeyRefused, match="Security lock"):
        key_services.modify_key(
            owner=target,
            actor=owner,
            apikey=apikey,
            alias=apikey.alias,
            can_trade=False,
            can_withdraw=True,
            whitelist=IpWhitelist.parse("203.0.113.7"),
        )


def _withdraw_box(html: str) -> str:
    return re.search(r'<input[^>]*name="can_withdraw"[^>]*>', html).group(0)


def test_the_key_forms_show_the_lock_up_front_and_disable_withdraw(owner_client, trader):
    until = start_security_lock(user=trader)
    plain = ApiKeyFactory(user=trader, ip_whitelist=["203.0.113.7/32"])
    for url in (reverse("apikeys:new"), reverse("apikeys:modify", args=[plain.code])):
        html = owner_client.get(url).content.decode()
        assert "Security lock" in html and until.strftime("%Y-%m-%d %H:%M") in html, url
        assert "disabled" in _withdraw_box(html), url


def test_a_key_that_has_withdraw_keeps_the_box_enabled_during_the_lock(owner_client, owner):
    apikey = ApiKeyFactory(user=owner, can_withdraw=True, ip_whitelist=["203.0.113.7/32"])
    start_security_lock(user=owner)
    html = owner_client.get(reverse("apikeys:modify", args=[apikey.code])).content.decode()
    assert "disabled" not in _withdraw_box(html)  # taking Withdraw away stays possible
