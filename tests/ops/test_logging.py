"""Log lines: time, level, logger and request id on each; JSON lines on request; no
traceback for an unknown Host; no line per refused signed request."""

import json
import logging
import re

import pytest
from django.test import Client

from config.logs import build_logging


@pytest.fixture
def log_lines(settings, capfd):
    """Configure logging as the settings do with ``fmt`` and return a reader of the lines
    written to stderr since."""

    def configure(fmt):
        logging.config.dictConfig(build_logging(log_format=fmt, level="INFO"))
        capfd.readouterr()
        return lambda: [line for line in capfd.readouterr().err.splitlines() if line.strip()]

    yield configure
    # Back to the settings' handlers, bound to the real stderr: bound to the capture's,
    # they would write to a closed file once this test is over.
    with capfd.disabled():
        logging.config.dictConfig(settings.LOGGING)


@pytest.mark.django_db
def test_json_lines_carry_time_level_logger_and_the_request_id_sent_back(log_lines):
    read = log_lines("json")
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    records = [json.loads(line) for line in read()]
    (not_found,) = [r for r in records if r["logger"] == "django.request"]
    assert not_found["level"] == "WARNING"
    assert not_found["time"][:2] == "20"
    assert not_found["message"] == "Not Found: /no-such-page/"
    assert not_found["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_text_lines_carry_time_level_logger_and_the_request_id(log_lines):
    read = log_lines("text")
    response = Client().get("/no-such-page/")
    (line,) = read()
    assert " WARNING django.request " in line
    assert f"[{response['X-Request-ID']}]" in line


@pytest.mark.django_db
def test_a_request_id_from_the_trusted_proxy_is_kept(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = Client().get("/healthz", headers={"X-Request-ID": "5f0c2a9e1b7d4c3a"})
    assert response["X-Request-ID"] == "5f0c2a9e1b7d4c3a"


@pytest.mark.django_db
@pytest.mark.parametrize("proxies, given", [(0, "chosen-by-the-client"), (1, "bad\nline")])
def test_a_request_id_from_a_client_or_malformed_is_replaced(settings, proxies, given):
    settings.TRUSTED_PROXY_COUNT = proxies
    response = Client().get("/healthz", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_an_unknown_host_is_one_warning_line_not_a_traceback(log_lines):
    read = log_lines("text")
    response = Client().get("/", HTTP_HOST="scanner.example")
    assert response.status_code == 400
    lines = read()
    assert len(lines) == 1, lines
    assert " WARNING django.security.DisallowedHost " in lines[0]
    assert "Traceback" not in lines[0]


@pytest.mark.django_db
def test_refused_signed_requests_write_no_line_each(log_lines):
    read = log_lines("text")
    statuses = [Client().get("/api/v1/key").status_code for _ in range(5)]
    assert all(400 <= status < 500 for status in statuses)
    assert read() == []


@pytest.mark.django_db
def test_a_portal_404_is_still_a_warning(log_lines):
    # Only the API's refusals go quiet: a broken link on the portal is worth a line.
    read = log_lines("text")
    Client().get("/api-management/nowhere/")
    (line,) = read()
    assert " WARNING django.request " in line
    assert "Not Found: /api-management/nowhere/" in line


@pytest.mark.django_db
def test_json_logs_of_a_login_hold_neither_the_password_nor_the_codes(
    owner, totp, caplog, json_log, settings
):
    from tests.factories import PASSWORD

    settings.DEBUG = True  # django.db.backends logs every query with its parameters
    client = Client()
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="django"):
        client.post("/accounts/login/", {"username": owner.username, "password": PASSWORD})
        wrong = client.post("/accounts/login/code/", {"code": "918273"})
        assert wrong.status_code == 200
        code = totp.code(owner)
        assert client.post("/accounts/login/code/", {"code": code}).status_code == 302
    lines = json_log.getvalue()
    assert '"logger": "django.db.backends"' in lines
    assert PASSWORD not in lines and PASSWORD not in caplog.text
    for needle in ("918273", code):
        # Standalone: six digits turn up inside hex addresses and longer numbers by chance.
        standalone = re.compile(rf"(?<![0-9A-Za-z]){needle}(?![0-9A-Za-z])")
        assert not standalone.search(lines)
        assert not standalone.search(caplog.text)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_one_time_links_are_masked_in_access_lines(log_lines, fmt):
    """An unused reset or verification link read from a log must not be usable (found
    from outside: gunicorn's access lines held them whole)."""
    read = log_lines(fmt)
    reset = "/accounts/password/reset/Nw/dieqfo-bef879a1b2c3d4e5f6/"
    verify = "/accounts/verify-email/eyJ1Ijo0fQ:1vQx:AbCdEfGhIjKl/"
    access = logging.getLogger("gunicorn.access")
    for path in (reset, verify):
        access.info(
            '%(h)s "%(r)s" %(s)s', {"h": "192.0.2.1", "r": f"GET {path} HTTP/1.1", "s": "302"}
        )
    text = "\n".join(read())
    assert "dieqfo-bef879a1b2c3d4e5f6" not in text and "AbCdEfGhIjKl" not in text
    assert "/accounts/password/reset/Nw/" in text and "/accounts/verify-email/" in text
