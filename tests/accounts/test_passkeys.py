"""Passkeys (django-otp-webauthn) under the portal's rules: added only by a session
verified with the authenticator app, in the short window a code opened there, used only
at the code step of this sign-in, named as plain text, removed with a code, announced by
e-mail, and no body makes them fail.

The browser ceremonies themselves run in tests/e2e/test_passkey_journey.py (Chromium's
virtual authenticator)."""

import json
import re
import time

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django_otp_webauthn.models import WebAuthnCredential
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import passkeys
from accounts.models import SignInEvent
from accounts.passkeys import PortalWebAuthnHelper
from accounts.twofactor import disable_2fa, regenerate_backup_codes
from accounts.views import PENDING_LOGIN
from tests.factories import PASSWORD, UserFactory, passkey_for
from tests.helpers import verified_client, with_2fa

REGISTER_BEGIN = "/accounts/passkeys/register/begin/"
REGISTER_COMPLETE = "/accounts/passkeys/register/complete/"
AUTH_BEGIN = "/accounts/passkeys/authenticate/begin/"
AUTH_COMPLETE = "/accounts/passkeys/authenticate/complete/"
JSON = "application/json"  # the script posts no body to begin: no form either
ENDPOINTS = [REGISTER_BEGIN, REGISTER_COMPLETE, AUTH_BEGIN, AUTH_COMPLETE]
START_ADDING = "/accounts/security/passkeys/add/"


def confirmed_to_add(client, user, totp):
    """``client`` typed the authenticator's code under "Add a passkey"."""
    response = client.post(START_ADDING, {"code": totp.code(user)})
    assert response.status_code == 302
    return client


def rename_url(passkey):
    return f"/accounts/security/passkeys/{passkey.credential_id_sha256}/rename/"


def remove_url(passkey):
    return f"/accounts/security/passkeys/{passkey.credential_id_sha256}/remove/"


