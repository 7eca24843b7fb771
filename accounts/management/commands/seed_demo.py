"""Demo data for a laptop: three users, their balances and 2FA secrets.

Idempotent: running it again keeps existing users and their authenticator secrets,
and prints the same lines. Refuses to run with DEBUG off, since it creates users
with published passwords.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Asset, Balance, User
from accounts.twofactor import base32_secret

DEMO_USERS = [
    {
        "username": "demo",
        "email": "demo@example.com",
        "password": "demo-trader-2026",
        "balances": {"BTC": "0.62", "ETH": "4.5", "USDT": "12500", "SOL": "40"},
    },
    {
        "username": "small",
        "email": "small@example.com",
        "password": "small-trader-2026",
        "balances": {"USDT": "1250.50", "ETH": "0.35", "DOGE": "2000"},
    },
    {
        "username": "compliance",
        "email": "compliance@example.com",
        "password": "compliance-2026",
        "balances": {},
        "staff_group": "Compliance",
    },
]


class Command(BaseCommand):
    help = "Create the demo users (demo, small, compliance) with 2FA on, and print their secrets."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo users have published passwords: refusing with DEBUG off.")
        if not Asset.objects.exists():
            raise CommandError("No assets: run `manage.py migrate` first.")
        assets = {asset.symbol: asset for asset in Asset.objects.all()}
        self.stdout.write("username     password             totp-secret")
        for spec in DEMO_USERS:
            user = self._user(spec)
            for symbol, amount in spec["balances"].items():
                Balance.objects.get_or_create(
                    user=user, asset=assets[symbol], defaults={"amount": Decimal(amount)}
                )
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, confirmed=True, defaults={"name": "Google Authenticator"}
            )
            self.stdout.write(
                f"{user.username:<12} {spec['password']:<20} {base32_secret(device.key)}"
            )

    def _user(self, spec) -> User:
        user = User.objects.filter(username=spec["username"]).first()
        if user is None:
            user = User.objects.create_user(
                spec["username"],
                spec["email"],
                spec["password"],
                first_name=spec["username"],
                email_verified_at=timezone.now(),  # demo addresses receive nothing
            )
        group_name = spec.get("staff_group")
        if group_name:
            group, _ = Group.objects.get_or_create(name=group_name)
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
        return user
