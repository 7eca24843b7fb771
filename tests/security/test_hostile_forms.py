"""Hostile text in every field of every form: never a 5xx, never half a change.

The forms are found, not listed: tests/security/formfinder.py reads every page of the
URL map (tests/security/urlmap.py) as each kind of user and parses its POST forms.
``test_every_post_url_has_a_form_found`` fails when a URL that takes a POST has no
form found and no stated reason: a new form can't be forgotten.

Each example posts one form as the user who sees it, a fresh valid 2FA code where it
asks for one, and each field either as a browser would fill it or as hostile text
(control characters, lone surrogates, NUL, 10,000 characters, right-to-left marks,
lookalike letters). It asserts: no 5xx (for the post, the page it leads to, and the
e-mails sent on commit), and a refused post changed nothing: only a redirect after a
post (the "done" answer) may have changed the database. Each example runs in a
savepoint that is rolled back, so every example starts from the same world.
"""

import itertools
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django_otp.oath import totp as oath_totp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.twofactor import new_totp_key
from apikeys.models import KeyIpAddress
from tests.factories import PASSWORD, SubaccountFactory, UserFactory
from tests.helpers import Authenticator, role_client, verified_client, with_2fa
from tests.security.formfinder import find_forms
from tests.security.urlmap import every_route, is_signed_api, url_for

# Whose form it is, when several users see it: the first of these who does.
ROLE_ORDER = ("anon", "owner", "applicant", "no2fa", "pending", "admin")
PHRASE = "a long and unusual pass phrase"
# Named buttons that do something other than send the form (django-otp's "send me a
# challenge" on the admin login).
ALTERNATIVE_BUTTONS = {"otp_challenge"}

# URLs that take a POST but show no form of their own, and why that is fine.
NOT_A_FORM = {
    "(root)": "a redirect to the API Management page",
    "apikeys:secret": "shows the new secret once; a POST is served like the GET",
    "subaccounts:apikey_secret": "the same page for a sub-account's key",
    "accounts:password_reset_confirm": "a made-up reset link: the page says it is not valid",
    "accounts:verify_email": "a made-up verification link: the page says it is not valid",
    "accounts:sign_out_session": "a button without fields, beside each other session",
    "accounts:sign_out_other_sessions": "a button without fields, shown with other sessions",
    "accounts:resend_verification": "a button without fields, shown to unverified accounts only",
    "apikeys:end_grace": "“End now”: a button with no field, shown while a roll's grace "
    "period runs (the test world has none); it only stops an old secret sooner",
    "subaccounts:apikey_end_grace": "the same button for a sub-account's key",
    "accounts:passkey_register_begin": "a passkey ceremony's JSON endpoint, posted by "
    "django-otp-webauthn's script; hostile bodies: tests/accounts/test_passkeys.py",
    "accounts:passkey_register_complete": "the same ceremony's second half",
    "accounts:passkey_auth_begin": "the code step's passkey ceremony (JSON)",
    "accounts:passkey_auth_complete": "its second half",
    "otpadmin:index": "Django's admin index, no form",
    "otpadmin:password_change": "a redirect to the portal's change-password page (fuzzed "
    "there); a POST here changes nothing",
    "otpadmin:login": "a redirect to the portal's two-step login (staff sign in there)",
    "otpadmin:app_list": "Django's admin app page, no form",
    "otpadmin:jsi18n": "the admin's JavaScript catalogue",
    "otpadmin:autocomplete": "the admin's autocomplete JSON (no admin uses it)",
    "otpadmin:view_on_site": "a redirect to an object's page",
    "otpadmin:(catch-all)": "404 for unknown admin pages",
    "otpadmin:apikeys_apikey_delete": "API keys can't be deleted in the admin (403)",
}

# The database minus what changes on every attempt, right or wrong: throttle counters,
# the last code step used, last-login times. Sessions are left out (a sign-in is one).
VOLATILE = {
    "last_login",
    "throttling_failure_count",
    "throttling_failure_timestamp",
    "last_t",
    "last_used_at",
}
# Records of attempts, kept whether the attempt was right or wrong (like the throttle
# counters above): a wrong password's sign-in record is not half a change.
VOLATILE_MODELS = {"accounts.SignInEvent", "accounts.UserSession"}
STATE_APPS = ("accounts", "apikeys", "reviews", "subaccounts", "api", "otp_totp", "otp_static")

