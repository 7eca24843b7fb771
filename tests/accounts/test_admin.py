from django.contrib.admin import site
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, SubaccountFactory, UserFactory
from tests.helpers import verified_client, with_2fa


def test_admin_refuses_a_superuser_whose_session_has_no_2fa(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_login_without_otp_token_is_refused(client, db):
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_admin_login_with_password_and_code_gets_in(client, db, totp):
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    device_id = admin.totpdevice_set.get().persistent_id
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": admin.username,
            "password": PASSWORD,
            "otp_device": device_id,
            "otp_token": totp.code(admin),
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_hides_totp_secrets(db):
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    device = admin.totpdevice_set.get()
    client = verified_client(Client(), admin)
    html = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in html
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200
    assert device.key not in client.get("/admin/otp_totp/totpdevice/").content.decode()


def test_admin_login_is_rate_limited_like_the_portals(client, db, settings):
    settings.LOGIN_RATE_PER_USERNAME = "3/m"
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    for _ in range(3):
        client.post("/admin/login/", {"username": admin.username, "password": "wrong"})
    response = client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 429
    # Throttled before the password is checked: nothing tells whether it was right.
    assert "OTP" not in response.content.decode()


def test_the_admin_password_change_is_a_throttled_password_recheck(db, settings, monkeypatch):
    settings.PASSWORD_RECHECK_RATE_PER_USER = "2/15m"
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    client = verified_client(Client(), admin)
    guess = {"old_password": "guess", "new_password1": "x" * 20, "new_password2": "x" * 20}
    for _ in range(2):
        assert client.post("/admin/password_change/", guess).status_code == 200
    checked = []
    monkeypatch.setattr(type(admin), "check_password", lambda self, raw: checked.append(raw))
    response = client.post("/admin/password_change/", {**guess, "old_password": PASSWORD})
    assert response.status_code == 429
    assert checked == []


def test_a_note_with_control_characters_is_refused_in_the_admin_too(db, rf):
    # The admin's user form is built from the model: the validator sits on the field.
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    sub = SubaccountFactory(note="desk")
    request = rf.get("/")
    request.user = admin
    form_class = site._registry[User].get_form(request, sub)
    form = form_class(instance=sub, data={"note": "a\x1bb", "username": sub.username})
    assert not form.is_valid()
    assert "control characters" in str(form.errors["note"])
