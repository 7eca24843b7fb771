import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.twofactor import regenerate_backup_codes
from tests.factories import PASSWORD, SubaccountFactory, UserFactory


def password_step(client, user, **extra):
    return client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD, **extra}
    )


def test_login_without_2fa_signs_in_at_once(client, db):
    user = UserFactory()
    response = password_step(client, user)
    assert response.status_code == 302
    assert response["Location"] == "/api-management/"
    assert client.get("/assets/").status_code == 200


def test_wrong_password_is_refused(client, db):
    user = UserFactory()
    response = client.post("/accounts/login/", {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()
    assert client.get("/assets/").status_code == 302


def test_login_with_2fa_asks_for_the_code_before_signing_in(client, owner, totp):
    response = password_step(client, owner)
    assert response["Location"].startswith("/accounts/login/code/")
    # The password alone signs nobody in.
    assert client.get("/assets/").status_code == 302

    response = client.post("/accounts/login/code/", {"code": totp.code(owner)})
    assert response.status_code == 302
    assert client.get("/assets/").status_code == 200
    assert client.session["otp_device_id"].startswith("otp_totp")


def test_wrong_code_is_refused_and_throttles_the_device(client, owner):
    password_step(client, owner)
    response = client.post("/accounts/login/code/", {"code": "000000"})
    assert response.status_code == 200
    assert "Invalid or already used code" in response.content.decode()
    assert TOTPDevice.objects.get(user=owner).throttling_failure_count == 1
    assert client.get("/assets/").status_code == 302


def test_a_code_cannot_be_used_twice(client, owner, totp):
    code = totp.code(owner)
    password_step(client, owner)
    client.post("/accounts/login/code/", {"code": code})
    client.post("/accounts/logout/")

    password_step(client, owner)
    response = client.post("/accounts/login/code/", {"code": code})
    assert "This code was just used; wait for the next one." in response.content.decode()
    assert client.get("/assets/").status_code == 302


def test_after_a_failure_even_the_right_code_waits_out_the_delay(client, owner, totp):
    right_code = totp.code(owner)
    password_step(client, owner)
    client.post("/accounts/login/code/", {"code": "111111"})
    response = client.post("/accounts/login/code/", {"code": right_code})
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/assets/").status_code == 302


def test_throttle_delay_doubles_with_each_failure(client, owner, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 10
    password_step(client, owner)
    delays = []
    for _ in range(3):
        TOTPDevice.objects.filter(user=owner).update(throttling_failure_timestamp=None)
        client.post("/accounts/login/code/", {"code": "222222"})
        device = TOTPDevice.objects.get(user=owner)
        allowed, info = device.verify_is_allowed()
        assert not allowed
        delays.append((info["locked_until"] - device.throttling_failure_timestamp).seconds)
    assert delays == [10, 20, 40]


def test_each_backup_code_signs_in_once(client, owner):
    codes = regenerate_backup_codes(owner)
    password_step(client, owner)
    response = client.post("/accounts/login/code/", {"code": codes[0]})
    assert response.status_code == 302
    assert client.get("/assets/").status_code == 200
    client.post("/accounts/logout/")

    password_step(client, owner)
    response = client.post("/accounts/login/code/", {"code": codes[0]})
    assert "Invalid or already used code" in response.content.decode()
    assert client.get("/assets/").status_code == 302


def test_code_step_without_password_step_goes_back_to_login(client, db):
    response = client.get("/accounts/login/code/")
    assert response["Location"] == "/accounts/login/"


def test_login_is_rate_limited_per_username(client, db, settings):
    settings.LOGIN_RATE_PER_USERNAME = "3/m"
    user = UserFactory()
    for _ in range(3):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    response = password_step(client, user)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert client.get("/assets/").status_code == 302


def test_login_is_rate_limited_per_client_ip_across_usernames(client, db, settings):
    settings.LOGIN_RATE_PER_IP = "3/m"
    for n in range(3):
        client.post("/accounts/login/", {"username": f"guess{n}", "password": "wrong"})
    response = password_step(client, UserFactory())
    assert response.status_code == 429


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "http://evil.example/x"]
)
def test_next_pointing_to_another_host_is_ignored(client, db, target):
    user = UserFactory()
    response = password_step(client, user, next=target)
    assert response["Location"] == "/api-management/"


def test_next_on_this_site_is_followed(client, db):
    response = password_step(client, UserFactory(), next="/assets/")
    assert response["Location"] == "/assets/"


def test_subaccount_cannot_log_in_even_with_a_password(client, db):
    sub = SubaccountFactory()
    sub.set_password(PASSWORD)
    sub.save()
    response = password_step(client, sub)
    assert response.status_code == 200
    assert client.get("/assets/").status_code == 302


def test_logout_needs_post(client, owner):
    client.force_login(owner)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/assets/").status_code == 302


def test_logout_refuses_a_post_without_csrf_token(owner):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)
    assert csrf_client.post("/accounts/logout/").status_code == 403