def half_signed_in(client, user):
    """``client`` past the password step of ``user``, the code step still to come."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response["Location"].startswith("/accounts/login/code/")
    return client


def b64url(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def assertion_naming(passkey) -> dict:
    """An authentication response that names ``passkey`` (its signature is no good)."""
    return {
        "id": b64url(bytes(passkey.credential_id)),
        "rawId": b64url(bytes(passkey.credential_id)),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(b'{"type":"webauthn.get"}'),
            "authenticatorData": b64url(b"\0" * 37),
            "signature": b64url(b"\0" * 64),
        },
    }


# --- adding one ------------------------------------------------------------------


def test_a_passkey_ceremony_starts_for_a_session_verified_and_confirmed_with_a_code(
    owner_client, owner, totp
):
    existing = passkey_for(owner)
    confirmed_to_add(owner_client, owner, totp)
    response = owner_client.post(REGISTER_BEGIN, content_type=JSON)
    assert response.status_code == 200
    options = response.json()
    assert options["rp"]["id"] == "localhost"
    excluded = [c["id"] for c in options["excludeCredentials"]]
    assert excluded == [b64url(bytes(existing.credential_id))], "the same key can't be added twice"


def test_an_account_without_the_authenticator_app_cannot_add_a_passkey(client, db):
    client.force_login(UserFactory())
    response = client.post(REGISTER_BEGIN, content_type=JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "user_not_verified"


def test_a_password_only_session_is_sent_to_the_code_step_before_adding_a_passkey(client, owner):
    client.force_login(owner)
    response = client.post(REGISTER_BEGIN, content_type=JSON)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/code/")


def test_no_more_passkeys_than_the_limit(owner_client, owner, settings):
    settings.PASSKEY_MAX_PER_ACCOUNT = 1
    passkey_for(owner)
    response = owner_client.post(REGISTER_BEGIN, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (403, "too_many_passkeys")
    assert (
        "as many passkeys as an account may have"
        in owner_client.get("/accounts/security/").content.decode()
    )


def test_completing_a_registration_that_never_began_is_refused(owner_client, owner, totp):
    confirmed_to_add(owner_client, owner, totp)
    response = owner_client.post(REGISTER_COMPLETE, {}, content_type="application/json")
    assert response.status_code == 400
    assert not WebAuthnCredential.objects.filter(user=owner).exists()


# --- adding one is confirmed with a code ------------------------------------------------


@pytest.mark.parametrize("endpoint", [REGISTER_BEGIN, REGISTER_COMPLETE])
def test_a_verified_session_without_a_code_cannot_start_or_finish_adding_a_passkey(
    owner_client, owner, endpoint
):
    response = owner_client.post(endpoint, content_type=JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "code_needed"
    assert "authenticator code" in response.json()["detail"]
    assert "otp_webauthn_register_state" not in owner_client.session


def test_the_security_page_asks_for_a_code_before_offering_the_passkey_ceremony(
    owner_client, owner, totp
):
    page = owner_client.get("/accounts/security/").content.decode()
    assert f'action="{START_ADDING}"' in page
    assert "passkey-register-button" not in page, "no ceremony before the code"
    confirmed_to_add(owner_client, owner, totp)
    page = owner_client.get("/accounts/security/").content.decode()
    assert "passkey-register-button" in page and "within 5 minutes" in page
    assert f'action="{START_ADDING}"' not in page


def test_a_wrong_code_opens_no_window_and_says_why(owner_client, owner):
    response = owner_client.post(START_ADDING, {"code": "000000"})
    assert response.status_code == 400
    assert "Invalid or already used code." in response.content.decode()
    assert passkeys.ADD_WINDOW not in owner_client.session
    assert owner_client.post(REGISTER_BEGIN, content_type=JSON).status_code == 403


def test_wrong_codes_to_add_a_passkey_are_throttled_as_codes_are(owner_client, owner, totp):
    for _ in range(3):
        owner_client.post(START_ADDING, {"code": "000000"})
    good = totp.code(owner, fresh=False)
    response = owner_client.post(START_ADDING, {"code": good})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert passkeys.ADD_WINDOW not in owner_client.session


def test_a_backup_code_opens_the_window_too(owner_client, owner):
    backup = regenerate_backup_codes(owner)[0]
    assert owner_client.post(START_ADDING, {"code": backup}).status_code == 302
    assert owner_client.post(REGISTER_BEGIN, content_type=JSON).status_code == 200


def test_the_window_to_add_a_passkey_closes_after_five_minutes(owner_client, owner, totp):
    confirmed_to_add(owner_client, owner, totp)
    session = owner_client.session
    session[passkeys.ADD_WINDOW]["until"] = time.time() - 1  # the clock: 5 minutes on
    session.save()
    response = owner_client.post(REGISTER_BEGIN, content_type=JSON)
    assert (response.status_code, response.json()["code"]) == (403, "code_needed")
    assert "passkey-register-button" not in owner_client.get("/accounts/security/").content.decode()


def test_another_sessions_code_does_not_open_this_sessions_window(owner, totp):
    confirmed_to_add(verified_client(Client(), owner), owner, totp)
    thief = verified_client(Client(), owner)
    assert thief.post(REGISTER_BEGIN, content_type=JSON).status_code == 403


def test_a_window_opened_for_another_account_does_not_count(owner_client, owner, outsider):
    session = owner_client.session
    passkeys.open_add_window(session, outsider)
    session.save()
    assert owner_client.post(REGISTER_BEGIN, content_type=JSON).status_code == 403


def test_one_completed_registration_spends_the_window(owner_client, owner, totp, monkeypatch):
    confirmed_to_add(owner_client, owner, totp)
    assert owner_client.post(REGISTER_BEGIN, content_type=JSON).status_code == 200
    # The browser's authenticator is the outside world: its attestation is taken as good
    # (tests/e2e/test_passkey_journey.py runs a real one).
    monkeypatch.setattr(
        PortalWebAuthnHelper, "register_complete", lambda self, **kw: passkey_for(owner)
    )
    done = owner_client.post(REGISTER_COMPLETE, {"id": "x"}, content_type=JSON)
    assert done.status_code == 200 and done.json()["id"]
    again = owner_client.post(REGISTER_BEGIN, content_type=JSON)
    assert (again.status_code, again.json()["code"]) == (403, "code_needed")
    assert owner_client.post(REGISTER_COMPLETE, {"id": "x"}, content_type=JSON).status_code == 403
    assert WebAuthnCredential.objects.filter(user=owner).count() == 1


def test_a_session_without_2fa_is_sent_to_turn_it_on_before_confirming(client, db):
    client.force_login(UserFactory())
    response = client.post(START_ADDING, {"code": "123456"})
    assert (response.status_code, response["Location"]) == (302, "/accounts/security/")
    assert passkeys.ADD_WINDOW not in client.session


# --- signing in with one ------------------------------------------------------------


def test_the_passkey_ceremony_starts_only_after_the_password_of_this_sign_in(client, owner):
    passkey = passkey_for(owner)
    assert client.post(AUTH_BEGIN, content_type=JSON).status_code == 403, (
        "no password step, no ceremony"
    )
    half_signed_in(client, owner)
    response = client.post(AUTH_BEGIN, content_type=JSON)
    assert response.status_code == 200
    allowed = [c["id"] for c in response.json()["allowCredentials"]]
    assert allowed == [b64url(bytes(passkey.credential_id))]


def test_the_passkey_ceremony_ends_with_the_code_steps_time(client, owner):
    passkey_for(owner)
    half_signed_in(client, owner)
    session = client.session
    session[PENDING_LOGIN]["started"] = time.time() - 301
    session.save()
    assert client.post(AUTH_BEGIN, content_type=JSON).status_code == 403


def test_a_verified_session_gets_no_ceremony(owner_client, owner):
    passkey_for(owner)
    assert owner_client.post(AUTH_BEGIN, content_type=JSON).status_code == 403


def test_another_accounts_passkey_does_not_finish_this_sign_in(client, owner, outsider):
    passkey_for(owner)
    theirs = passkey_for(outsider)
    half_signed_in(client, owner)
    assert client.post(AUTH_BEGIN, content_type=JSON).status_code == 200
    response = client.post(AUTH_COMPLETE, assertion_naming(theirs), content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "credential_user_mismatch")
    assert "_auth_user_id" not in client.session
    latest = SignInEvent.objects.filter(user=owner).first()
    assert latest.outcome == SignInEvent.Outcome.WRONG_PASSKEY


def test_a_forged_assertion_of_the_right_passkey_is_refused(client, owner):
    mine = passkey_for(owner)
    half_signed_in(client, owner)
    client.post(AUTH_BEGIN, content_type=JSON)
    response = client.post(AUTH_COMPLETE, assertion_naming(mine), content_type="application/json")
    assert response.status_code in (400, 422)
    assert "_auth_user_id" not in client.session
    again = client.post(AUTH_COMPLETE, assertion_naming(mine), content_type="application/json")
    assert again.json()["code"] == "invalid_state", "a begun ceremony is answered once"


def test_the_code_step_offers_a_passkey_only_to_an_account_with_one(client, owner):
    half_signed_in(client, owner)
    assert "Use a passkey" not in client.get("/accounts/login/code/").content.decode()
    passkey_for(owner)
    page = client.get("/accounts/login/code/").content.decode()
    assert "Use a passkey" in page
    assert 'id="otp_webauthn_config"' in page


def test_a_sign_in_with_a_code_records_the_factor(client, owner, totp):
    half_signed_in(client, owner)
    client.post("/accounts/login/code/", {"code": totp.code(owner)})
    assert SignInEvent.objects.filter(user=owner).first().factor == "code"
    other = half_signed_in(Client(), owner)
    backup = regenerate_backup_codes(owner)[0]
    other.post("/accounts/login/code/", {"code": backup})
    assert SignInEvent.objects.filter(user=owner).first().factor == "backup_code"
    page = other.get("/accounts/security/activity/").content.decode()
    assert "with backup code" in page and "with authenticator code" in page


# --- the Security page ------------------------------------------------------------


def test_the_security_page_lists_passkeys_and_runs_no_inline_script(owner_client, owner, totp):
    passkey_for(owner, name="YubiKey")
    confirmed_to_add(owner_client, owner, totp)
    page = owner_client.get("/accounts/security/").content.decode()
    assert "YubiKey" in page and "last used never" in page
    for attrs, _body in re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    config = json.loads(re.search(r'id="otp_webauthn_config"[^>]*>(.*?)</script>', page).group(1))
    assert config["beginRegistrationUrl"] == REGISTER_BEGIN


def test_a_passkey_is_renamed_with_plain_text_only(owner_client, owner):
    passkey = passkey_for(owner, name="Passkey")
    assert owner_client.post(rename_url(passkey), {"name": "Work laptop"}).status_code == 302
    for hostile in ("a\rBcc: x@evil.example", "rlo\u202egnp", "x" * 41, ""):
        response = owner_client.post(rename_url(passkey), {"name": hostile})
        assert response.status_code == 400, hostile
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"


def test_another_accounts_passkey_is_a_404(owner_client, outsider, totp):
    theirs = passkey_for(outsider)
    assert owner_client.post(rename_url(theirs), {"name": "mine"}).status_code == 404
    assert owner_client.post(remove_url(theirs), {"code": "000000"}).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()


def test_a_passkey_is_removed_with_a_code_and_the_owner_is_told(
    owner_client, owner, totp, django_capture_on_commit_callbacks
):
    owner.anti_phishing_phrase = "purple otter"
    owner.save()
    passkey = passkey_for(owner, name="Old phone")
    wrong = owner_client.post(remove_url(passkey), {"code": "000000"})
    assert wrong.status_code == 400
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = owner_client.post(remove_url(passkey), {"code": totp.code(owner)})
    assert done.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    (notice,) = mail.outbox
    assert notice.subject == "A passkey was removed from your account"
    assert "Old phone" in notice.body and "purple otter" in notice.body
    assert passkey.credential_id_sha256 not in notice.body


def test_a_backup_code_removes_a_passkey_too(owner_client, owner):
    passkey = passkey_for(owner)
    backup = regenerate_backup_codes(owner)[0]
    assert owner_client.post(remove_url(passkey), {"code": backup}).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_turning_2fa_off_removes_the_passkeys_too(owner):
    passkey_for(owner)
    disable_2fa(owner)
    assert not WebAuthnCredential.objects.filter(user=owner).exists()


# --- relying party ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "any_port", "accepted"),
    [
        ("localhost:8123", True, True),
        ("127.0.0.1:8123", True, False),
        ("portal.example.com", True, False),
        ("localhost:8123", False, False),
    ],
)
def test_only_localhost_of_any_port_is_added_to_the_origins_and_only_in_development(
    settings, host, any_port, accepted
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.WEBAUTHN_ANY_LOCALHOST_PORT = any_port
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://portal.example.com"]
    request = RequestFactory().get("/", HTTP_HOST=host)
    origins = PortalWebAuthnHelper(request).get_allowed_origins()
    assert ("http://" + host in origins) is accepted
    assert "https://portal.example.com" in origins


# --- hostile bodies ----------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
near_credentials = st.fixed_dictionaries(
    {
        "id": st.text(max_size=30) | st.just("AAAA"),
        "rawId": st.text(max_size=30) | st.just("AAAA") | json_values,
        "type": st.sampled_from(["public-key", "", "x"]) | json_values,
        "response": st.dictionaries(
            st.sampled_from(
                [
                    "clientDataJSON",
                    "attestationObject",
                    "authenticatorData",
                    "signature",
                    "userHandle",
                    "transports",
                ]
            ),
            st.text(max_size=30) | json_values,
        )
        | json_values,
    },
    optional={"clientExtensionResults": json_values, "authenticatorAttachment": json_values},
)
bodies = (
    json_values.map(lambda v: json.dumps(v).encode())
    | near_credentials.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=60)
    | st.just(b"[" * 5000 + b"]" * 5000)
    | st.just(b'{"id": "\xff\xfe"}')
)


@pytest.fixture
def holder(db):
    user = with_2fa(UserFactory(username="holder"))
    passkey_for(user)
    return user


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    who=st.sampled_from(["anon", "half", "verified"]),
    begun=st.booleans(),
    body=bodies,
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded"]
    ),
)
def test_no_body_makes_a_passkey_endpoint_fail(holder, endpoint, who, begun, body, content_type):
    client = Client()
    if who == "verified":
        verified_client(client, holder)
        session = client.session
        passkeys.open_add_window(session, holder)
        session.save()
    elif who == "half":
        session = client.session
        session[PENDING_LOGIN] = {
            "user_id": holder.pk,
            "backend": "django.contrib.auth.backends.ModelBackend",
            "started": time.time(),
            "auth_hash": holder.get_session_auth_hash(),
        }
        session.save()
    if begun:
        client.post(endpoint.replace("complete", "begin"), content_type=JSON)
    response = client.generic("POST", endpoint, data=body, content_type=content_type)
    assert response.status_code in (200, 302, 400, 403, 404, 422), response.content[:300]
    if response.status_code != 302:
        assert response["Content-Type"] == "application/json"
