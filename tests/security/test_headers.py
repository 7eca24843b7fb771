"""Security headers on every page, no-store where a secret is shown, HSTS in production.

``check --deploy`` being clean with the production variables is tested in
tests/accounts/test_settings.py; this module reuses its environment.
"""

import json

from django.test import Client

from tests.accounts.test_settings import PRODUCTION, manage
from tests.helpers import role_client
from tests.security.urlmap import every_route, url_for

CSP_MUST_HAVE = ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")


def header_problems(response) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    problems += [f"CSP lacks {d}" for d in CSP_MUST_HAVE if d not in csp]
    script_src = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
    if "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src or not script_src:
        problems.append(f"script-src is {script_src.strip() or 'missing'}")
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {response.get('X-Frame-Options')}")
    if response.get("Referrer-Policy") != "same-origin":
        problems.append(f"Referrer-Policy {response.get('Referrer-Policy')}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    return problems


def test_every_url_carries_the_security_headers(world):
    """Every URL of the project (portal, admin, API), as a stranger and as the owner."""
    failures = []
    for role in ("anon", "owner", "admin"):
        client = role_client(world, role)
        for key in every_route():
            url = url_for(key, world)
            response = client.get(url)
            for problem in header_problems(response):
                failures.append(f"{role} GET {url} ({response.status_code}): {problem}")
    assert not failures, "\n".join(failures)


def test_secret_page_is_no_store(owner_client, owner, totp, world):
    response = owner_client.post(
        "/api-management/keys/new/",
        {"alias": "fresh", "key_choice": "hmac-sha256", "code": totp.code(owner)},
    )
    page = owner_client.get(response["Location"])
    assert 'data-testid="secret"' in page.content.decode()
    assert "no-store" in page["Cache-Control"]


def test_backup_codes_page_is_no_store(owner_client, owner, totp):
    response = owner_client.post(
        "/accounts/security/backup-codes/regenerate/", {"code": totp.code(owner)}
    )
    page = owner_client.get(response["Location"])
    assert page.status_code == 200 and "backup" in page.content.decode().lower()
    assert "no-store" in page["Cache-Control"]
    assert "private" in page["Cache-Control"]


PROBE = """
import json
from django.conf import settings
from django.test import Client
c = Client()
secure = c.get("/api/v1/time", secure=True, HTTP_HOST="portal.example.com")
plain = c.get("/api/v1/time", HTTP_HOST="portal.example.com")
print(json.dumps({
    "hsts_header": secure.get("Strict-Transport-Security"),
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "debug": settings.DEBUG,
}))
"""


def test_production_settings_send_hsts_for_a_year_and_secure_cookies():
    # The settings module itself, under DJANGO_DEBUG=0 and the production variables:
    # not override_settings, which would only prove what the test sets.
    result = manage("shell", "-c", PROBE, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["debug"] is False
    assert seen["hsts_header"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://portal.example.com/api/v1/time"
    assert seen["session_cookie_secure"] and seen["csrf_cookie_secure"]
    assert seen["session_cookie_httponly"]


def test_development_settings_send_no_hsts(client, db):
    # HSTS on a laptop's http://127.0.0.1 would lock the browser out of it for a year.
    assert "Strict-Transport-Security" not in Client().get("/api/v1/time")


def test_every_page_of_a_signed_in_user_is_no_store_and_private(world):
    """Balances, keys, the audit trail, security settings: no cache may keep any of them."""
    failures = []
    for role in ("unverified", "owner", "admin"):
        client = role_client(world, role)
        for key in every_route():
            url = url_for(key, world)
            response = client.get(url)
            directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
            if not {"no-store", "private"} <= directives:
                failures.append(f"{role} GET {url} ({response.status_code}): {directives}")
    assert not failures, "\n".join(failures)
