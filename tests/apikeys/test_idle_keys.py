"""Idle keys: a key unused for APIKEY_IDLE_DAYS is flagged on the pages, listed in a
weekly digest (once per account and week, to the parent for a sub-account's keys), and
disabled, never deleted, for accounts that turned that on; "Enable" with a code brings
it back, except a key whose secret leaked (that needs a roll)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apikeys import services
from apikeys.models import ApiKey, AuditEvent, IdleDigest
from tests.factories import ApiKeyFactory, SubaccountFactory
from tests.helpers import SignedApi, error_code

# A Wednesday; the ISO week starts on Monday 2026-03-02.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
WHITELIST = ["203.0.113.7/32"]


def days_ago(days, **more):
    return NOW - timedelta(days=days, **more)


@pytest.fixture
def api(db):
    return SignedApi(Client())


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """The weekly command's two steps at ``now``: (disabled, digests sent)."""

    def run(now=NOW):
        with django_capture_on_commit_callbacks(execute=True):
            return services.disable_idle_keys(now=now), services.send_idle_digests(now=now)

    return run


# --- The flag ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_used", "created", "idle"),
    [
        (days_ago(89, hours=23), days_ago(400), False),
        (days_ago(90), days_ago(400), True),
        (None, days_ago(89), False),  # never used, but new
        (None, days_ago(90), True),  # created long ago and never used
    ],
)
def test_a_key_is_idle_from_90_days_without_use(db, last_used, created, idle):
    apikey = ApiKeyFactory(last_used_at=last_used, created_at=created, ip_whitelist=WHITELIST)
    assert apikey.is_idle(NOW) is idle
    assert ApiKey.objects.idle(NOW).filter(pk=apikey.pk).exists() is idle


def test_the_idle_days_are_a_setting(db, settings):
    settings.APIKEY_IDLE_DAYS = 30
    apikey = ApiKeyFactory(last_used_at=days_ago(30), created_at=days_ago(60))
    assert apikey.is_idle(NOW)


def test_disabled_and_expired_keys_are_not_idle(db):
    old = {"last_used_at": days_ago(200), "created_at": days_ago(300)}
    disabled = ApiKeyFactory(disabled_at=days_ago(1), disabled_reason="idle", **old)
    expired = ApiKeyFactory(expires_at=days_ago(1), **old)
    assert not disabled.is_idle(NOW) and not expired.is_idle(NOW)
    assert not ApiKey.objects.idle(NOW).exists()


def test_the_list_and_the_key_page_flag_an_idle_key_with_when_it_was_last_used(
    owner_client, trader
):
    idle = ApiKeyFactory(
        user=trader, alias="sleepy", created_at=days_ago(400), ip_whitelist=WHITELIST
    )
    ApiKeyFactory(user=trader, alias="busy", ip_whitelist=WHITELIST)
    page = owner_client.get(reverse("apikeys:index")).content.decode()
    assert page.count('data-testid="idle"') == 1
    assert 'data-alias="sleepy"' in page.split('data-testid="idle"')[0].rsplit("<tr", 1)[1]
    detail = owner_client.get(reverse("apikeys:detail", args=[idle.code])).content.decode()
    assert 'data-testid="idle"' in detail and "never used in" in detail

    ApiKey.objects.filter(pk=idle.pk).update(
        last_used_at=timezone.now() - timedelta(days=95, hours=1)
    )
    detail = owner_client.get(reverse("apikeys:detail", args=[idle.code])).content.decode()
    assert "last used 95 days ago" in detail


# --- The weekly digest ---------------------------------------------------------------


def test_the_digest_lists_the_accounts_idle_keys_once_per_week(run, trader):
    idle = ApiKeyFactory(user=trader, created_at=days_ago(120), ip_whitelist=WHITELIST)
    ApiKeyFactory(user=trader, last_used_at=days_ago(3), ip_whitelist=WHITELIST)
    assert run() == (0, 1)
    (digest,) = mail.outbox
    assert digest.to == [trader.email]
    assert idle.api_key in digest.body and f"/api-management/keys/{idle.code}/" in digest.body
    assert idle.plain_secret not in digest.body
    assert "never (created" in digest.body
    # The same week, even the same minute: nothing more. Monday next week: again.
    assert run(NOW) == (0, 0)
    assert run(NOW + timedelta(days=4, hours=11)) == (0, 0)  # Sunday 23:00
    assert run(NOW + timedelta(days=5)) == (0, 1)  # Monday
    assert len(mail.outbox) == 2
    sent = IdleDigest.objects.filter(recipient=trader).order_by("week")
    assert [row.listed[0]["api_key"] for row in sent] == [idle.api_key, idle.api_key]


def test_no_idle_keys_no_digest(run, trader):
    ApiKeyFactory(user=trader, last_used_at=days_ago(10), ip_whitelist=WHITELIST)
    assert run() == (0, 0) and mail.outbox == []


