"""/healthz (the process answers) and /readyz (database and cache answer), and the
portal's 503 page when the cache is down."""

import logging

import pytest
from django.db import OperationalError, connection
from django.test import Client

from api import auth
from tests.factories import ApiKeyFactory


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: a query here would raise "Database access not allowed".
    response = Client(raise_request_exception=True).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_answers_200_when_database_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_a_balancer_that_asks_by_ip_over_plain_http(settings, path):
    # A load balancer probes the backend's address (Host: 10.0.0.5:8000), over HTTP,
    # without cookies: neither the host check nor the HTTPS redirect may stand between.
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client(raise_request_exception=True).get(path, HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_readyz_answers_503_json_naming_the_cache_when_redis_is_down(cache_down):
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error")


@pytest.mark.django_db
def test_readyz_answers_503_json_naming_the_database_when_it_is_down(monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"].startswith("error")
    assert body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_a_failing_readyz_is_not_logged_as_an_error(cache_down, caplog):
    with caplog.at_level(logging.INFO):
        assert Client().get("/readyz").status_code == 503
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.django_db
def test_probes_are_not_throttled_however_often_a_balancer_asks(client):
    # Far more than any per-IP budget the portal or the API has (300 a minute).
    statuses = {client.get(path).status_code for path in ["/healthz", "/readyz"] * 400}
    assert statuses == {200}


@pytest.mark.django_db
def test_portal_answers_a_503_page_not_a_500_when_the_cache_is_down(cache_down):
    # The login form's throttle lives in the cache.
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"username": "someone", "password": "x" * 12})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "temporarily unavailable" in response.content.decode()
    assert response["Retry-After"]


@pytest.mark.django_db
def test_any_api_path_answers_503_json_not_an_html_500_when_the_cache_is_down(cache_down):
    # The fallback under every view: the failed-authentication budget is in the cache.
    key = ApiKeyFactory()
    headers = {"X-API-KEY": key.api_key, "X-API-TIMESTAMP": str(auth.now_ms())}
    headers["X-API-SIGNATURE"] = "0" * 64
    response = Client(raise_request_exception=False).get("/api/v1/key", headers=headers)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response["Retry-After"]
