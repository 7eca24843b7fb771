"""2FA under attack: replayed codes, guessing, backup codes.

tests/accounts/test_login.py covers the login step (a code used twice, the delay
doubling at a factor of 10, a backup code signing in once). This module covers what
it doesn't: codes confirming key actions, the exact 1, 2, 4, 8 s delays at the
configured factor of 1 on both the login step and key creation (the clock is moved,
nobody sleeps), and backup codes, which are for signing in only.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.twofactor import regenerate_backup_codes
from apikeys.models import ApiKey
from tests.factories import PASSWORD, ApiKeyFactory


class Clock:
    """timezone.now(), moved by the test: django-otp's throttle reads it."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, seconds: float):
        self.now += timedelta(seconds=seconds)


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def create_key(client, code, alias="bot"):
    return client.post(
        "/api-management/keys/new/", {"alias": alias, "key_choice": "hmac-sha256", "code": code}
    )


def test_a_code_that_created_a_key_cannot_delete_one(owner_client, trader, totp):
    code = totp.code(trader)
    assert create_key(owner_client, code)["Location"].endswith("/secret/")
    key = ApiKey.objects.get(user=trader)
    response = owner_client.post(f"/api-management/keys/{key.code}/delete/", {"code": code})
    assert response.status_code == 200
    assert "This code was just used; wait for the next one." in response.content.decode()
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_a_code_that_signed_in_cannot_confirm_a_key_action(client, trader, totp):
    code = totp.code(trader)
    client.post("/accounts/login/", {"username": trader.username, "password": PASSWORD})
    assert client.post("/accounts/login/code/", {"code": code}).status_code == 302
    response = create_key(client, code)
    assert "This code was just used; wait for the next one." in response.content.decode()
    assert not ApiKey.objects.filter(user=trader).exists()


def login_attempt(client, user):
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})

    def attempt(code):
        return client.post("/accounts/login/code/", {"code": code})

    return attempt


def key_creation_attempt(client, user):
    from tests.helpers import verified_client

    verified_client(client, user)
    return lambda code: create_key(client, code)


@pytest.mark.parametrize("flow", [login_attempt, key_creation_attempt], ids=["login", "create-key"])
def test_guessing_is_throttled_1_2_4_8_seconds(client, trader, totp, monkeypatch, settings, flow):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    right = totp.code(trader)  # fresh: no failures, no step used yet
    clock = Clock(monkeypatch)
    attempt = flow(client, trader)
    delays = []
    for _ in range(4):
        response = attempt(wrong_code(right))
        assert "Invalid or already used code" in response.content.decode()
        device = TOTPDevice.objects.get(user=trader)
        allowed, info = device.verify_is_allowed()
        assert not allowed
        delay = (info["locked_until"] - device.throttling_failure_timestamp).total_seconds()
        delays.append(delay)
        # Within the delay even the right code is refused, and the refusal costs nothing.
        clock.advance(delay - 0.5)
        refused = attempt(right).content.decode()
        assert "Too many wrong codes. Try again in 1 second." in refused
        assert TOTPDevice.objects.get(user=trader).throttling_failure_count == len(delays)
        clock.advance(0.5)
    assert delays == [1, 2, 4, 8]
    assert not ApiKey.objects.filter(user=trader).exists()
    # Once the delay is over, the right code goes through.
    assert attempt(right).status_code == 302


def test_malformed_codes_count_as_guesses_too(owner_client, trader, monkeypatch):
    Clock(monkeypatch)
    for n, guess in enumerate(["12345", "abcdef", "1234567"], start=1):
        TOTPDevice.objects.filter(user=trader).update(throttling_failure_timestamp=None)
        create_key(owner_client, guess)
        assert TOTPDevice.objects.get(user=trader).throttling_failure_count == n


def test_backup_codes_sign_in_but_never_confirm_key_actions(owner_client, trader):
    codes = regenerate_backup_codes(trader)
    key = ApiKeyFactory(user=trader)
    response = owner_client.post(f"/api-management/keys/{key.code}/delete/", {"code": codes[0]})
    assert "Invalid or already used code" in response.content.decode()
    assert ApiKey.objects.filter(pk=key.pk).exists()
    response = create_key(owner_client, codes[1])
    assert not ApiKey.objects.filter(user=trader, alias="bot").exists()


def test_each_backup_code_works_once_even_across_sessions(client, trader, monkeypatch):
    from django.test import Client

    clock = Clock(monkeypatch)
    codes = regenerate_backup_codes(trader)
    first, second = Client(), Client()
    for c in (first, second):
        c.post("/accounts/login/", {"username": trader.username, "password": PASSWORD})
    assert first.post("/accounts/login/code/", {"code": codes[0]}).status_code == 302
    response = second.post("/accounts/login/code/", {"code": codes[0]})
    assert "Invalid or already used code" in response.content.decode()
    assert second.get("/assets/").status_code == 302
    # Another, unused code still signs in: the backup codes are spent one by one.
    clock.advance(2)  # past the 1 s delay the wrong attempt earned
    assert second.post("/accounts/login/code/", {"code": codes[1]}).status_code == 302