def test_a_sub_accounts_idle_keys_go_to_its_parent_in_the_parents_one_digest(run, trader):
    sub = SubaccountFactory(parent=trader)
    own = ApiKeyFactory(user=trader, created_at=days_ago(100), ip_whitelist=WHITELIST)
    subs = ApiKeyFactory(user=sub, created_at=days_ago(100), ip_whitelist=WHITELIST)
    assert run() == (0, 1)
    (digest,) = mail.outbox
    assert digest.to == [trader.email]
    assert own.api_key in digest.body and subs.api_key in digest.body
    assert f"/subaccounts/{sub.subaccount.code}/api-management/keys/{subs.code}/" in digest.body


def test_the_command_runs_both_steps_and_says_what_it_did(
    trader, django_capture_on_commit_callbacks
):
    ApiKeyFactory(user=trader, created_at=days_ago(100), ip_whitelist=WHITELIST)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("idle_keys", stdout=out)
        call_command("idle_keys", stdout=out)
    assert "Disabled 0 idle key(s); sent 1 idle-key digest(s)." in out.getvalue()
    assert "sent 0 idle-key digest(s)." in out.getvalue() and len(mail.outbox) == 1


# --- "Disable keys idle for 90 days" -------------------------------------------------


def test_idle_keys_are_disabled_only_for_accounts_that_turned_it_on(run, trader, outsider):
    mine = ApiKeyFactory(user=trader, created_at=days_ago(100), ip_whitelist=WHITELIST)
    theirs = ApiKeyFactory(user=outsider, created_at=days_ago(100), ip_whitelist=WHITELIST)
    fresh = ApiKeyFactory(user=trader, last_used_at=days_ago(89), ip_whitelist=WHITELIST)
    services.set_idle_policy(owner=trader, actor=trader, disable_idle=True)
    mail.outbox.clear()

    assert run() == (1, 1)  # mine disabled; the outsider's digest lists theirs
    mine.refresh_from_db(), theirs.refresh_from_db(), fresh.refresh_from_db()
    assert (mine.disabled_at, mine.disabled_reason) == (NOW, "idle")
    assert theirs.disabled_at is None and fresh.disabled_at is None
    assert ApiKey.objects.filter(pk=mine.pk).exists()  # disabled, not deleted
    event = AuditEvent.objects.get(apikey=mine, action="disabled")
    assert event.changes["reason"]["after"] == "idle for 90 days" and event.actor is None
    disabled_mail, digest = mail.outbox
    assert disabled_mail.to == [trader.email] and mine.api_key in disabled_mail.body
    assert "Enable" in disabled_mail.body and mine.plain_secret not in disabled_mail.body
    assert digest.to == [outsider.email]
    # A week on, the key used 89 days ago has turned idle too; mine is not disabled twice.
    assert run(NOW + timedelta(days=7)) == (1, 1)
    fresh.refresh_from_db()
    assert fresh.disabled_reason == "idle"
    assert AuditEvent.objects.filter(apikey=mine, action="disabled").count() == 1


def test_turning_it_off_again_stops_the_disabling(run, trader):
    apikey = ApiKeyFactory(user=trader, created_at=days_ago(100), ip_whitelist=WHITELIST)
    services.set_idle_policy(owner=trader, actor=trader, disable_idle=True)
    services.set_idle_policy(owner=trader, actor=trader, disable_idle=False)
    assert run() == (0, 1)
    apikey.refresh_from_db()
    assert apikey.disabled_at is None


def test_a_key_disabled_for_being_idle_is_refused_by_the_api(run, trader, api):
    now = timezone.now()
    apikey = ApiKeyFactory(
        user=trader, created_at=now - timedelta(days=100), ip_whitelist=WHITELIST
    )
    assert api.get(apikey, "/api/v1/key", remote_addr="203.0.113.7").status_code == 200
    ApiKey.objects.filter(pk=apikey.pk).update(last_used_at=now - timedelta(days=100))
    services.set_idle_policy(owner=trader, actor=trader, disable_idle=True)
    assert run(now) == (1, 0)
    refused = api.get(apikey, "/api/v1/key", remote_addr="203.0.113.7")
    assert (refused.status_code, error_code(refused)) == (401, "key_disabled")


def test_the_setting_is_changed_by_post_with_a_code_and_audited(owner_client, trader, totp):
    url = reverse("apikeys:idle_keys")
    page = owner_client.get(url).content.decode()
    assert 'data-testid="idle-policy-state">off<' in page
    refused = owner_client.post(url, {"disable_idle": "on", "code": "000000"})
    assert refused.status_code == 200 and not services.disables_idle_keys(trader)

    response = owner_client.post(url, {"disable_idle": "on", "code": totp.code(trader)})
    assert response.status_code == 302 and services.disables_idle_keys(trader)
    # The state asked for, not a toggle: the same post again changes nothing.
    owner_client.post(url, {"disable_idle": "on", "code": totp.code(trader)})
    assert services.disables_idle_keys(trader)
    (event,) = AuditEvent.objects.filter(owner=trader, action="idle_setting")
    assert event.changes == {"disable_idle_keys": {"before": "Off", "after": "On"}}
    assert event.actor == trader
    index = owner_client.get(reverse("apikeys:index")).content.decode()
    assert 'data-testid="idle-setting-state">on<' in index


