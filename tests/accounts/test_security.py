from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.twofactor import regenerate_backup_codes
from tests.factories import PASSWORD


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
    assert "password is not right" in response.content.decode()
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
