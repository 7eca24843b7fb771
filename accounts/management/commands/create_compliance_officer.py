"""The first compliance officer in production (README, "Production").

Creates a staff user in the "Compliance" group, or promotes an existing account (a
``createsuperuser`` one too), and, unless the account already has 2FA, turns on TOTP and
prints its enrolment: the otpauth URI and a QR code drawn in the terminal, for the
officer to add to an authenticator app. A new user's password is generated and printed
once; the officer changes it under Security.
"""

import io
import secrets

import qrcode
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.twofactor import base32_secret, has_2fa, new_totp_key, provisioning_uri

GROUP = "Compliance"


class Command(BaseCommand):
    help = "Create (or promote) a compliance officer and print their 2FA enrolment."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", help="needed when the user does not exist yet")

    @transaction.atomic
    def handle(self, *args, username, email=None, **options):
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            if not email:
                raise CommandError("A new user needs --email.")
            password = secrets.token_urlsafe(18)
            user = User.objects.create_user(
                username, email.strip().lower(), password, email_verified_at=timezone.now()
            )
        elif user.is_subaccount:
            raise CommandError("A sub-account can't be staff: it never signs in.")
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        group, _ = Group.objects.get_or_create(name=GROUP)
        user.groups.add(group)
        self.stdout.write(f"{user.username} is staff in the {GROUP} group.")
        if password:
            self.stdout.write(f"Password: {password}  (shown once; change it under Security)")
        if has_2fa(user):
            self.stdout.write("2FA is already on for this account: it signs in with its own app.")
            return
        hex_key = new_totp_key()
        TOTPDevice.objects.create(user=user, name="Google Authenticator", key=hex_key)
        uri = provisioning_uri(user, hex_key)
        self.stdout.write("Add this to an authenticator app (scan, or type the secret):")
        self.stdout.write(_terminal_qr(uri))
        self.stdout.write(uri)
        self.stdout.write(f"Secret: {base32_secret(hex_key)}")


def _terminal_qr(data: str) -> str:
    code = qrcode.QRCode(border=2)
    code.add_data(data)
    drawn = io.StringIO()
    code.print_ascii(out=drawn, invert=True)
    return drawn.getvalue()
