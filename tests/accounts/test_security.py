import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.twofactor import regenerate_backup_codes
from tests.factories import PASSWORD, UserFactory
from tests.helpers import verified_client, with_2fa

DISABLE = "/accounts/security/2fa/disable/"
# The same words whichever of the two was wrong: no password oracle.
ONE_MESSAGE = "The password or the code is not right."


def test_security_page_shows_2fa_status_and_backup_codes_left(owner_client, owner):
    regenerate_backup_codes(owner)
    html = owner_client.get("/accounts/security/").content.decode()
    assert "10 left" in html
    assert "Turn off 2FA" in html


def test_regenerating_backup_codes_needs_a_code_and_replaces_the_old_ones(
    owner_client, owner, totp
):
    old = set(regenerate_backup_codes(owner))
    refused = owner_client.post("/accounts/security/backup-codes/regenerate/", {"code": "1"})
    assert refused.status_code == 400
    assert set(StaticToken.objects.values_list("token", flat=True)) == old

    response = owner_client.post(
        "/accounts/security/backup-codes/regenerate/", {"code": totp.code(owner)}
    )
    assert response["Location"] == "/accounts/security/backup-codes/"
    new = set(StaticToken.objects.values_list("token", flat=True))
    assert len(new) == 10 and not new & old


def test_disabling_2fa_needs_password_and_code(owner_client, owner, totp):
    response = owner_client.post(
        "/accounts/security/2fa/disable/", {"password": "wrong", "code": totp.code(owner)}
    )
    assert response.status_code == 400
    assert ONE_MESSAGE in response.content.decode()
    assert TOTPDevice.objects.filter(user=owner).exists()

    response = owner_client.post(
        "/accounts/security/2fa/disable/", {"password": PASSWORD, "code": "000000"}
    )
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=owner).exists()

    response = owner_client.post(
        "/accounts/security/2fa/disable/", {"password": PASSWORD, "code": totp.code(owner)}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=owner).exists()


def test_disabling_2fa_is_refused_as_get(owner_client):
    assert owner_client.get("/accounts/security/2fa/disable/").status_code == 405


def test_backup_codes_wait_for_their_page_encrypted_not_in_the_clear(owner_client, owner, totp):
    from django.contrib.sessions.models import Session

    owner_client.post("/accounts/security/backup-codes/regenerate/", {"code": totp.code(owner)})
    codes = list(StaticToken.objects.values_list("token", flat=True))
    stored = " ".join(Session.objects.values_list("session_data", flat=True))
    assert codes and not any(code in stored for code in codes)
    decoded = str([s.get_decoded() for s in Session.objects.all()])
    assert not any(code in decoded for code in codes)
    page = owner_client.get("/accounts/security/backup-codes/").content.decode()
    assert all(code in page for code in codes)


@pytest.mark.parametrize("wrong", ["password", "code"])
def test_disabling_2fa_says_the_same_whichever_of_password_and_code_is_wrong(
    owner_client, owner, totp, wrong
):
    data = {"password": PASSWORD, "code": totp.code(owner)} | {wrong: "999999"}
    response = owner_client.post(DISABLE, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert ONE_MESSAGE in page
    assert "password is not right" not in page and "Invalid or already used" not in page
    assert TOTPDevice.objects.filter(user=owner).exists()


def test_disabling_2fa_checks_the_code_even_when_the_password_is_wrong(owner_client, owner):
    # Together: the code's throttle grows whatever the password, so it tells nothing.
    owner_client.post(DISABLE, {"password": "wrong", "code": "000000"})
    assert TOTPDevice.objects.get(user=owner).throttling_failure_count == 1


def test_password_rechecks_are_throttled_per_user(owner_client, owner, totp, settings):
    settings.PASSWORD_RECHECK_RATE_PER_USER = "3/15m"
    for n in range(3):
        owner_client.post(DISABLE, {"password": f"guess{n}", "code": "000000"})
    response = owner_client.post(DISABLE, {"password": PASSWORD, "code": totp.code(owner)})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert TOTPDevice.objects.filter(user=owner).exists()


def test_password_rechecks_are_throttled_per_client_ip_across_accounts(db, totp, settings):
    settings.PASSWORD_RECHECK_RATE_PER_IP = "3/15m"
    for _ in range(3):
        user = with_2fa(UserFactory())
        verified_client(Client(), user).post(DISABLE, {"password": "guess", "code": "000000"})
    last = with_2fa(UserFactory())
    response = verified_client(Client(), last).post(
        DISABLE, {"password": PASSWORD, "code": totp.code(last)}
    )
    assert response.status_code == 429
    assert TOTPDevice.objects.filter(user=last).exists()


def test_a_throttled_recheck_runs_no_password_hash(owner_client, owner, settings, monkeypatch):
    settings.PASSWORD_RECHECK_RATE_PER_USER = "1/15m"
    owner_client.post(DISABLE, {"password": "guess", "code": "000000"})
    checked = []
    monkeypatch.setattr(type(owner), "check_password", lambda self, raw: checked.append(raw))
    owner_client.post(DISABLE, {"password": "guess2", "code": "000000"})
    assert checked == []