CONTROL = [chr(c) for c in (*range(0x20), 0x7F, 0x85)]
TRICKY = ["\u2028", "\u2029", "\u200e", "\u200f", "\u202e", "\u2066", "\ufeff", "\ufffd"]
TRICKY += ["\ud800", "\udfff", "\U0001d42f", "ｖｉｃｔｉｍ１", "İ", "ß", "<script>", "'\"", "%00"]
PIECES = st.sampled_from(CONTROL + TRICKY) | st.characters(exclude_categories=())
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.lists(PIECES, max_size=30).map("".join),
    st.builds(lambda piece, n: piece * n, PIECES, st.sampled_from([2500, 10_000])),
)


@pytest.fixture
def portal(world, settings):
    """The world, with a client per role, and every POST form the pages show."""
    settings.LOGIN_RATE_PER_USERNAME = settings.LOGIN_RATE_PER_IP = "100000/m"
    settings.SIGNUP_RATE_PER_IP = "100000/m"
    settings.PASSWORD_RESET_RATE_PER_EMAIL = settings.PASSWORD_RESET_RATE_PER_IP = "100000/m"
    settings.PASSWORD_RECHECK_RATE_PER_USER = settings.PASSWORD_RECHECK_RATE_PER_IP = "100000/m"
    # A used IP, so the key pages (own and a sub-account's) offer "whitelist this IP";
    # an empty sub-account, so its page offers "delete"; an account that may apply.
    KeyIpAddress.objects.create(apikey=world.hmac_key, ip="198.51.100.7")
    KeyIpAddress.objects.create(apikey=world.sub_key, ip="198.51.100.8")
    empty_sub = SubaccountFactory(parent=world.owner, username="owner-empty")
    applicant = with_2fa(UserFactory(username="applicant"))
    users = {
        "owner": world.owner,
        "pending": world.owner,
        "applicant": applicant,
        "admin": world.superuser,
        "anon": world.superuser,  # the admin's login form asks for its code
        "no2fa": world.no2fa,
    }
    clients = {role: role_client(world, role) for role in ("anon", "no2fa", "owner", "admin")}
    clients["applicant"] = verified_client(Client(), applicant)
    clients["pending"] = Client()
    clients["pending"].post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    urls = [url_for(key, world) for key, route in every_route().items() if not is_signed_api(route)]
    pages = {role: list(urls) for role in clients}
    # Forms on pages the URL map reaches only through an object it doesn't hold.
    pages["owner"].append(f"/subaccounts/{empty_sub.subaccount.code}/")
    pages["admin"].append(f"/admin/reviews/application/{world.pending_application.pk}/change/")
    found = find_forms(clients, pages)
    forms = {}
    for (key, _role), form in sorted(found.items(), key=lambda i: ROLE_ORDER.index(i[0][1])):
        forms.setdefault(key, form)
    # Each example starts from these sessions (rows the rollback restores), never from
    # a cookie jar an earlier example changed by signing in or out.
    sessions = {role: c.cookies["sessionid"].value for role, c in clients.items() if role != "anon"}
    return world, users, sessions, forms


def test_every_post_url_has_a_form_found(portal):
    world, _users, _sessions, forms = portal
    missing = []
    for key, route in every_route().items():
        if is_signed_api(route) or key in forms or key in NOT_A_FORM:
            continue
        # Not a form target: then it must refuse a POST outright, for everyone.
        for role in ("owner", "admin"):
            status = role_client(world, role).post(url_for(key, world)).status_code
            if status != 405:
                missing.append(f"{key} ({role}: POST -> {status})")
    assert not missing, f"POST URLs with no form found: {missing}"
    assert {"accounts:signup", "accounts:login", "accounts:login_code"} <= forms.keys()
    assert {"otpadmin:reviews_application_approve", "subaccounts:delete"} <= forms.keys()


