"""The expiry a user chooses: at creation, on Modify and with "Extend", at most a year
ahead (a setting) and, without a whitelist, within the unrestricted ceiling; the pages
say "expires in N days", highlighted inside a week."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apikeys import services
from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApiKeyFactory


def day(days_ahead: int) -> str:
    return (timezone.now() + timedelta(days=days_ahead)).date().isoformat()


def test_a_chosen_date_is_the_last_day_the_key_works(create_key_via_page):
    response = create_key_via_page(alias="dated", ip_whitelist="203.0.113.7", expires_on=day(30))
    assert response.status_code == 302
    apikey = ApiKey.objects.get(alias="dated")
    last = (timezone.now() + timedelta(days=30)).date()
    assert apikey.expires_at == datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)


@pytest.mark.parametrize(
    ("whitelist", "days", "error"),
    [
        ("203.0.113.7", 366, "The latest expiry date is"),
        ("", 91, "The latest expiry date for a key without an IP whitelist is"),
        ("203.0.113.7", 0, "Choose a date after today."),
        ("", -3, "Choose a date after today."),
    ],
)
def test_expiry_beyond_the_ceiling_or_in_the_past_is_a_form_error(
    create_key_via_page, whitelist, days, error
):
    response = create_key_via_page(alias="late", ip_whitelist=whitelist, expires_on=day(days))
    assert response.status_code == 200
    assert error in str(response.context["form"].errors["expires_on"])
    assert not ApiKey.objects.exists()


def test_the_year_ceiling_is_a_setting(create_key_via_page, settings):
    settings.APIKEY_MAX_EXPIRY_DAYS = 30
    response = create_key_via_page(alias="late", ip_whitelist="203.0.113.7", expires_on=day(31))
    assert "expires_on" in response.context["form"].errors
    assert (
        create_key_via_page(alias="ok", ip_whitelist="203.0.113.7", expires_on=day(30)).status_code
        == 302
    )


def test_an_unrestricted_key_never_outlives_its_ceiling_even_on_the_last_day(trader):
    now = timezone.now()
    new = services.create_key(
        owner=trader,
        actor=trader,
        alias="edge",
        expires_on=(now + timedelta(days=90)).date(),
        now=now,
    )
    assert new.apikey.expires_at == now + timedelta(days=90)


def test_without_a_date_the_old_rules_hold(create_key_via_page):
    create_key_via_page(alias="open")
    create_key_via_page(alias="fenced", ip_whitelist="203.0.113.7")
    assert ApiKey.objects.get(alias="fenced").expires_at is None
    left = ApiKey.objects.get(alias="open").expires_at - timezone.now()
    assert timedelta(days=89) < left <= timedelta(days=90)


def test_modify_sets_and_clears_the_expiry_of_a_whitelisted_key(owner_client, trader, totp):
    apikey = ApiKeyFactory(user=trader, ip_whitelist=["203.0.113.7/32"])
    url = reverse("apikeys:modify", args=[apikey.code])
    fields = {"alias": apikey.alias, "ip_whitelist": "203.0.113.7"}
    owner_client.post(url, {**fields, "expires_on": day(60), "code": totp.code(trader)})
    apikey.refresh_from_db()
    assert services.last_day(apikey.expires_at).isoformat() == day(60)
    # The form shows the date; saving it unchanged changes nothing.
    page = owner_client.get(url)
    assert page.context["form"].initial["expires_on"].isoformat() == day(60)
    owner_client.post(url, {**fields, "expires_on": day(60), "code": totp.code(trader)})
    assert AuditEvent.objects.filter(apikey=apikey, action="modified").count() == 1
    owner_client.post(url, {**fields, "expires_on": "", "code": totp.code(trader)})
    apikey.refresh_from_db()
    assert apikey.expires_at is None


def test_modify_refuses_a_date_beyond_the_ceiling_when_the_whitelist_goes(
    owner_client, trader, totp
):
    apikey = ApiKeyFactory(user=trader, ip_whitelist=["203.0.113.7/32"])
    response = owner_client.post(
        reverse("apikeys:modify", args=[apikey.code]),
        {
            "alias": apikey.alias,
            "ip_whitelist": "",
            "expires_on": day(200),
            "code": totp.code(trader),
        },
    )
    assert "expires_on" in response.context["form"].errors
    assert ApiKey.objects.get(pk=apikey.pk).ip_whitelist == ["203.0.113.7/32"]


def test_extend_moves_the_expiry_and_is_recorded(owner_client, trader, totp):
    apikey = ApiKeyFactory(user=trader, expires_at=timezone.now() + timedelta(days=3))
    response = owner_client.post(
        reverse("apikeys:extend", args=[apikey.code]),
        {"expires_on": day(80), "code": totp.code(trader)},
    )
    assert response.status_code == 302
    apikey.refresh_from_db()
    assert services.last_day(apikey.expires_at).isoformat() == day(80)
    event = AuditEvent.objects.get(apikey=apikey, action="modified")
    assert set(event.changes) == {"expires_at"}


@pytest.mark.parametrize(("whitelist", "days"), [([], 91), (["203.0.113.7/32"], 366)])
def test_extend_holds_the_same_ceilings(owner_client, trader, totp, whitelist, days):
    expires_at = timezone.now() + timedelta(days=3)
    apikey = ApiKeyFactory(user=trader, ip_whitelist=whitelist, expires_at=expires_at)
    response = owner_client.post(
        reverse("apikeys:extend", args=[apikey.code]),
        {"expires_on": day(days), "code": totp.code(trader)},
    )
    assert response.status_code == 200
    assert "expires_on" in response.context["form"].errors
    assert ApiKey.objects.get(pk=apikey.pk).expires_at == expires_at


def test_extend_with_a_wrong_code_changes_nothing(owner_client, trader):
    expires_at = timezone.now() + timedelta(days=3)
    apikey = ApiKeyFactory(user=trader, expires_at=expires_at)
    owner_client.post(
        reverse("apikeys:extend", args=[apikey.code]), {"expires_on": day(30), "code": "000000"}
    )
    assert ApiKey.objects.get(pk=apikey.pk).expires_at == expires_at


def test_another_accounts_key_cannot_be_extended(outsider_client, outsider, totp, trader):
    apikey = ApiKeyFactory(user=trader, expires_at=timezone.now() + timedelta(days=3))
    response = outsider_client.post(
        reverse("apikeys:extend", args=[apikey.code]),
        {"expires_on": day(30), "code": totp.code(outsider)},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("days", "text", "highlighted"),
    [(3, "expires in 3 days", True), (40, "expires in 40 days", False)],
)
def test_list_and_key_page_say_expires_in_n_days_highlighted_inside_a_week(
    owner_client, trader, days, text, highlighted
):
    apikey = ApiKeyFactory(user=trader, expires_at=timezone.now() + timedelta(days=days, hours=1))
    for url in (reverse("apikeys:index"), reverse("apikeys:detail", args=[apikey.code])):
        html = owner_client.get(url).content.decode()
        assert text in html
        assert ('badge badge-orange" data-testid="expires-in"' in html) == highlighted
