"""POST /api-management/apply/: "Submit for Review", confirmed with a 2FA code."""

from decimal import Decimal

import pytest

from reviews.models import Application
from tests.factories import ApplicationFactory, UserFactory, usdt

URL = "/api-management/apply/"
ANSWERS = {
    "purpose": "own_bot",
    "monthly_volume": "lt_1m",
    "server_ips": "203.0.113.7\n2001:db8::1",
    "strategy": "Grid trading on BTC/USDT with a 0.5% spacing, rebalanced hourly.",
}


def answered(code, **changes):
    return {**ANSWERS, "code": code, **changes}


def test_submits_with_a_valid_code_and_redirects_to_api_management(owner_client, owner, totp):
    usdt(owner, "60000")
    response = owner_client.post(URL, answered(totp.code(owner)))

    assert response.status_code == 302
    assert response["Location"] == "/api-management/"
    application = Application.objects.get(user=owner)
    assert application.is_pending
    assert application.fast_track is True
    assert application.balance_usdt == Decimal("60000")


def test_the_success_message_names_the_due_date(owner_client, owner, totp):
    response = owner_client.post(URL, answered(totp.code(owner)), follow=True)
    due = Application.objects.get(user=owner).due_on
    assert f"A decision is due by {due:%A}" in response.content.decode()


def test_a_wrong_code_shows_the_error_next_to_the_field(owner_client, owner):
    response = owner_client.post(URL, answered("000000"))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field-error" id="apply_code_error"' in html
    assert "Invalid or already used code" in html
    assert not Application.objects.exists()


def test_a_missing_code_is_refused(owner_client):
    response = owner_client.post(URL, ANSWERS)
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Application.objects.exists()


def test_a_second_submission_is_refused_without_spending_the_code(owner_client, owner, totp):
    ApplicationFactory(user=owner)
    code = totp.code(owner)

    response = owner_client.post(URL, answered(code), follow=True)

    assert response.redirect_chain == [("/api-management/", 302)]
    assert "already under review" in response.content.decode()
    assert Application.objects.filter(user=owner).count() == 1
    # The code was not spent on a refusal: the same code still verifies.
    from accounts.twofactor import verify_code

    assert verify_code(owner, code)


def test_get_is_not_allowed(owner_client):
    assert owner_client.get(URL).status_code == 405


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.post(URL, {"code": "123456"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Application.objects.exists()


def test_without_2fa_is_sent_to_security(client, db):
    trader = UserFactory()
    client.force_login(trader)
    response = client.post(URL, {"code": "123456"})
    assert response["Location"] == "/accounts/security/"
    assert not Application.objects.exists()


def test_a_session_not_past_the_2fa_step_is_sent_to_the_code_step(client, owner, totp):
    client.force_login(owner)  # signed in, but never entered a code in this session
    response = client.post(URL, {"code": totp.code(owner)})
    assert response["Location"].startswith("/accounts/login/code/?next=")
    assert not Application.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_not_allowed(owner_client, method):
    assert getattr(owner_client, method)(URL).status_code == 405


def test_csrf_is_enforced(owner, totp):
    from django.test import Client

    from tests.helpers import verified_client

    client = verified_client(Client(enforce_csrf_checks=True), owner)
    response = client.post(URL, {"code": totp.code(owner)})
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_the_answers_are_stored_on_the_application(owner_client, owner, totp):
    owner_client.post(URL, answered(totp.code(owner)))
    application = Application.objects.get(user=owner)
    assert application.purpose == "own_bot"
    assert application.monthly_volume == "lt_1m"
    assert application.server_ips == "203.0.113.7/32\n2001:db8::1/128"
    assert application.strategy.startswith("Grid trading")
    assert application.platform == ""


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"purpose": "third_party"}, "platform", "Name the platform"),
        ({"server_ips": ""}, "server_ips", "not known yet"),
        ({"server_ips": "203.0.113.7 not-an-ip"}, "server_ips", "is not an IP address"),
        ({"strategy": "bot"}, "strategy", "at least 20 characters"),
        ({"strategy": "x" * 1001}, "strategy", "at most 1000 characters"),
        ({"strategy": "Grid trading \x1b[2J on BTC/USDT pairs"}, "strategy", "control characters"),
        ({"monthly_volume": "a lot"}, "monthly_volume", "Choose a range."),
        ({"monthly_volume": ""}, "monthly_volume", "Choose a range."),
        ({"purpose": ""}, "purpose", "Choose one."),
        ({"strategy": ""}, "strategy", "Describe your strategy in a sentence or two."),
    ],
)
def test_a_bad_answer_is_a_field_error_and_spends_no_code(
    owner_client, owner, totp, changes, field, message
):
    code = totp.code(owner)
    response = owner_client.post(URL, answered(code, **changes))

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="apply_{field}_error"' in html
    assert message in html
    assert not Application.objects.exists()
    from accounts.twofactor import verify_code

    assert verify_code(owner, code)


def test_servers_not_known_yet_and_a_third_party_platform(owner_client, owner, totp):
    data = answered(
        totp.code(owner),
        purpose="third_party",
        platform="Hummingbot",
        server_ips="",
        ips_unknown="on",
    )
    assert owner_client.post(URL, data).status_code == 302
    application = Application.objects.get(user=owner)
    assert (application.platform, application.server_ips) == ("Hummingbot", "")


def test_the_answers_are_shown_back_while_under_review(owner_client, owner, totp):
    owner_client.post(URL, answered(totp.code(owner)))
    html = owner_client.get("/api-management/").content.decode()
    assert 'data-testid="application-answers"' in html
    assert "My own trading bot" in html
    assert "100,000 – 1,000,000" in html
    assert "2001:db8::1/128" in html
    assert "Grid trading on BTC/USDT" in html
