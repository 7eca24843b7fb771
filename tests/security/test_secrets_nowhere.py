"""The secret of every key type is shown once, and is then nowhere.

One flow, as a trader would go through it: create an HMAC key and an Ed25519 key
(server-generated pair) on the page, read each secret on its one page, use both on
the signed API, stumble through refused actions (wrong code, bad whitelist, bad
signature, replay: errors, but no 500), then look at every page again, also as a
superuser in the admin. Afterwards the secrets must not be in the logs (DEBUG,
including every SQL query with its parameters), the e-mails, any page after the first
view, a dumpdata of every app, or the raw rows of every table (django_session too).
"""

import base64
import html
import io
import logging
import re

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client

from api import auth
from api import client as reference
from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApplicationFactory, UserFactory
from tests.helpers import verified_client, with_2fa

PEM = re.compile(r"-----BEGIN PRIVATE KEY-----.+?-----END PRIVATE KEY-----", re.S)


def create_on_page(client, owner, totp, *, alias, key_choice):
    response = client.post(
        "/api-management/keys/new/",
        {"alias": alias, "ip_whitelist": "", "key_choice": key_choice, "code": totp.code(owner)},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    first_view = client.get(response["Location"])
    assert first_view.status_code == 200
    return ApiKey.objects.get(user=owner, alias=alias), first_view.content.decode()


def signed_get(client, key, *, secret=None, pem=None, signature=None, path="/api/v1/key"):
    ts = str(auth.now_ms())
    message = reference.payload(ts, key.api_key, "", "GET", path)
    if signature is None:
        if pem:
            signature = reference.ed25519_signature(pem, message)
        else:
            signature = reference.hmac_signature(secret, message)
    headers = {"X-API-KEY": key.api_key, "X-API-TIMESTAMP": ts, "X-API-SIGNATURE": signature}
    return client.get(path, headers=headers), headers


def needles_of_hmac(secret: str) -> dict[str, str]:
    # The body alone too: a log line that cut off the prefix or checksum still leaks it.
    return {"HMAC secret": secret, "HMAC secret body": secret[4:-6]}


def needles_of_ed25519(pem: str) -> dict[str, str]:
    private = load_pem_private_key(pem.encode(), password=None)
    raw = private.private_bytes_raw()
    body = "".join(pem.strip().splitlines()[1:-1])
    return {
        "Ed25519 PEM body": body,
        "Ed25519 PEM body, first line": pem.strip().splitlines()[1],
        "Ed25519 raw key, hex": raw.hex(),
        "Ed25519 raw key, base64": base64.b64encode(raw).decode().rstrip("="),
        "Ed25519 raw key, urlsafe base64": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def raw_rows_of_every_table() -> str:
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            out.append(f"{table}: {cursor.fetchall()!r}")
    return "\n".join(out)


def leaks(needles: dict[str, str], places: dict[str, str]) -> list[str]:
    return [
        f"{what} found in {where}"
        for where, text in places.items()
        for what, needle in needles.items()
        if needle in text or needle in html.unescape(text)
    ]


def test_secrets_of_every_key_type_are_nowhere_after_the_first_view(
    owner_client, owner, totp, caplog, json_log, settings, django_capture_on_commit_callbacks
):
    ApplicationFactory.approved(user=owner)
    settings.DEBUG = True  # django.db.backends logs every query with its parameters
    superuser = with_2fa(UserFactory(username="root", is_staff=True, is_superuser=True))
    admin = verified_client(Client(), superuser)
    later_pages = {}
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="django"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        hmac_key, hmac_page = create_on_page(
            owner_client, owner, totp, alias="hmac-bot", key_choice="hmac-sha256"
        )
        ed_key, ed_page = create_on_page(
            owner_client, owner, totp, alias="ed-bot", key_choice="ed25519"
        )
        secret = hmac_key.secret()
        assert secret in hmac_page, "the first view shows the HMAC secret"
        pem = html.unescape(PEM.search(ed_page).group(0))
        assert ed_key.public_key and not ed_key.secret_encrypted

        # The secrets work on the API; the refusals are errors, never a 500.
        assert signed_get(owner_client, hmac_key, secret=secret)[0].status_code == 200
        response, headers = signed_get(owner_client, ed_key, pem=pem)
        assert response.status_code == 200
        replay = owner_client.get("/api/v1/key", headers=headers)
        assert replay.json()["error"]["code"] == "replayed_request"
        bad = signed_get(owner_client, hmac_key, signature="0" * 64)[0]
        assert bad.json()["error"]["code"] == "invalid_signature"
        wrong_code = owner_client.post(
            "/api-management/keys/new/",
            {"alias": "third", "key_choice": "hmac-sha256", "code": "000000"},
        )
        assert wrong_code.status_code == 200 and "already used code" in wrong_code.content.decode()
        bad_whitelist = owner_client.post(
            f"/api-management/keys/{hmac_key.code}/modify/",
            {"alias": "hmac-bot", "ip_whitelist": "not-an-ip", "code": totp.code(owner)},
        )
        assert bad_whitelist.status_code == 200

        for key in (hmac_key, ed_key):
            base = f"/api-management/keys/{key.code}/"
            for page in (base + "secret/", base, base + "modify/", base + "delete/"):
                response = owner_client.get(page, follow=True)
                assert response.status_code == 200, page
                later_pages[page] = response.content.decode()
            for page in (
                f"/admin/apikeys/apikey/{key.pk}/change/",
                f"/admin/apikeys/apikey/?q={key.alias}",
            ):
                response = admin.get(page)
                assert response.status_code == 200, page
                later_pages[f"admin {page}"] = response.content.decode()
        for event in AuditEvent.objects.all():
            page = f"/admin/apikeys/auditevent/{event.pk}/change/"
            later_pages[f"admin {page}"] = admin.get(page).content.decode()
        for page in ("/api-management/", "/api-docs/", "/subaccounts/keys/", "/accounts/security/"):
            later_pages[page] = owner_client.get(page).content.decode()
        later_pages["API /api/v1/key"] = signed_get(owner_client, hmac_key, secret=secret)[
            0
        ].content.decode()

    assert any(r.name == "django.db.backends" for r in caplog.records), "queries were logged"
    assert '"logger": "django.db.backends"' in json_log.getvalue()
    assert len(mail.outbox) >= 2, "an e-mail per new key"
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    places = {
        "the logs": caplog.text,
        "the JSON log lines": json_log.getvalue(),
        "the e-mails": "\n".join(
            f"{m.subject}\n{m.body}\n{getattr(m, 'alternatives', '')}" for m in mail.outbox
        ),
        "dumpdata": dump.getvalue(),
        "the raw rows of every table": raw_rows_of_every_table(),
        **{f"the page {page}": text for page, text in later_pages.items()},
    }
    assert "django_session" in places["the raw rows of every table"]
    needles = {**needles_of_hmac(secret), **needles_of_ed25519(pem)}
    # The control: the search finds each secret where it belongs, on its first view.
    assert len(leaks(needles, {"first views": hmac_page + ed_page})) == 4
    found = leaks(needles, places)
    assert not found, "\n".join(found)
