"""What an outside tester found using the compliance desk as an officer and as traders:
the "own or related account" rule on freezes and notes, bulk reject's confirmation,
decided applications that took a "Save", refused notes that lost their text, the
"not known yet" servers, a frozen trader's portal, and the small wording slips."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError

from accounts.validators import plain_text_lines
from apikeys.services import KeyRefused, create_key
from reviews import services
from reviews.models import Application, Note
from reviews.services import OwnApplication, add_note, set_frozen
from tests.factories import ApplicationFactory, SubaccountFactory, UserFactory

from .test_desk import CHANGELIST, act, freeze, freeze_url, messages_of, page, unfreeze
from .test_own_applications import related_account

# --- 2. Nobody freezes their own or a related account ------------------------------


@pytest.mark.parametrize("relation", ["own", "parent", "subaccount"])
def test_the_service_refuses_to_freeze_a_related_account(compliance, relation):
    account = related_account(compliance, relation)
    assert services.related_account_refusal(officer=compliance, account=account)
    with pytest.raises(OwnApplication):
        set_frozen(account=account, frozen=True, officer=compliance, reason="x")
    account.refresh_from_db()
    assert not account.is_frozen


def test_an_officer_may_not_freeze_their_own_account_in_the_admin(compliance_client, compliance):
    assert compliance_client.get(freeze_url(compliance)).status_code == 403
    response = compliance_client.post(freeze_url(compliance), freeze("oops"))
    assert response.status_code == 403
    compliance.refresh_from_db()
    assert not compliance.is_frozen
    assert not LogEntry.objects.filter(content_type__model="user").exists()


def test_an_officer_may_not_unfreeze_their_own_account(compliance_client, compliance):
    type(compliance).objects.filter(pk=compliance.pk).update(is_frozen=True)
    assert compliance_client.post(freeze_url(compliance), unfreeze("me")).status_code == 403
    compliance.refresh_from_db()
    assert compliance.is_frozen


def test_the_application_page_of_an_own_account_offers_no_freeze(compliance_client, compliance):
    own = ApplicationFactory(user=compliance)
    html = compliance_client.get(page(own)).content.decode()
    assert freeze_url(compliance) not in html


# --- 5. Nobody notes their own or a related account's application -----------------


@pytest.mark.parametrize("relation", ["own", "parent", "subaccount"])
def test_the_service_refuses_a_note_on_a_related_accounts_application(compliance, relation):
    application = ApplicationFactory(user=related_account(compliance, relation))
    with pytest.raises(OwnApplication):
        add_note(application=application, author=compliance, text="Looks fine to me.")
    assert not Note.objects.exists()


def test_the_admin_refuses_a_note_on_an_own_application(compliance_client, compliance):
    own = ApplicationFactory(user=SubaccountFactory(parent=compliance, username="desk-sub"))
    html = compliance_client.get(page(own)).content.decode()
    assert "/note/" not in html
    response = compliance_client.post(f"{CHANGELIST}{own.pk}/note/", {"text": "Mine."}, follow=True)
    assert "Another officer" in messages_of(response)[0]
    assert not Note.objects.exists()


# --- 4. Bulk reject names what it skips ---------------------------------------------


def test_bulk_reject_names_the_own_application_as_skipped_not_rejected(
    compliance_client, compliance
):
    other = ApplicationFactory(user=UserFactory(username="bob"))
    own = ApplicationFactory(user=SubaccountFactory(parent=compliance, username="desk-sub"))
    done = ApplicationFactory(user=UserFactory(username="carol"), status="rejected")

    response = act(compliance_client, "reject_selected", [other, own, done])

    will_reject = response.context["pending"]
    assert will_reject == [other]
    html = response.content.decode()
    assert 'data-testid="will-refuse"' in html and "desk-sub" in html
    assert "carol (rejected)" in html


# --- 8. A decided application takes no "Save" -----------------------------------------


def test_saving_the_change_form_of_a_decided_application_writes_nothing(
    compliance_client, compliance
):
    application = ApplicationFactory.approved(user=UserFactory(username="dee"))
    before = LogEntry.objects.count()

    response = compliance_client.post(page(application), {"status": "rejected", "_save": "Save"})

    assert response.status_code == 403
    assert LogEntry.objects.count() == before
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED


def test_saving_the_change_form_of_a_pending_application_writes_nothing(compliance_client):
    application = ApplicationFactory(user=UserFactory(username="eve"))
    response = compliance_client.post(page(application), {"_save": "Save"})
    assert response.status_code == 403
    assert not LogEntry.objects.exists()


# --- 10. A refused note keeps its text; the multi-line message is accurate -----------


def test_a_refused_note_is_shown_again_with_its_text_and_error(compliance_client):
    application = ApplicationFactory(user=UserFactory(username="fay"))
    text = "Called the trader.\x07 Bell."

    response = compliance_client.post(f"{CHANGELIST}{application.pk}/note/", {"text": text})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Called the trader." in html and "Bell." in html
    assert "control characters" in html
    assert not Note.objects.exists()


def test_the_multiline_validator_does_not_say_line_breaks_are_refused():
    with pytest.raises(ValidationError) as refused:
        plain_text_lines("a\x07b")
    assert "(line breaks, tabs and the like)" not in refused.value.messages[0]
    plain_text_lines("two\nlines\tand a tab")  # accepted


# --- 7. Servers' IPs and "not known yet" ---------------------------------------------


def test_ips_typed_and_not_known_yet_ticked_is_a_form_error(owner_client, owner, totp):
    data = {
        "purpose": "own_bot",
        "monthly_volume": "lt_1m",
        "server_ips": "203.0.113.7",
        "ips_unknown": "on",
        "strategy": "Grid trading on BTC/USDT with a 0.5% spacing, rebalanced hourly.",
        "code": totp.code(owner),
    }
    response = owner_client.post("/api-management/apply/", data)
    assert response.status_code == 400
    assert "one or the other" in response.content.decode()
    assert not Application.objects.exists()


def test_the_admin_shows_servers_not_known_yet(compliance_client):
    application = ApplicationFactory(user=UserFactory(username="gil"), server_ips="")
    html = compliance_client.get(page(application)).content.decode()
    assert "Not known yet" in html


# --- 6. A frozen trader is told, and creates no keys ---------------------------------


def test_a_frozen_account_may_not_create_a_key(trader):
    type(trader).objects.filter(pk=trader.pk).update(is_frozen=True)
    trader.refresh_from_db()
    with pytest.raises(KeyRefused, match="frozen"):
        create_key(owner=trader, actor=trader, alias="bot")
    assert not trader.apikeys.exists()


def test_a_frozen_parents_sub_account_may_not_create_a_key(trader, subaccount):
    type(trader).objects.filter(pk=trader.pk).update(is_frozen=True)
    subaccount.refresh_from_db()
    with pytest.raises(KeyRefused, match="frozen"):
        create_key(owner=subaccount, actor=trader, alias="bot")


def test_a_frozen_trader_sees_a_banner_and_no_create_button(owner_client, trader):
    type(trader).objects.filter(pk=trader.pk).update(is_frozen=True)
    html = owner_client.get("/api-management/").content.decode()
    assert 'data-testid="frozen-banner"' in html
    assert "/api-management/keys/new/" not in html
    assert 'data-testid="create-requirements"' in html and "Account frozen" in html
    response = owner_client.get("/api-management/keys/new/")
    assert (response.status_code, response["Location"]) == (302, "/api-management/")


def test_a_frozen_parent_sees_the_banner_on_its_sub_accounts_key_pages(
    owner_client, trader, subaccount
):
    type(trader).objects.filter(pk=trader.pk).update(is_frozen=True)
    url = f"/subaccounts/{subaccount.subaccount.code}/api-management/"
    html = owner_client.get(url).content.decode()
    assert 'data-testid="frozen-banner"' in html


def test_an_unfrozen_trader_sees_no_banner(owner_client, trader):
    html = owner_client.get("/api-management/").content.decode()
    assert 'data-testid="frozen-banner"' not in html


# --- 11. The small things ----------------------------------------------------------------


def test_the_fast_column_shows_nothing_alarming_for_a_standard_track(compliance_client):
    ApplicationFactory(user=UserFactory(username="hal"), fast_track=False)
    html = compliance_client.get(CHANGELIST).content.decode()
    assert "icon-no.svg" not in html


def test_the_application_page_shows_the_balance_at_submission_once(compliance_client):
    application = ApplicationFactory(user=UserFactory(username="ida"))
    html = compliance_client.get(page(application)).content.decode()
    assert html.count("Balance at submission") == 1


def test_the_history_shows_times_in_utc(compliance_client, compliance):
    application = ApplicationFactory(user=UserFactory(username="jo"))
    add_note(application=application, author=compliance, text="Checked.")
    entry = LogEntry.objects.get()
    html = compliance_client.get(f"{CHANGELIST}{application.pk}/history/").content.decode()
    assert f"{entry.action_time:%H:%M} UTC" in html


def test_the_dashboard_breadcrumb_names_the_app(compliance_client):
    html = compliance_client.get(f"{CHANGELIST}dashboard/").content.decode()
    breadcrumbs = html[html.index('<div class="breadcrumbs">') :].split("</div>")[0]
    assert 'href="/admin/reviews/"' in breadcrumbs


def test_take_me_back_on_reject_and_freeze_returns_to_the_application(compliance_client):
    application = ApplicationFactory(user=UserFactory(username="kim"))
    back = f'href="{page(application)}"'
    reject = compliance_client.get(f"{CHANGELIST}{application.pk}/reject/").content.decode()
    assert back in reject
    freeze = compliance_client.get(freeze_url(application.user, application)).content.decode()
    assert back in freeze


def test_a_sub_account_of_another_officer_is_not_related(compliance):
    other = UserFactory(username="other-officer")
    sub = SubaccountFactory(parent=other)
    assert services.related_account_refusal(officer=compliance, account=sub) is None


def test_a_wrong_code_lockout_of_one_second_is_singular():
    from datetime import timedelta

    from django.utils import timezone

    from accounts.twofactor import _throttled_message

    soon = timezone.now() + timedelta(milliseconds=200)
    assert _throttled_message({"locked_until": soon}).endswith("Try again in 1 second.")
    later = timezone.now() + timedelta(seconds=29, milliseconds=500)
    assert _throttled_message({"locked_until": later}).endswith("Try again in 30 seconds.")
