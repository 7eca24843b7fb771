"""The compliance desk in the admin: the applicant's profile, internal notes, history,
reason templates, bulk approve's confirmation, the queue's columns and CSV export,
and freezing an account."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from reviews.forms import TEMPLATE_TEXT
from reviews.models import Application, Note
from tests.factories import (
    ApiKeyFactory,
    ApplicationFactory,
    SubaccountFactory,
    UserFactory,
    usdt,
)
from tests.helpers import SignedApi, verified_client, with_2fa

CHANGELIST = "/admin/reviews/application/"


def page(application):
    return f"{CHANGELIST}{application.pk}/change/"


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def alice(db):
    user = UserFactory(username="alice", date_joined=timezone.now() - timedelta(days=400))
    usdt(user, "1234.5")
    return ApplicationFactory(
        user=user,
        purpose="third_party",
        platform="Hummingbot",
        monthly_volume="lt_1m",
        server_ips="203.0.113.7/32",
        strategy="Market-neutral grid on BTC/USDT.",
    )


@pytest.fixture
def bob(db):
    return ApplicationFactory(user=UserFactory(username="bob"))


def act(client, action, applications, **extra):
    data = {"action": action, "_selected_action": [a.pk for a in applications], **extra}
    # Decided applications are listed (and so selectable) under "All" only.
    return client.post(f"{CHANGELIST}?status__exact=all", data, follow=True)


# --- The applicant's profile --------------------------------------------------


def test_the_page_shows_the_applicant_profile(compliance_client, alice, compliance):
    sub = SubaccountFactory(parent=alice.user, username="alice-bot")
    ApiKeyFactory(user=sub, alias="grid-bot")
    alice.user.balances.update(amount=Decimal("1334.5"))  # a deposit since the submission
    ApplicationFactory(
        user=alice.user,
        status="rejected",
        submitted_at=timezone.now() - timedelta(days=60),
        decided_at=timezone.now() - timedelta(days=58),
        decided_by=compliance,
        decision_note="Strategy unclear",
    )
    with_2fa(alice.user)

    html = compliance_client.get(page(alice)).content.decode()

    assert 'data-testid="applicant-profile"' in html
    assert "<h1>Review application</h1>" in html and "Change application" not in html
    assert 'data-testid="account-age">1\xa0year' in html
    assert "On since" in html  # 2FA
    assert "1,000.00" in html  # balance at submission
    assert "1,334.50 USDT" in html  # balance now, exact
    assert "alice-bot" in html and "grid-bot" in html
    assert "Strategy unclear" in html and "compliance" in html  # earlier decision, officer
    assert "2FA device" in html  # security events
    assert "Hummingbot" in html and "203.0.113.7/32" in html  # the answers


def test_the_profile_says_whether_the_applicant_verified_their_e_mail(compliance_client, alice):
    verified_at = alice.user.email_verified_at
    assert verified_at is not None  # the factory's user, as sign-up + the link leave it
    html = compliance_client.get(page(alice)).content.decode()
    assert f'data-testid="email-verified">Yes, on {verified_at:%-d %b %Y}' in html

    alice.user.email_verified_at = None
    alice.user.save(update_fields=["email_verified_at"])
    html = compliance_client.get(page(alice)).content.decode()
    assert 'data-testid="email-verified">No' in html


# --- Notes and history -----------------------------------------------------------


def test_an_officer_adds_an_internal_note_dated_and_in_the_history(
    compliance_client, compliance, alice
):
    response = compliance_client.post(
        f"{CHANGELIST}{alice.pk}/note/", {"text": "Called the trader."}, follow=True
    )

    assert messages_of(response) == ["Note added."]
    note = Note.objects.get(application=alice)
    assert (note.author, note.text) == (compliance, "Called the trader.")
    html = compliance_client.get(page(alice)).content.decode()
    assert "Called the trader." in html
    history = compliance_client.get(f"{CHANGELIST}{alice.pk}/history/").content.decode()
    assert "Internal note: Called the trader." in history


def test_the_trader_sees_the_reason_never_the_note(compliance_client, alice):
    compliance_client.post(f"{CHANGELIST}{alice.pk}/note/", {"text": "Looks like a mule."})
    compliance_client.post(f"{CHANGELIST}{alice.pk}/reject/", {"reason": "Strategy unclear"})
    trader = verified_client(Client(), with_2fa(alice.user))

    html = trader.get("/api-management/").content.decode()

    assert "Strategy unclear" in html
    assert "Looks like a mule" not in html


def test_an_empty_note_is_an_error_on_the_page_and_adds_nothing(compliance_client, alice):
    response = compliance_client.post(f"{CHANGELIST}{alice.pk}/note/", {"text": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Note.objects.exists()


def test_a_decided_application_is_read_only_and_takes_no_notes(compliance_client, alice):
    compliance_client.post(f"{CHANGELIST}{alice.pk}/approve/")
    html = compliance_client.get(page(alice)).content.decode()
    assert "/note/" not in html
    assert 'name="_save"' not in html

    url = f"{CHANGELIST}{alice.pk}/note/"
    response = compliance_client.post(url, {"text": "late"}, follow=True)
    assert "takes no notes" in messages_of(response)[0]
    assert not Note.objects.exists()


def test_every_decision_is_in_the_history_with_who_and_why(compliance_client, compliance, alice):
    compliance_client.post(f"{CHANGELIST}{alice.pk}/reject/", {"reason": "Sanctioned country"})
    entry = LogEntry.objects.get(object_id=str(alice.pk))
    assert entry.user == compliance
    assert entry.change_message == "Rejected. Reason given to the trader: Sanctioned country"
    history = compliance_client.get(f"{CHANGELIST}{alice.pk}/history/").content.decode()
    assert "Sanctioned country" in history


# --- Reason templates ----------------------------------------------------------


def test_the_reject_page_offers_reason_templates(compliance_client, alice):
    html = compliance_client.get(f"{CHANGELIST}{alice.pk}/reject/").content.decode()
    assert 'name="template"' in html
    assert TEMPLATE_TEXT["strategy"][:40] in html


def test_a_template_left_as_is_becomes_the_reason(compliance_client, alice):
    url = f"{CHANGELIST}{alice.pk}/reject/"
    compliance_client.post(url, {"template": "strategy", "reason": ""})
    alice.refresh_from_db()
    assert alice.decision_note == TEMPLATE_TEXT["strategy"]


def test_an_edited_template_is_the_reason_as_edited(compliance_client, alice):
    edited = TEMPLATE_TEXT["volume"] + " Balance: 1,000 USDT."
    compliance_client.post(
        f"{CHANGELIST}{alice.pk}/reject/", {"template": "volume", "reason": edited}
    )
    alice.refresh_from_db()
    assert alice.decision_note == edited


# --- Bulk approve ------------------------------------------------------------------


def test_bulk_approve_first_shows_what_will_be_approved_and_what_not(
    compliance_client, compliance, alice, bob
):
    done = ApplicationFactory(user=UserFactory(username="carol"), status="rejected")
    own = ApplicationFactory(user=SubaccountFactory(parent=compliance, username="desk-sub"))

    response = act(compliance_client, "approve_selected", [alice, bob, done, own])

    assert response.templates[0].name == "admin/reviews/application/approve.html"
    html = response.content.decode()
    assert "these 2 applications" in html
    assert "carol (rejected)" in html
    assert "desk-sub" in html
    assert Application.objects.filter(status="approved").count() == 0

    response = act(compliance_client, "approve_selected", [alice, bob], approve="yes")
    assert messages_of(response) == ["Approved 2 applications."]


# --- The queue ----------------------------------------------------------------------


def test_the_queue_shows_what_compliance_decides_by_overdue_first(compliance_client, alice, bob):
    today = timezone.localdate()
    Application.objects.filter(pk=bob.pk).update(due_on=today - timedelta(days=2))
    html = compliance_client.get(CHANGELIST).content.decode()
    for column in ["account", "submitted", "due", "sla_badge", "fast", "balance"]:
        assert f"column-{column}" in html
    assert "column-balance_at_submission" not in html
    assert html.index(">bob<") < html.index(">alice<")


def test_the_queue_exports_as_csv_with_its_filters(compliance_client, alice, bob):
    Application.objects.filter(pk=bob.pk).update(status="approved", decided_at=timezone.now())
    response = compliance_client.get(f"{CHANGELIST}export.csv?status__exact=pending")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "account"
    assert [row[0] for row in rows[1:]] == ["alice"]
    assert rows[1][8] == "1,234.50"


def test_a_formula_in_a_username_is_text_in_the_csv(compliance_client):
    ApplicationFactory(user=UserFactory(username="=cmd", email="x@e.x"))
    body = compliance_client.get(f"{CHANGELIST}export.csv").content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][0] == "'=cmd"


# --- Freezing an account ---------------------------------------------------------


def freeze(reason):
    return {"state": "frozen", "reason": reason}


def unfreeze(reason):
    return {"state": "active", "reason": reason}


def freeze_url(user, application=None):
    return f"{CHANGELIST}account/{user.pk}/freeze/" + (
        f"?application={application.pk}" if application else ""
    )


def test_freezing_refuses_the_account_and_sub_account_keys_on_the_api_at_once(
    compliance_client, compliance, alice, mailoutbox, django_capture_on_commit_callbacks
):
    trader = alice.user
    sub = SubaccountFactory(parent=trader)
    keys = [ApiKeyFactory(user=trader), ApiKeyFactory(user=sub)]
    api = SignedApi(Client())
    assert [api.get(key, "/api/v1/account").status_code for key in keys] == [200, 200]

    with django_capture_on_commit_callbacks(execute=True):
        response = compliance_client.post(
            freeze_url(trader, alice),
            freeze("Funds traced to a hack"),
            follow=True,
        )

    assert messages_of(response) == ["Account alice is frozen."]
    assert [api.get(key, "/api/v1/account").status_code for key in keys] == [403, 403]
    entry = LogEntry.objects.get(object_id=str(trader.pk), content_type__model="user")
    assert entry.user == compliance
    assert entry.change_message == "Frozen by compliance. Reason: Funds traced to a hack"
    assert mailoutbox[-1].to == [trader.email]
    assert "Funds traced to a hack" in mailoutbox[-1].body

    with django_capture_on_commit_callbacks(execute=True):
        compliance_client.post(freeze_url(trader), unfreeze("Cleared"))
    assert [api.get(key, "/api/v1/account").status_code for key in keys] == [200, 200]
    assert "no longer frozen" in mailoutbox[-1].subject

    # Submitted twice (a double click, the back button): the second changes nothing.
    for _ in range(2):
        compliance_client.post(freeze_url(trader), freeze("Again"))
    trader.refresh_from_db()
    assert trader.is_frozen
    assert (
        LogEntry.objects.filter(object_id=str(trader.pk), change_message__contains="Again").count()
        == 1
    )


def test_freezing_needs_a_reason(compliance_client, alice):
    response = compliance_client.post(freeze_url(alice.user), freeze(" "))
    assert response.status_code == 400
    alice.user.refresh_from_db()
    assert not alice.user.is_frozen


def test_only_compliance_and_superusers_may_freeze(alice):
    from django.contrib.auth.models import Permission

    staff = with_2fa(UserFactory(username="ops", is_staff=True))
    codenames = ["view_application", "change_application"]
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = verified_client(Client(), staff)
    assert client.post(freeze_url(alice.user), freeze("x")).status_code == 403
    assert client.get(f"{CHANGELIST}dashboard/").status_code == 403
    alice.user.refresh_from_db()
    assert not alice.user.is_frozen

    root = with_2fa(UserFactory(username="root", is_staff=True, is_superuser=True))
    client = verified_client(Client(), root)
    assert client.post(freeze_url(alice.user), freeze("x")).status_code == 302
    alice.user.refresh_from_db()
    assert alice.user.is_frozen


def test_the_compliance_group_is_what_is_checked(db):
    from reviews.services import is_compliance

    officer = UserFactory()
    assert not is_compliance(officer)
    officer.groups.add(Group.objects.get(name="Compliance"))
    assert is_compliance(officer)


def test_a_sub_account_is_not_frozen_through_the_desk(compliance_client, alice):
    sub = SubaccountFactory(parent=alice.user)
    assert compliance_client.post(freeze_url(sub), freeze("x")).status_code == 404


def test_the_user_admin_links_to_the_desk_and_does_not_toggle_the_freeze_itself(db):
    root = with_2fa(UserFactory(username="root", is_staff=True, is_superuser=True))
    client = verified_client(Client(), root)
    trader = UserFactory(username="t1")
    html = client.get(f"/admin/accounts/user/{trader.pk}/change/").content.decode()
    assert freeze_url(trader) in html
    assert 'name="is_frozen"' not in html


@pytest.mark.parametrize("where", ["dashboard/", "{pk}/reject/", "account/{user}/freeze/"])
def test_each_desk_page_leads_back_to_the_queue(compliance_client, alice, where):
    url = CHANGELIST + where.format(pk=alice.pk, user=alice.user.pk)
    html = compliance_client.get(url).content.decode()
    trail = html.split('<div class="breadcrumbs">', 1)[1].split("</div>", 1)[0]
    assert f'href="{CHANGELIST}"' in trail and 'href="/admin/"' in trail


def test_the_freeze_message_keeps_the_username_exactly_as_it_is(compliance_client):
    application = ApplicationFactory(user=UserFactory(username="victim88661"))
    response = compliance_client.post(
        freeze_url(application.user), freeze("Funds traced to a hack"), follow=True
    )
    shown = re.search(r'<ul class="messagelist">(.*?)</ul>', response.content.decode(), re.S)
    assert "victim88661 is frozen." in shown.group(1)
    assert "Victim88661" not in shown.group(1)


@pytest.mark.parametrize("page", ["reject", "freeze"])
def test_an_empty_reason_is_an_error_after_the_field_which_takes_the_focus(
    compliance_client, alice, page
):
    url = f"{CHANGELIST}{alice.pk}/reject/" if page == "reject" else freeze_url(alice.user)
    data = {"reason": " "} if page == "reject" else freeze(" ")
    html = compliance_client.post(url, data).content.decode()
    field = re.search(r"<textarea[^>]*>", html).group(0)
    assert "autofocus" in field and 'aria-invalid="true"' in field
    error_id = re.search(r'aria-describedby="([^"]+)"', field).group(1)
    error = re.search(rf'<ul class="errorlist" id="{error_id}">(.*?)</ul>', html, re.S)
    assert "This field is required." in error.group(1)
    assert html.index("<textarea") < error.start()  # below the field, not above its label
