"""Every mutation is a POST with a CSRF token: without the token, or as a GET, nothing changes.

``MUTATIONS`` posts each change with data that is otherwise valid (a fresh 2FA code
included): refused without the token, ignored as a GET with the same data in the
query string, and, as the control that makes both refusals mean something, done
when the token is there.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_static.models import StaticToken

from accounts.models import AddressManagement
from accounts.twofactor import has_2fa
from tests.factories import PASSWORD, SubaccountFactory
from tests.helpers import ROLES, role_client
from tests.security.matrixlib import failure_table, token
from tests.security.urlmap import every_route, is_signed_api, url_for

PROBES = {"healthz", "readyz"}


@dataclass
class Mutation:
    key: str
    data: Callable  # (world, totp) -> the form as a browser posts it
    state: Callable  # (world) -> what the mutation changes, read from the database
    role: str = "owner"
    url: Callable | None = None  # (world) -> path, when url_for's objects won't do


def code(world, totp, role="owner"):
    return totp.code(world.user_of(role))


def key_form(world, totp, alias):
    return {
        "alias": alias,
        "ip_whitelist": "",
        "key_choice": "hmac-sha256",
        "code": code(world, totp),
    }


def empty_subaccount_url(world):
    # A sub-account holding keys or a balance can't be deleted; this one holds neither.
    empty = SubaccountFactory(parent=world.owner, username="owner-empty")
    return f"/subaccounts/{empty.subaccount.code}/delete/"


MUTATIONS = [
    Mutation(
        "apikeys:new", lambda w, t: key_form(w, t, "new-bot"), lambda w: w.owner.apikeys.count()
    ),
    Mutation(
        "apikeys:modify",
        lambda w, t: key_form(w, t, "renamed") | {"ip_whitelist": "127.0.0.1"},
        lambda w: w.owner.apikeys.get(pk=w.hmac_key.pk).alias,
    ),
    Mutation(
        "apikeys:delete", lambda w, t: {"code": code(w, t)}, lambda w: w.owner.apikeys.count()
    ),
    Mutation(
        "apikeys:delete_all", lambda w, t: {"code": code(w, t)}, lambda w: w.owner.apikeys.count()
    ),
    Mutation(
        "subaccounts:apikey_new",
        lambda w, t: key_form(w, t, "new-bot"),
        lambda w: w.sub.apikeys.count(),
    ),
    Mutation(
        "subaccounts:apikey_modify",
        lambda w, t: key_form(w, t, "renamed"),
        lambda w: w.sub.apikeys.get().alias,
    ),
    Mutation(
        "subaccounts:apikey_delete",
        lambda w, t: {"code": code(w, t)},
        lambda w: w.sub.apikeys.count(),
    ),
    Mutation(
        "subaccounts:apikey_delete_all",
        lambda w, t: {"code": code(w, t)},
        lambda w: w.sub.apikeys.count(),
    ),
    Mutation(
        "subaccounts:create",
        lambda w, t: {"name": "grid", "note": "", "code": code(w, t)},
        lambda w: w.owner.subaccounts.filter(is_active=True).count(),
    ),
    Mutation(
        "subaccounts:freeze",
        lambda w, t: {"frozen": "true", "code": code(w, t)},
        lambda w: type(w.sub).objects.get(pk=w.sub.pk).is_frozen,
    ),
    Mutation(
        "subaccounts:transfer",
        lambda w, t: {"direction": "to", "asset": "USDT", "amount": "1", "code": code(w, t)},
        lambda w: w.sub.transfers_in.count(),
    ),
    Mutation(
        "subaccounts:delete",
        lambda w, t: {"code": code(w, t)},
        lambda w: w.owner.subaccounts.filter(is_active=True).count(),
        url=empty_subaccount_url,
    ),
    Mutation(
        "accounts:add_address",
        lambda w, t: {
            "asset": "USDT",
            "address": "TNewAddress99",
            "label": "hot",
            "code": code(w, t),
        },
        lambda w: w.owner.withdrawal_addresses.count(),
    ),
    Mutation(
        "accounts:switch_address_management",
        lambda w, t: {"enabled": "on", "code": code(w, t)},
        lambda w: AddressManagement.objects.filter(user=w.owner, enabled=True).exists(),
    ),
    Mutation(
        "accounts:remove_address", lambda w, t: {}, lambda w: w.owner.withdrawal_addresses.count()
    ),
    Mutation(
        "accounts:rename_passkey",
        lambda w, t: {"name": "Renamed"},
        lambda w: list(w.owner.webauthncredential_set.values_list("name", flat=True)),
    ),
    Mutation(
        "accounts:remove_passkey",
        lambda w, t: {"code": code(w, t)},
        lambda w: w.owner.webauthncredential_set.count(),
    ),
    Mutation(
        "accounts:disable_2fa",
        lambda w, t: {"password": PASSWORD, "code": code(w, t)},
        lambda w: has_2fa(w.owner),
    ),
    Mutation(
        "accounts:regenerate_backup_codes",
        lambda w, t: {"code": code(w, t)},
        lambda w: sorted(
            StaticToken.objects.filter(device__user=w.owner).values_list("token", flat=True)
        ),
    ),
    Mutation("accounts:logout", lambda w, t: {}, lambda w: Session.objects.count()),
    Mutation(
        "otpadmin:reviews_application_approve",
        lambda w, t: {},
        lambda w: type(w.pending_application).objects.get(pk=w.pending_application.pk).status,
        role="admin",
    ),
    Mutation(
        "otpadmin:reviews_application_reject",
        lambda w, t: {"reason": "Not enough history.", "reject": "1"},
        lambda w: type(w.pending_application).objects.get(pk=w.pending_application.pk).status,
        role="admin",
    ),
]


def csrf_client(world, role):
    client = role_client(world, role, enforce_csrf_checks=True)
    # A page with a form sets the CSRF cookie: the docs' tester when signed in, else login
    # (a session still owing its 2FA code lands on the code step's form).
    client.get("/api-docs/" if role != "anon" else "/accounts/login/", follow=True)
    assert "csrftoken" in client.cookies
    return client


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.key)
def test_mutation_needs_post_and_csrf_token(world, totp, mutation):
    url = mutation.url(world) if mutation.url else url_for(mutation.key, world)
    client = csrf_client(world, mutation.role)
    before = mutation.state(world)

    response = client.post(url, mutation.data(world, totp))
    assert response.status_code == 403, "refused without a CSRF token"
    # The portal's own page (config.errors.csrf_failure), not Django's bare one.
    assert b"This form has expired" in response.content
    assert mutation.state(world) == before

    response = client.get(url, mutation.data(world, totp))
    assert response.status_code in (200, 302, 405)
    assert mutation.state(world) == before, "a GET changed something"

    token_value = client.cookies["csrftoken"].value
    client.post(url, {**mutation.data(world, totp), "csrfmiddlewaretoken": token_value})
    assert mutation.state(world) != before, "the control: with the token it is done"


def test_every_portal_post_is_refused_without_a_csrf_token(world):
    """Beyond MUTATIONS: every portal URL, every role, including logging in (login CSRF)."""
    failures = []
    for role in ROLES:
        client = csrf_client(world, role)
        for key, route in every_route().items():
            if is_signed_api(route) or route in PROBES:
                continue  # no session, no state: the probes answer before CSRF (405)
            url = url_for(key, world)
            got = token(client.post(url, {"code": "123456"}))
            if got != "403":
                failures.append((url, "POST", role, "403", got))
    assert not failures, failure_table(failures)
