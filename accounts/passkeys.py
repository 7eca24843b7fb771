"""Passkeys and security keys: a second factor beside the authenticator app.

django-otp-webauthn does the WebAuthn ceremonies and stores each passkey as a django-otp
device, so a session verified with one is verified exactly as one verified with a code
(``user.is_verified()``, the admin's gate). The portal adds the rules around it:

- the authenticator app stays required: a passkey is added only by a session verified
  with 2FA, and turning 2FA off removes the passkeys too (``twofactor.disable_2fa``);
- a passkey never signs anyone in on its own: it answers the code step of a sign-in
  whose password was right (``passkey_views``);
- adding one is confirmed with the authenticator's code (or a backup code), as removing
  one is: the code opens a short window for one registration in this session only
  (``open_add_window``), so a stolen session cookie can't add a thief's passkey;
- added, renamed and removed here, with a security notice for each addition or removal.

A passkey is named in URLs by the SHA-256 of its credential ID: random, not a sequence.
"""

import math
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from .notices import send_notice

DEFAULT_NAME = "Passkey"
ADD_WINDOW = "passkey_add_window"  # session key
ADD_WINDOW_SECONDS = 300


class PortalWebAuthnHelper(WebAuthnHelper):
    """The library's helper, with one development convenience: any port of
    http://localhost is an allowed origin when WEBAUTHN_ANY_LOCALHOST_PORT is on
    (DEBUG), so runserver and the test live server work without a setting."""

    def get_allowed_origins(self) -> list[str]:
        origins = list(super().get_allowed_origins())
        if settings.WEBAUTHN_ANY_LOCALHOST_PORT:
            origin = f"{self.request.scheme}://{self.request.get_host()}"
            if urlsplit(origin).hostname == "localhost" and origin not in origins:
                origins.append(origin)
        return origins


def passkeys_of(user) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user).order_by("created_at", "pk"))


def passkey_of(user, code: str) -> WebAuthnCredential:
    """The user's passkey named by ``code``; another account's (or none) is a 404."""
    passkey = WebAuthnCredential.objects.filter(user=user, credential_id_sha256=code).first()
    if passkey is None:
        raise Http404("No such passkey.")
    return passkey


def has_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def can_add_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user).count() < settings.PASSKEY_MAX_PER_ACCOUNT


def open_add_window(session, user) -> None:
    """A code was just confirmed in this session: one passkey may be added in the next
    ADD_WINDOW_SECONDS, by this session and this user only."""
    session[ADD_WINDOW] = {"user_id": user.pk, "until": time.time() + ADD_WINDOW_SECONDS}


def add_window_open(session, user) -> bool:
    window = session.get(ADD_WINDOW)
    if not isinstance(window, dict) or window.get("user_id") != user.pk:
        return False
    until = window.get("until")
    return isinstance(until, int | float) and time.time() < until


def add_window_minutes_left(session, user) -> int:
    if not add_window_open(session, user):
        return 0
    return max(1, math.ceil((session[ADD_WINDOW]["until"] - time.time()) / 60))


def close_add_window(session) -> None:
    """A registration completed: the window is spent."""
    session.pop(ADD_WINDOW, None)


@transaction.atomic
def passkey_added(*, user, passkey: WebAuthnCredential) -> None:
    """Name a just-registered passkey ("Passkey 2") and tell the owner."""
    count = WebAuthnCredential.objects.filter(user=user).count()
    passkey.name = DEFAULT_NAME if count <= 1 else f"{DEFAULT_NAME} {count}"
    passkey.save(update_fields=["name"])
    lines = [
        f"A passkey ({passkey.name}) was added to your account: it can now confirm sign-ins "
        "in place of a code from your authenticator app.",
        "If this was not you, remove it on the Security page and change your password.",
    ]
    send_notice(user=user, subject="A passkey was added to your account", lines=lines)


@transaction.atomic
def rename_passkey(*, user, passkey: WebAuthnCredential, name: str) -> None:
    passkey.name = name
    passkey.save(update_fields=["name"])


@transaction.atomic
def remove_passkey(*, user, passkey: WebAuthnCredential) -> None:
    name = passkey.name
    passkey.delete()
    lines = [f"The passkey {name} was removed from your account: it no longer signs you in."]
    send_notice(user=user, subject="A passkey was removed from your account", lines=lines)


def remove_all_passkeys(user) -> int:
    count, _ = WebAuthnCredential.objects.filter(user=user).delete()
    return count