def test_a_session_from_before_2fa_was_turned_on_must_pass_the_code_step(client, db, totp):
    user = UserFactory()
    password_step(client, user)  # signed in while 2FA was off
    with_device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    for page in ["/assets/", "/api-management/", "/accounts/security/", "/subaccounts/"]:
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/code/?next=")
    client.post("/accounts/login/code/", {"code": totp.code(user)})
    assert client.session["otp_device_id"] == with_device.persistent_id
    assert client.get("/assets/").status_code == 200


def test_code_step_sends_a_verified_session_on_its_way(owner_client):
    response = owner_client.get("/accounts/login/code/?next=/assets/")
    assert response["Location"] == "/assets/"


def test_read_only_pages_refuse_post(owner_client):
    for page in ["/assets/", "/api-management/", "/accounts/security/", "/subaccounts/"]:
        assert owner_client.post(page).status_code == 405


def test_a_throttled_login_never_checks_the_password(client, db, settings, monkeypatch):
    settings.LOGIN_RATE_PER_USERNAME = "1/m"
    user = UserFactory()
    client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    checked = []
    monkeypatch.setattr(
        "django.contrib.auth.backends.ModelBackend.authenticate",
        lambda *args, **kwargs: checked.append(1),
    )
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 429
    # Rendering the refused form must not validate it: that would answer the guess.
    assert checked == []
    assert "correct username and password" not in response.content.decode()


# What NFKC (Django's username normalisation) turns into "victim1", and other cases.
LOOKALIKES = ["ｖｉｃｔｉｍ１", "𝐯𝐢𝐜𝐭𝐢𝐦𝟏", "VICTIM1", "Ｖｉｃｔｉｍ1"]


@pytest.mark.parametrize("url", ["/accounts/login/"])  # staff sign in there too
def test_lookalike_letters_count_against_the_same_username(client, db, settings, url):
    settings.LOGIN_RATE_PER_USERNAME = f"{len(LOOKALIKES)}/m"
    victim = UserFactory(username="victim1", is_staff=True)
    for spelling in LOOKALIKES:
        client.post(url, {"username": spelling, "password": "guess"}, REMOTE_ADDR="192.0.2.1")
    # From a fresh address, so that only the per-username count can refuse it.
    response = client.post(
        url, {"username": victim.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.2"
    )
    assert response.status_code == 429


def test_a_planted_session_id_does_not_receive_the_password_verified_state(client, owner, totp):
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    planted = SessionStore()
    planted.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    password_step(client, owner)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key

    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert attacker.get("/accounts/login/code/")["Location"] == "/accounts/login/"
    client.post("/accounts/login/code/", {"code": totp.code(owner)})
    assert client.get("/assets/").status_code == 200
    assert attacker.get("/assets/").status_code == 302


@pytest.mark.parametrize("target", ["0", ":", "accounts:login", "a:b:c"])
def test_a_next_that_looks_like_a_view_name_is_a_plain_path_not_a_500(client, owner, totp, target):
    # Found by tests/security/test_hostile_forms.py: redirect() took "0" for a view name.
    response = password_step(client, owner, next=target)
    assert response.status_code == 302
    response = client.post("/accounts/login/code/", {"code": totp.code(owner), "next": target})
    assert response.status_code == 302
    # Taken as a relative path, or refused for the default: never looked up as a view.
    assert response["Location"] in (target, "/api-management/")
    assert response["Location"] != "/accounts/login/"


def test_a_password_change_voids_a_sign_in_waiting_at_the_code_step(client, owner, totp):
    # Someone with the old password and a phished code must not finish signing in
    # after the owner changed (or reset) the password.
    password_step(client, owner)
    owner.set_password("a-new-and-long-passphrase-2026")
    owner.save()
    response = client.post("/accounts/login/code/", {"code": totp.code(owner)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/assets/").status_code == 302


def test_only_failed_sign_ins_count_against_a_username(client, db, settings):
    settings.LOGIN_RATE_PER_USERNAME = "2/m"
    user = UserFactory()
    right = {"username": user.username, "password": PASSWORD}
    for n in range(3):  # the owner signing in from three places
        assert (
            Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post("/accounts/login/", right).status_code
            == 302
        )
    wrong = {"username": user.username, "password": "guess"}
    assert Client().post("/accounts/login/", wrong).status_code == 200
    assert Client().post("/accounts/login/", right).status_code == 302
    assert Client().post("/accounts/login/", wrong).status_code == 200
    # Two failures: the limit. Now even the right password waits.
    assert Client().post("/accounts/login/", right).status_code == 429
