"""Devices and activity: recent sign-ins, active sessions, signing sessions out, pruning."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.browsers import browser_of
from accounts.models import SignInEvent, UserSession
from tests.factories import PASSWORD, UserFactory
from tests.helpers import verified_client

ACTIVITY = "/accounts/security/activity/"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def sign_in(user, *, ip="198.51.100.1", code=None, totp=None):
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=CHROME)
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    if totp is not None:
        client.post("/accounts/login/code/", {"code": code or totp.code(user)})
    return client


@pytest.mark.parametrize(
    ("agent", "shown"),
    [
        (CHROME, "Chrome on Linux"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox on Windows",
        ),
        ("curl/8.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_browser_is_read_from_the_user_agent(agent, shown):
    assert browser_of(agent) == shown


def test_sign_ins_are_recorded_with_ip_browser_and_which_step_failed(owner, totp):
    Client(REMOTE_ADDR="198.51.100.9").post(
        "/accounts/login/", {"username": "owner", "password": "wrong"}
    )
    sign_in(owner, totp=totp, code="000000")
    sign_in(owner, totp=totp)
    outcomes = list(
        SignInEvent.objects.filter(user=owner).order_by("pk").values_list("outcome", "ip")
    )
    assert outcomes == [
        ("wrong_password", "198.51.100.9"),
        ("wrong_code", "198.51.100.1"),
        ("ok", "198.51.100.1"),
    ]


def test_the_activity_page_lists_sign_ins_and_sessions(owner, totp):
    client = sign_in(owner, totp=totp)
    html = client.get(ACTIVITY).content.decode()
    assert "198.51.100.1" in html and "Chrome on Linux" in html
    assert "This session" in html


def test_sign_out_one_session_and_all_others(owner, totp):
    first = sign_in(owner, totp=totp, ip="198.51.100.1")
    second = sign_in(owner, totp=totp, ip="198.51.100.2")
    third = sign_in(owner, totp=totp, ip="198.51.100.3")
    target = UserSession.objects.get(ip="198.51.100.2")
    assert first.post(f"/accounts/security/sessions/{target.code}/sign-out/").status_code == 302
    assert second.get("/accounts/security/")["Location"].startswith("/accounts/login/")
    assert third.get("/accounts/security/").status_code == 200
    first.post("/accounts/security/sessions/sign-out-others/")
    assert third.get("/accounts/security/")["Location"].startswith("/accounts/login/")
    assert first.get("/accounts/security/").status_code == 200


def test_another_accounts_session_is_a_404(owner, outsider, totp):
    sign_in(owner, totp=totp)
    theirs = UserSession.objects.get(user=owner)
    client = verified_client(Client(), outsider)
    response = client.post(f"/accounts/security/sessions/{theirs.code}/sign-out/")
    assert response.status_code == 404
    assert Session.objects.filter(session_key=theirs.session_key).exists()


def test_a_sign_in_from_a_new_ip_is_a_notice_a_known_one_is_not(
    owner, totp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(owner, totp=totp, ip="198.51.100.1")  # the first: nothing to compare with
        sign_in(owner, totp=totp, ip="198.51.100.1")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(owner, totp=totp, ip="203.0.113.50")
    (notice,) = mail.outbox
    assert "new sign-in" in notice.subject.lower()
    assert "203.0.113.50" in notice.body and "Chrome on Linux" in notice.body


def test_prune_removes_what_is_older_than_the_setting(db, settings):
    settings.SIGNIN_HISTORY_DAYS = 90
    user = UserFactory()
    now = timezone.now()
    old = SignInEvent.objects.create(user=user, outcome="ok", at=now - timedelta(days=91))
    recent = SignInEvent.objects.create(user=user, outcome="ok", at=now - timedelta(days=89))
    call_command("prune_activity")
    assert list(SignInEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SignInEvent.objects.filter(pk=old.pk).exists()


def test_a_right_password_whose_code_step_was_never_completed_is_listed(owner, totp):
    # What a user whose password was stolen needs to see: someone had it, and stopped
    # at the code.
    sign_in(owner, ip="203.0.113.7")
    (event,) = SignInEvent.objects.filter(user=owner)
    assert (event.outcome, event.ip) == ("code_not_completed", "203.0.113.7")
    client = sign_in(owner, totp=totp, ip="198.51.100.1")
    html = client.get(ACTIVITY).content.decode()
    assert "Password right, code step not completed" in html and "203.0.113.7" in html
    outcomes = list(SignInEvent.objects.filter(user=owner).order_by("pk").values_list("outcome"))
    assert outcomes == [("code_not_completed",), ("ok",)]


def test_sessions_signed_out_by_a_password_change_are_not_listed(owner, totp):
    this = sign_in(owner, totp=totp, ip="198.51.100.1")
    sign_in(owner, totp=totp, ip="198.51.100.2")
    new = "a fresh and unusual pass phrase 42"
    data = {
        "old_password": PASSWORD,
        "new_password1": new,
        "new_password2": new,
        "code": totp.code(owner),
    }
    assert this.post("/accounts/security/password/", data).status_code == 302
    html = this.get(ACTIVITY).content.decode()
    assert "198.51.100.1" in html.split("Recent sign-ins")[0]
    assert "198.51.100.2" not in html.split("Recent sign-ins")[0]
    assert "Sign out all other sessions" not in html


def test_a_signed_out_session_is_not_listed(owner, totp):
    this = sign_in(owner, totp=totp, ip="198.51.100.1")
    other = sign_in(owner, totp=totp, ip="198.51.100.2")
    other.post("/accounts/logout/")
    sessions = this.get(ACTIVITY).content.decode().split("Recent sign-ins")[0]
    assert "198.51.100.2" not in sessions
    assert list(UserSession.objects.values_list("ip", flat=True)) == ["198.51.100.1"]
