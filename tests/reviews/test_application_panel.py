"""The application panel on the API Management page, in each of its states."""

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from reviews.models import Purpose
from reviews.panel import application_panel
from tests.factories import ApplicationFactory, usdt


def render(user, *, has_2fa=True):
    return render_to_string(
        "reviews/_application_panel.html",
        {"panel": application_panel(user), "has_2fa": has_2fa},
    )


def test_without_2fa_says_so_and_links_to_security(owner):
    html = render(owner, has_2fa=False)
    assert "Turn on two-factor authentication first" in html
    assert 'href="/accounts/security/"' in html
    assert "Submit for Review" not in html


def test_without_an_application_explains_and_compares_the_balance(owner):
    usdt(owner, "12345.67")
    html = render(owner)
    assert "Your balance: <strong>12,345.67 USDT</strong>. Above 50,000 USDT" in html
    assert "up to 3 business days instead of 5" in html
    assert "Submit for Review" in html
    assert 'action="/api-management/apply/"' in html
    assert "Google Authenticator code" in html


def test_a_balance_at_the_threshold_is_told_it_is_fast_tracked(owner):
    usdt(owner, "50000")
    panel = application_panel(owner)
    assert panel["fast_track"] is True
    assert panel["review_days"] == 3
    assert "your review is fast-tracked" in render(owner)


def test_a_balance_below_the_threshold_takes_the_standard_review(owner):
    usdt(owner, "49999.99")
    panel = application_panel(owner)
    assert panel["fast_track"] is False
    assert panel["review_days"] == 5


def test_pending_shows_under_review_with_submitted_and_due_dates(owner):
    application = ApplicationFactory(user=owner)
    html = render(owner)
    assert "Under review" in html
    assert f"{application.due_on:%A}, {application.due_on.day} {application.due_on:%b %Y}" in html
    assert "Submit for Review" not in html


def test_rejected_shows_the_reason_and_the_reapply_date(owner, settings):
    settings.REVIEW_REAPPLY_COOLDOWN_DAYS = 7
    ApplicationFactory(
        user=owner, status="rejected", decided_at=timezone.now(), decision_note="Selfie unclear"
    )
    html = render(owner)
    assert "Selfie unclear" in html
    again = timezone.localdate() + timedelta(days=7)
    assert f"You may apply again from <strong>{again:%A}, {again.day} {again:%b %Y}" in html
    assert "Submit for Review" not in html


def test_rejected_after_the_cooldown_offers_the_form_again(owner, settings):
    settings.REVIEW_REAPPLY_COOLDOWN_DAYS = 7
    ApplicationFactory(
        user=owner,
        status="rejected",
        decided_at=timezone.now() - timedelta(days=8),
        decision_note="Selfie unclear",
    )
    html = render(owner)
    assert "Selfie unclear" in html
    assert "Submit for Review" in html


def test_the_reason_is_escaped(owner):
    ApplicationFactory(
        user=owner, status="rejected", decided_at=timezone.now(), decision_note="<b>no</b>"
    )
    assert "&lt;b&gt;no&lt;/b&gt;" in render(owner)


def test_approved_is_one_small_status_line(owner):
    ApplicationFactory.approved(user=owner)
    panel = application_panel(owner)
    html = render(owner)
    assert panel["approved"] is True
    assert "API trading approved" in html
    assert "app-status-line" in html
    assert "<form" not in html


def test_a_subaccount_is_covered_by_its_parents_approval(owner, subaccount):
    assert not application_panel(subaccount)["approved"]
    assert "covered by their main account" in render(subaccount)

    ApplicationFactory.approved(user=owner)
    assert application_panel(subaccount)["approved"]
    assert application_panel(subaccount)["approved"] is True
    assert "Covered by the main account" in render(subaccount)


def test_the_latest_application_decides_the_state(owner):
    ApplicationFactory(
        user=owner, status="rejected", submitted_at=timezone.now() - timedelta(days=30)
    )
    ApplicationFactory(user=owner)
    assert application_panel(owner)["state"] == "pending"


def test_an_outsiders_approval_does_not_approve_anyone_else(owner, outsider):
    ApplicationFactory.approved(user=outsider)
    assert not application_panel(owner)["approved"]


@pytest.mark.parametrize("status", ["pending", "rejected", "approved"])
def test_the_panel_costs_one_query_once_applied(owner, status, django_assert_num_queries):
    ApplicationFactory(user=owner, status=status, decided_at=timezone.now(), decision_note="reason")
    with django_assert_num_queries(1):
        application_panel(owner)


def test_the_purpose_radios_are_one_group_named_by_its_question(owner):
    # A screen reader announces a radio's group only from a fieldset's legend (WCAG 1.3.1).
    html = render(owner)
    groups = re.findall(r"<fieldset\b[^>]*>(.*?)</fieldset>", html, re.S)
    purpose = [group for group in groups if 'name="purpose"' in group]
    assert len(purpose) == 1, "the purpose radios are not inside one fieldset"
    assert re.search(
        r"<legend\b[^>]*>\s*What will you use API trading for\?\s*</legend>", purpose[0]
    )
    assert purpose[0].count('type="radio"') == len(Purpose.choices)
    assert 'for=""' not in html, "a label pointing at nothing"


def test_the_servers_ip_field_says_what_is_needed_rather_than_optional(owner):
    html = render(owner)
    label = re.search(r'<label for="apply_server_ips">(.*?)</label>', html, re.S).group(1)
    assert "optional" not in label
    assert "Needed: one per line, or tick “Not known yet” below." in html
    platform = re.search(r'<label for="apply_platform">(.*?)</label>', html, re.S).group(1)
    assert "(optional)" in platform  # a field that really is optional still says so