def test_a_parent_turns_it_on_for_a_sub_account_with_its_own_code(
    owner_client, trader, subaccount, totp
):
    url = reverse("subaccounts:apikey_idle_keys", args=[subaccount.subaccount.code])
    response = owner_client.post(url, {"disable_idle": "on", "code": totp.code(trader)})
    assert response.status_code == 302
    assert services.disables_idle_keys(subaccount) and not services.disables_idle_keys(trader)
    event = AuditEvent.objects.get(action="idle_setting")
    assert (event.owner, event.actor) == (subaccount, trader)


# --- Enable again ----------------------------------------------------------------------


def test_an_idle_disabled_key_is_enabled_again_with_a_code(
    owner_client, trader, totp, api, django_capture_on_commit_callbacks
):
    apikey = ApiKeyFactory(
        user=trader, ip_whitelist=WHITELIST, disabled_at=days_ago(1), disabled_reason="idle"
    )
    detail = owner_client.get(reverse("apikeys:detail", args=[apikey.code])).content.decode()
    enable_url = reverse("apikeys:enable", args=[apikey.code])
    assert enable_url in detail and "this account disables idle keys" in detail
    assert owner_client.post(enable_url, {"code": "000000"}).status_code == 200
    apikey.refresh_from_db()
    assert apikey.disabled_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(enable_url, {"code": totp.code(trader)})
    assert response.status_code == 302
    apikey.refresh_from_db()
    assert (apikey.disabled_at, apikey.disabled_reason) == (None, "")
    assert AuditEvent.objects.filter(apikey=apikey, action="enabled", actor=trader).exists()
    assert "enabled again" in mail.outbox[-1].subject
    assert api.get(apikey, "/api/v1/key", remote_addr="203.0.113.7").status_code == 200


def test_a_leak_disabled_key_can_not_be_enabled_the_page_says_to_roll(owner_client, trader, totp):
    apikey = ApiKeyFactory(user=trader, disabled_at=days_ago(1), disabled_reason="leaked")
    enable_url = reverse("apikeys:enable", args=[apikey.code])
    detail = owner_client.get(reverse("apikeys:detail", args=[apikey.code])).content.decode()
    assert enable_url not in detail and "roll the secret" in detail
    page = owner_client.post(enable_url, {"code": totp.code(trader)})
    assert page.status_code == 200 and 'data-testid="enable-refused"' in page.content.decode()
    assert reverse("apikeys:roll", args=[apikey.code]) in page.content.decode()
    apikey.refresh_from_db()
    assert apikey.disabled_reason == "leaked"
    with pytest.raises(services.KeyRefused):
        services.enable_key(owner=trader, actor=trader, apikey=apikey)


def test_rolling_a_leaked_keys_secret_enables_it_with_the_new_secret_only(trader, api):
    apikey = ApiKeyFactory(
        user=trader, ip_whitelist=WHITELIST, disabled_at=days_ago(1), disabled_reason="leaked"
    )
    leaked = apikey.plain_secret
    rolled = services.roll_secret(
        owner=trader, actor=trader, apikey=apikey, grace=services.Grace.WEEK
    )
    apikey.refresh_from_db()
    assert apikey.disabled_at is None and apikey.previous_valid_until is None
    assert AuditEvent.objects.filter(apikey=apikey, action="enabled").exists()
    apikey.plain_secret = rolled.secret
    assert api.get(apikey, "/api/v1/key", remote_addr="203.0.113.7").status_code == 200
    apikey.plain_secret = leaked
    refused = api.get(apikey, "/api/v1/key", remote_addr="203.0.113.7")
    assert (refused.status_code, error_code(refused)) == (401, "invalid_signature")


def test_the_roll_page_of_a_leaked_key_offers_no_grace_period(owner_client, trader):
    apikey = ApiKeyFactory(user=trader, disabled_at=days_ago(1), disabled_reason="leaked")
    page = owner_client.get(reverse("apikeys:roll", args=[apikey.code])).content.decode()
    assert 'value="none"' in page and 'value="1h"' not in page


def test_enabling_a_key_that_is_not_disabled_changes_nothing(owner_client, trader):
    apikey = ApiKeyFactory(user=trader)
    response = owner_client.get(reverse("apikeys:enable", args=[apikey.code]))
    assert response.status_code == 302
    assert not services.enable_key(owner=trader, actor=trader, apikey=apikey)


def test_an_enabled_key_gets_a_fresh_idle_period_before_it_is_disabled_again(trader):
    """Enabling an idle key for a bot that starts next week must not be undone by the
    next weekly run (found from outside)."""
    services.set_idle_policy(owner=trader, actor=trader, disable_idle=True)
    apikey = ApiKeyFactory(user=trader, created_at=days_ago(200), last_used_at=days_ago(150))
    assert services.disable_idle_keys() == 1
    apikey.refresh_from_db()
    services.enable_key(owner=trader, actor=trader, apikey=apikey)
    apikey.refresh_from_db()
    assert not apikey.is_idle()

    week_later = timezone.now() + timedelta(days=7)
    assert services.disable_idle_keys(now=week_later) == 0
    assert services.disable_idle_keys(now=timezone.now() + timedelta(days=91)) == 1
