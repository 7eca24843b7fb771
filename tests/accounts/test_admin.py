from django.contrib.admin import site
from django.contrib.auth.models import Group
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


def test_staff_sign_in_to_the_admin_through_the_portals_two_steps(client, db, totp):
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    to_login = client.get("/admin/login/?next=/admin/")
    assert to_login["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    # One form per step: the password, then the code; no device drop-down, no
    # "Please select a device" on the first try.
    page = client.get(to_login["Location"]).content.decode()
    assert "otp_device" not in page
    step = client.post(
        "/accounts/login/", {"username": admin.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert step["Location"] == "/accounts/login/code/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302, "the password alone opens nothing"
    done = client.post(step["Location"], {"code": totp.code(admin), "next": "/admin/"})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_takes_no_password(client, db):
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    response = client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_signed_in_trader_is_refused_the_admin_without_a_loop(owner_client):
    assert owner_client.get("/admin/login/?next=/admin/").status_code == 403


def test_an_off_site_next_is_replaced_by_the_admin_index(client, db):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_admin_hides_totp_secrets(db):
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    device = admin.totpdevice_set.get()
    client = verified_client(Client(), admin)
    html = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in html
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200
    assert device.key not in client.get("/admin/otp_totp/totpdevice/").content.decode()


def test_the_admin_password_change_sends_staff_to_the_portals_page(db):
    # The portal's page is the one with the rules: the 2FA code, the other sessions
    # signed out, the security lock and the notice.
    admin = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    client = verified_client(Client(), admin)
    assert client.get("/admin/password_change/")["Location"] == "/accounts/security/password/"
    new = "x" * 20
    data = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    response = client.post("/admin/password_change/", data)
    assert response["Location"] == "/accounts/security/password/"
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)
    assert admin.security_locked_until is None


def test_the_reset_password_button_shows_only_to_who_may_use_it(db):
    officer = with_2fa(UserFactory(is_staff=True))
    officer.groups.add(Group.objects.get(name="Compliance"))
    superuser = with_2fa(UserFactory(is_staff=True, is_superuser=True))
    trader = UserFactory()
    page = f"/admin/accounts/user/{trader.pk}/change/"
    officer_client = verified_client(Client(), officer)
    html = officer_client.get(page).content.decode()
    assert "Reset password" not in html and "../password/" not in html
    assert "algorithm" in html  # the hash's summary still shows
    assert officer_client.get(f"/admin/accounts/user/{trader.pk}/password/").status_code == 403
    assert "Reset password" in verified_client(Client(), superuser).get(page).content.decode()


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
