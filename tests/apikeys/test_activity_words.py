"""Recent activity and expiries read as people write them: times like the rest of the page,
fields named in words, no rows for changes that changed nothing, and one way of writing a
key's expiry on every page, message and e-mail."""

from datetime import UTC, date, datetime, timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apikeys import services
from apikeys.models import ApiKey, AuditEvent
from apikeys.whitelist import IpWhitelist
from tests.factories import ApiKeyFactory


def _rows(apikey, action):
    return AuditEvent.objects.get(apikey=apikey, action=action).change_rows()


def test_a_roll_with_a_grace_period_shows_when_the_old_secret_stops_in_words(trader):
    apikey = ApiKeyFactory(user=trader, ip_whitelist=["203.0.113.7/32"])
    now = datetime(2026, 11, 21, 19, 19, 31, 447425, tzinfo=UTC)
    services.roll_secret(owner=trader, actor=trader, apikey=apikey, grace="24h", now=now)
    assert _rows(apikey, "rolled") == [("Old secret valid until", None, "2026-11-22 19:19 UTC")]


def test_a_roll_without_a_grace_period_has_no_empty_change_row(owner_client, trader):
    apikey = ApiKeyFactory(user=trader, ip_whitelist=["203.0.113.7/32"])
    services.roll_secret(owner=trader, actor=trader, apikey=apikey, grace="none")
    assert _rows(apikey, "rolled") == []
    page = owner_client.get(reverse("apikeys:detail", args=[apikey.code])).content.decode()
    assert "old_secret_valid_until" not in page and "— → —" not in page


def test_the_key_page_activity_shows_no_iso_times(owner_client, trader):
    apikey = ApiKeyFactory(user=trader, ip_whitelist=["203.0.113.7/32"])
    services.roll_secret(owner=trader, actor=trader, apikey=apikey, grace="7d")
    services.end_grace(owner=trader, actor=trader, apikey=apikey)
    page = owner_client.get(reverse("apikeys:detail", args=[apikey.code])).content.decode()
    table = page[page.index('data-testid="events"') :]
    assert "Old secret valid until" in table
    assert "+00:00" not in table and "old_secret_valid_until" not in table


def test_a_day_granular_expiry_is_written_as_the_last_day_it_works():
    from apikeys.models import works_until

    assert works_until(datetime(2027, 7, 1, tzinfo=UTC)) == "2027-06-30 (end of day UTC)"
    assert works_until(datetime(2027, 7, 1, 13, 42, 5, tzinfo=UTC)) == "2027-07-01 13:42 UTC"
    assert works_until(None) == "never expires"


def _whitelisted_key_until(trader, last: date) -> ApiKey:
    expires_at = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    return ApiKeyFactory(user=trader, ip_whitelist=["203.0.113.7/32"], expires_at=expires_at)


def test_the_key_page_and_list_show_the_day_the_user_picked(owner_client, trader):
    last = timezone.now().date() + timedelta(days=40)
    apikey = _whitelisted_key_until(trader, last)
    detail = owner_client.get(reverse("apikeys:detail", args=[apikey.code])).content.decode()
    assert f"Works until {last:%Y-%m-%d} (end of day UTC)" in detail
    assert f"{last + timedelta(days=1):%Y-%m-%d} 00:00" not in detail
    listing = owner_client.get(reverse("apikeys:index")).content.decode()
    assert f"{last:%Y-%m-%d}" in listing
    assert f"{last + timedelta(days=1):%Y-%m-%d}" not in listing


def test_extend_starts_at_the_current_last_day_and_the_page_agrees_with_the_message(
    owner_client, trader, totp
):
    last = timezone.now().date() + timedelta(days=40)
    apikey = _whitelisted_key_until(trader, last)
    url = reverse("apikeys:extend", args=[apikey.code])
    assert owner_client.get(url).context["form"]["expires_on"].value() == last
    new_last = last + timedelta(days=30)
    response = owner_client.post(
        url, {"expires_on": new_last.isoformat(), "code": totp.code(trader)}, follow=True
    )
    page = response.content.decode()
    said = f"{new_last:%Y-%m-%d} (end of day UTC)"
    assert f"now works until {said}" in page
    assert f"Works until {said}" in page
    assert f"{new_last + timedelta(days=1):%Y-%m-%d} 00:00" not in page
    event = AuditEvent.objects.get(apikey=apikey, action="modified")
    assert event.change_rows()[0][2] == said


def test_the_expiry_e_mails_write_the_last_day(trader, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.create_key(
            owner=trader,
            actor=trader,
            alias="dated",
            can_trade=True,
            whitelist=IpWhitelist.parse("203.0.113.7"),
            expires_on=timezone.now().date() + timedelta(days=10),
        )
    last = timezone.now().date() + timedelta(days=10)
    assert f"{last:%Y-%m-%d} (end of day UTC)" in mail.outbox[-1].body
