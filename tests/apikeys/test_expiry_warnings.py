"""Expiry warnings: 7 days and 1 day before a key expires, each e-mailed once by the
hourly command, with a link to the key and never a secret."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from apikeys import services
from tests.factories import ApiKeyFactory, SubaccountFactory


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return services.send_expiry_warnings(now=now)

    return run


def test_warnings_go_out_once_at_7_days_and_once_at_1_day_as_the_clock_moves(run, trader):
    start = timezone.now()
    apikey = ApiKeyFactory(user=trader, expires_at=start + timedelta(days=10))
    hours = [run(start + timedelta(hours=h)) for h in range(0, 10 * 24 + 2)]
    assert sum(hours) == 2
    within = [message.subject.split(" expires within ")[1] for message in mail.outbox]
    assert within == ["7 days", "1 day"]
    seven, one = mail.outbox
    assert apikey.api_key in seven.body and f"/api-management/keys/{apikey.code}/" in seven.body
    assert apikey.plain_secret not in seven.body + one.body
    assert seven.to == [trader.email]


def test_a_key_first_seen_within_a_day_gets_only_the_1_day_warning(run, trader):
    now = timezone.now()
    ApiKeyFactory(user=trader, expires_at=now + timedelta(hours=5))
    assert run(now) == 1 and run(now + timedelta(hours=1)) == 0
    assert "1 day" in mail.outbox[0].subject


def test_an_extended_key_is_warned_again_about_its_new_expiry(run, trader):
    now = timezone.now()
    apikey = ApiKeyFactory(user=trader, expires_at=now + timedelta(days=6))
    assert run(now) == 1
    services.extend_key(
        owner=trader, actor=trader, apikey=apikey, expires_on=(now + timedelta(days=40)).date()
    )
    assert run(now + timedelta(days=34)) == 1


def test_keys_far_from_expiry_never_expiring_expired_or_disabled_are_not_warned(run, trader):
    now = timezone.now()
    ApiKeyFactory(user=trader, expires_at=now + timedelta(days=8))
    ApiKeyFactory(user=trader, expires_at=None, ip_whitelist=["203.0.113.7/32"])
    ApiKeyFactory(user=trader, expires_at=now - timedelta(hours=1))
    ApiKeyFactory(user=trader, expires_at=now + timedelta(days=2), disabled_at=now)
    assert run(now) == 0 and mail.outbox == []


def test_a_sub_accounts_key_warns_its_parent_with_the_sub_account_link(run, trader):
    sub = SubaccountFactory(parent=trader)
    apikey = ApiKeyFactory(user=sub, expires_at=timezone.now() + timedelta(days=3))
    assert run(timezone.now()) == 1
    (message,) = mail.outbox
    assert message.to == [trader.email]
    assert f"/subaccounts/{sub.subaccount.code}/api-management/keys/{apikey.code}/" in message.body


def test_the_command_sends_and_says_how_many(trader, django_capture_on_commit_callbacks):
    ApiKeyFactory(user=trader, expires_at=timezone.now() + timedelta(days=2))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_expiry_warnings", stdout=out)
    assert "Sent 1 expiry warning(s)." in out.getvalue() and len(mail.outbox) == 1
