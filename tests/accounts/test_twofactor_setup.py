import base64

from django_otp.oath import totp as oath_totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.views import SETUP_KEY


def code_for(hex_key: str) -> str:
    return str(oath_totp(bytes.fromhex(hex_key))).zfill(6)


def test_setup_page_shows_inline_svg_qr_and_base32_secret_without_storing_it(client, db):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    response = client.get("/accounts/security/2fa/setup/")
    html = response.content.decode()
    hex_key = client.session[SETUP_KEY]
    assert "<svg" in html and "<img" not in html.split("<main", 1)[1].split("</main>")[0]
    assert base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=") in html
    assert "no-store" in response["Cache-Control"]
    # The secret waits in the session; nothing reaches the database until confirmed.
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_setup_keeps_the_same_secret_across_page_loads(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    client.get("/accounts/security/2fa/setup/")
    first = client.session[SETUP_KEY]
    client.get("/accounts/security/2fa/setup/")
    assert client.session[SETUP_KEY] == first


def test_wrong_code_does_not_turn_2fa_on(client, db):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    client.get("/accounts/security/2fa/setup/")
    response = client.post("/accounts/security/2fa/setup/", {"code": "123456"})
    assert "not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_right_code_turns_2fa_on_verifies_session_and_shows_backup_codes_once(client, db):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    client.get("/accounts/security/2fa/setup/")
    hex_key = client.session[SETUP_KEY]
    response = client.post("/accounts/security/2fa/setup/", {"code": code_for(hex_key)})
    assert response["Location"] == "/accounts/security/backup-codes/"
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.key == hex_key
    assert SETUP_KEY not in client.session
    assert client.session["otp_device_id"] == device.persistent_id

    page = client.get("/accounts/security/backup-codes/")
    assert "no-store" in page["Cache-Control"]
    assert page.content.decode().count("<li>") == 10
    assert client.get("/accounts/security/backup-codes/").status_code == 302


def test_the_setup_code_cannot_then_be_used_to_log_in(client, db):
    from tests.factories import PASSWORD, UserFactory

    user = UserFactory()
    client.force_login(user)
    client.get("/accounts/security/2fa/setup/")
    code = code_for(client.session[SETUP_KEY])
    client.post("/accounts/security/2fa/setup/", {"code": code})
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    response = client.post("/accounts/login/code/", {"code": code})
    assert "This code was just used; wait for the next one." in response.content.decode()


def test_setup_is_refused_when_2fa_is_already_on(owner_client):
    response = owner_client.get("/accounts/security/2fa/setup/")
    assert response["Location"] == "/accounts/security/"