def code_for(role, user, session_key):
    if role == "no2fa":
        # The setup page's secret waits in the session until a code confirms it.
        session = SessionStore(session_key)
        hex_key = session.get("totp_setup_key") or new_totp_key()
        return str(oath_totp(bytes.fromhex(hex_key))).zfill(6)
    return Authenticator().code(user)


def browser_value(name, field, *, role, user, session_key, serial):
    """What a person filling the form in would send for ``field``."""
    if field.kind == "checkbox":
        return field.values
    if field.kind in ("radio", "select"):
        # What is chosen, else the first real choice (not an empty "pick one").
        return [v for v in field.values if v][:1] or [v for v in field.options if v][:1]
    if field.kind in ("submit", "image"):
        # The button a person presses to send the form, not an alternative action.
        return [] if name in ALTERNATIVE_BUTTONS else field.options[:1]
    typed = {
        "code": lambda: code_for(role, user, session_key),
        "otp_token": lambda: code_for(role, user, session_key),
        "username": lambda: user.username,
        "password": lambda: PASSWORD,
        "old_password": lambda: PASSWORD,
        "password1": lambda: PHRASE,
        "password2": lambda: PHRASE,
        "new_password1": lambda: PHRASE,
        "new_password2": lambda: PHRASE,
        "email": lambda: f"new{serial}@example.com",
        "alias": lambda: f"bot-{serial}",
        "name": lambda: f"desk{serial}",
        "label": lambda: "cold wallet",
        "address": lambda: f"TAddr{serial:06d}",
        "reason": lambda: "Not enough trading history.",
        "timestamp": lambda: "1700000000000",
        "signature": lambda: "ab" * 32,
    }
    value = field.values[0] if field.values else ""
    if value == "" and name in typed:
        value = typed[name]()
    return [value]


SERIAL = itertools.count(1)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_hostile_text_in_any_form_is_never_a_5xx_nor_half_a_change(
    portal, django_capture_on_commit_callbacks, data
):
    world, users, sessions, forms = portal
    key = data.draw(st.sampled_from(sorted(forms)), label="form")
    form = forms[key]
    user, serial = users[form.role], next(SERIAL)
    session_key = sessions.get(form.role)
    names = sorted(form.fields)
    # Mostly one hostile field among honest ones (so that it is the one judged); now
    # and then every field at once, or none (the control: an honest form goes through).
    mode = data.draw(st.sampled_from(["one", "one", "one", "all", "none"]), label="mode")
    hostile = {"all": set(names), "none": set()}.get(mode)
    if hostile is None:
        hostile = {data.draw(st.sampled_from(names), label="hostile field")} if names else set()
    posted = []
    with transaction.atomic():
        cache.clear()
        for name in names:
            field = form.fields[name]
            values = browser_value(
                name, field, role=form.role, user=user, session_key=session_key, serial=serial
            )
            if form.key == "accounts:signup" and name == "username":
                values = [f"new{serial}"]
            if name in hostile:
                values = [data.draw(HOSTILE, label=name)]
            posted += [(name, v) for v in values]
        # Lone surrogates can't be UTF-8: sent as the bytes a broken client would send.
        body = urlencode(posted, encoding="utf-8", errors="surrogatepass")
        client = Client()
        if session_key:
            client.cookies["sessionid"] = session_key
        before = snapshot()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                form.action, body, content_type="application/x-www-form-urlencoded"
            )
        status = response.status_code
        event(f"{key}: {status}")  # --hypothesis-show-statistics: what each form answered
        assert status < 500, f"{key} answered {status} to {posted!r}"[:3000]
        if before != snapshot():
            assert status == 302, f"{key} changed data and answered {status} to {posted!r}"[:3000]
        if status == 302 and response["Location"].startswith("/"):
            after = client.get(response["Location"])
            assert after.status_code < 500, f"{key} led to a {after.status_code}"
        transaction.set_rollback(True)


def snapshot() -> dict:
    state = {}
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label in VOLATILE_MODELS:
                continue
            rows = model.objects.order_by("pk").values()
            state[model._meta.label] = [
                {k: v for k, v in row.items() if k not in VOLATILE} for row in rows
            ]
    return state
