"""manage.py create_compliance_officer: the first compliance officer in production."""

import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.twofactor import base32_secret
from tests.factories import SubaccountFactory, UserFactory


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_compliance_officer", *args, stdout=out)
    return out.getvalue()


def test_creates_a_staff_user_in_compliance_and_prints_the_totp_enrolment(db):
    output = run("carla", "--email", "carla@example.com")
    user = User.objects.get(username="carla")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Compliance"]
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    uri = re.search(r"otpauth://totp/\S+", output).group(0)
    assert parse_qs(urlparse(uri).query)["secret"] == [base32_secret(device.key)]
    assert "██" in output or "▀" in output or "▄" in output  # the QR code, drawn
    password = re.search(r"Password: (\S+)", output).group(1)
    assert user.check_password(password)


def test_promotes_an_existing_user_and_keeps_their_2fa(owner):
    before = TOTPDevice.objects.get(user=owner).key
    output = run("owner")
    owner.refresh_from_db()
    assert owner.is_staff and owner.groups.filter(name="Compliance").exists()
    assert TOTPDevice.objects.get(user=owner).key == before
    assert "otpauth://" not in output and "already" in output


def test_a_superuser_without_2fa_gets_the_same_enrolment(db):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    output = run("root")
    assert TOTPDevice.objects.filter(user=root, confirmed=True).exists()
    assert "otpauth://totp/" in output


def test_a_subaccount_or_a_missing_email_is_refused(owner):
    sub = SubaccountFactory(parent=owner, username="owner-ops")
    with pytest.raises(CommandError):
        run(sub.username)
    with pytest.raises(CommandError):
        run("nobody")  # a new user needs --email
    assert not User.objects.filter(username="nobody").exists()
