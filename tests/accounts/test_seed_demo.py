from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import balance_usdt
from accounts.twofactor import base32_secret


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_creates_demo_small_and_compliance_with_2fa(db, settings):
    settings.DEBUG = True
    output = seed()
    names = ["demo", "small", "compliance"]
    demo, small, compliance = (User.objects.get(username=name) for name in names)
    assert balance_usdt(demo) > Decimal("50000") > balance_usdt(small) > 0
    assert compliance.is_staff and not compliance.is_superuser
    assert compliance.groups.filter(name="Compliance").exists()
    for user in (demo, small, compliance):
        device = TOTPDevice.objects.get(user=user)
        line = next(line for line in output.splitlines() if line.startswith(user.username + " "))
        assert line.split()[2] == base32_secret(device.key)
        assert user.check_password(line.split()[1])


def test_seed_twice_changes_nothing_and_prints_the_same(db, settings):
    settings.DEBUG = True
    first = seed()
    counts = (User.objects.count(), TOTPDevice.objects.count())
    assert seed() == first
    assert (User.objects.count(), TOTPDevice.objects.count()) == counts


def test_seed_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refusing"):
        seed()
