"""The signed JSON API runs a lean middleware stack (config/lean.py); the portal, the
full one. The test client runs settings.MIDDLEWARE exactly as gunicorn does."""

import pytest
from django.conf import settings
from django.test import Client

from config.lean import API_CSP
from tests.factories import ApiKeyFactory, UserFactory

pytestmark = pytest.mark.django_db

API_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": API_CSP,
    "Cache-Control": "no-store, private",
}


def test_a_signed_answer_sets_no_cookie_and_carries_the_api_headers(api):
    key = ApiKeyFactory()
    response = api.get(key, "/api/v1/key")
    assert response.status_code == 200
    assert not response.cookies
    assert {name: response.headers.get(name) for name in API_HEADERS} == API_HEADERS
    assert response.headers["X-Request-ID"]
    assert "Vary" not in response.headers  # nothing in it depends on a cookie


def test_a_signed_in_browser_gets_no_session_work_on_the_api(client):
    # Its session cookie is neither read nor renewed, and it does not make the answer
    # "private": the API answers by its signature alone.
    client.force_login(UserFactory())
    for path in ("/api/v1/time", "/api/v1/nope"):
        response = client.get(path)
        assert not response.cookies, path
        assert response.headers["Content-Security-Policy"] == API_CSP
        assert response.headers["X-Frame-Options"] == "DENY"
    assert client.get("/api/v1/nope").json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/time").status_code == 405


def test_api_posts_need_no_csrf_token_but_portal_posts_still_do():
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/api/v1/orders", "{}", content_type="application/json").status_code == 401
    assert browser.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 403


def test_portal_pages_keep_the_full_stack(client):
    response = client.get("/api-docs/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy != API_CSP and "script-src 'self'" in policy
    assert "csrftoken" in response.cookies or "Cookie" in response.headers.get("Vary", "")
    client.force_login(UserFactory())
    page = client.get("/api-management/")
    assert "private" in page.headers["Cache-Control"]


def test_django_still_finds_the_middlewares_its_checks_ask_for():
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.utils.module_loading import import_string

    assert any(
        issubclass(import_string(path), AuthenticationMiddleware) for path in settings.MIDDLEWARE
    )
