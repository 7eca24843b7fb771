"""TOTP two-factor authentication, the django-otp way.

Codes are always checked through django-otp devices, so that its throttling (a delay
that doubles after each failure) and replay protection (a code works once) hold for
every form that asks for one: login, the security page, API keys, reviews.
"""

import base64
import hmac
import secrets
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from .notices import send_notice
from .securitylock import start_security_lock

BACKUP_DEVICE_NAME = "backup"


class CodeRejected(Exception):
    """A 2FA code that did not verify; the message is safe to show to the user."""


def new_totp_key() -> str:
    """A fresh 160-bit TOTP secret, hex-encoded as django-otp stores it."""
    return secrets.token_hex(20)


def base32_secret(hex_key: str) -> str:
    """The secret as authenticator apps take it for manual entry."""
    return base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")


def provisioning_uri(user, hex_key: str) -> str:
    issuer = settings.OTP_TOTP_ISSUER
    label = quote(f"{issuer}:{user.username}")
    params = urlencode({"secret": base32_secret(hex_key), "issuer": issuer, "digits": 6})
    return f"otpauth://totp/{label}?{params}"


def qr_code_svg(data: str) -> str:
    """The QR code as an inline SVG element, drawn on our own server."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_2fa(user) -> bool:
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def confirm_totp_setup(*, user, hex_key: str, code: str, request=None) -> TOTPDevice:
    """Turn on 2FA with the secret the user scanned, if ``code`` proves they did.

    The secret has waited in the session until now; it reaches the database only
    once a correct code confirms that the user's authenticator holds it.
    """
    if has_2fa(user):
        raise CodeRejected("Two-factor authentication is already on.")
    device = TOTPDevice(user=user, name="Google Authenticator", key=hex_key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    code = (code or "").strip()
    if not code.isdigit() or not totp.verify(int(code), device.tolerance):
        raise CodeRejected("That code is not right. Check the time on your phone and try again.")
    # Remember the step just used, so the confirmation code can't log in a second time.
    device.last_t = totp.t()
    device.save()
    lines = ["Two-factor authentication was turned on: signing in now needs a code as well."]
    subject = "Two-factor authentication was turned on"
    send_notice(user=user, subject=subject, lines=lines, request=request)
    return device


def verify_code(user, code: str, *, allow_backup: bool = False):
    """The device that accepts ``code`` for ``user``, or CodeRejected.

    Backup codes are for signing in when the phone is lost; actions (keys, reviews)
    take the authenticator's code only.
    """
    code = (code or "").strip().replace(" ", "")
    device = totp_device(user)
    if device is None:
        raise CodeRejected("Turn on two-factor authentication first.")
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise CodeRejected(_throttled_message(info))
    if code.isdigit() and len(code) == device.digits:
        # django-otp counts a failure against the device itself.
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
        if _just_used(device, code):
            # Right, but spent (two actions within one step): say so. The failure was
            # counted all the same; nobody learns anything they did not type themselves.
            raise CodeRejected(JUST_USED)
    else:
        if allow_backup and code:
            backup = StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).first()
            verified = backup and verify_token(user, backup.persistent_id, code.lower())
            if verified:
                return verified
        # Anything else counts against the authenticator too, so that switching between
        # malformed input, backup codes and TOTP codes can't multiply the guesses.
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_count=F("throttling_failure_count") + 1,
            throttling_failure_timestamp=timezone.now(),
        )
    raise CodeRejected("Invalid or already used code.")


JUST_USED = "This code was just used; wait for the next one."


def _just_used(device: TOTPDevice, code: str) -> bool:
    """Whether ``code`` is the authenticator's code for a step already spent (at or before
    the device's ``last_t``) within the tolerance django-otp accepts: django-otp's verify
    says only yes or no."""
    device.refresh_from_db(fields=["last_t"])
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = timezone.now().timestamp()
    for offset in range(-device.tolerance, device.tolerance + 1):
        totp.time = now + offset * device.step
        token = f"{totp.token():0{device.digits}d}"
        if totp.t() <= device.last_t and hmac.compare_digest(token, code):
            return True
    return False


def _throttled_message(info) -> str:
    locked_until = (info or {}).get("locked_until")
    if locked_until:
        seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
        return f"Too many wrong codes. Try again in {seconds} second{pluralize(seconds)}."
    return "Too many wrong codes. Try again later."


@transaction.atomic
def regenerate_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with fresh ones and return them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=BACKUP_DEVICE_NAME).count()


@transaction.atomic
def disable_2fa(user, *, request=None) -> None:
    until = start_security_lock(user=user)
    lines = [
        "Two-factor authentication was turned off: signing in now needs only the password.",
        "Your passkeys were removed with it.",
        f"Withdrawals through the API are locked until {until:%Y-%m-%d %H:%M} UTC.",
    ]
    subject = "Two-factor authentication was turned off"
    send_notice(user=user, subject=subject, lines=lines, request=request)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    # A passkey is a second factor beside the app, never instead of it.
    WebAuthnCredential.objects.filter(user=user).delete()
