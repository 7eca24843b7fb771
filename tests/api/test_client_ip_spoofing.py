"""Spoofing attempts against the client IP (core.net.client_ip) and the whitelist.

TRUSTED_PROXY_COUNT = 0: the socket address only; every forwarding header is the
client's invention. = 1: our proxy appends the address it saw to X-Forwarded-For, so
the right-most entry is the client and anything left of it was sent by the client.
"""

import pytest
from django.test import RequestFactory

from core.net import client_ip
from tests.factories import ApiKeyFactory
from tests.helpers import error_code

rf = RequestFactory()
PROXY = "10.0.0.2"
REAL = "198.51.100.7"
SPOOF = "203.0.113.1"
FORGED_HEADERS = {
    "HTTP_X_FORWARDED_FOR": SPOOF,
    "HTTP_X_REAL_IP": SPOOF,
    "HTTP_CLIENT_IP": SPOOF,
    "HTTP_FORWARDED": f"for={SPOOF}",
    "HTTP_CF_CONNECTING_IP": SPOOF,
    "HTTP_TRUE_CLIENT_IP": SPOOF,
}


@pytest.mark.parametrize("header", FORGED_HEADERS)
def test_no_trusted_proxy_ignores_every_forwarding_header(settings, header):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR=REAL, **{header: FORGED_HEADERS[header]})
    assert client_ip(request) == REAL


def test_no_trusted_proxy_unwraps_an_ipv4_mapped_socket_address(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(rf.get("/", REMOTE_ADDR=f"::ffff:{REAL}")) == REAL


def test_one_proxy_honest_client_gets_its_own_address_not_the_proxys(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=REAL)
    assert client_ip(request) == REAL


@pytest.mark.parametrize(
    "client_sent",
    [
        SPOOF,
        f"{SPOOF}, 192.0.2.9",
        f'{SPOOF}, "',  # an unclosed quote that would swallow the real hop
        "garbage",
        f"{SPOOF}:443",
        "",
    ],
)
def test_one_proxy_anything_the_client_prepends_is_ignored(settings, client_sent):
    settings.TRUSTED_PROXY_COUNT = 1
    # What our proxy forwards: the client's header, then the address it saw.
    forwarded = f"{client_sent}, {REAL}" if client_sent else REAL
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == REAL


def test_one_proxy_x_real_ip_from_the_client_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=REAL, HTTP_X_REAL_IP=SPOOF)
    assert client_ip(request) == REAL


def test_one_proxy_ipv6_client_with_port_is_parsed(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="[2001:DB8::7]:51000")
    assert client_ip(request) == "2001:db8::7"


def test_one_proxy_request_that_bypassed_it_falls_back_to_the_socket(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(rf.get("/", REMOTE_ADDR=REAL)) == REAL


def test_two_proxies_take_the_second_entry_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    # client-sent, then what the load balancer saw (client), then what nginx saw (LB).
    forwarded = f"{SPOOF}, {REAL}, 10.0.0.1"
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)) == REAL


# --- Through the API: a forged header never gets past a whitelist --------------------


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Real-IP"])
def test_forged_header_does_not_pass_the_whitelist_without_proxies(api, settings, header):
    settings.TRUSTED_PROXY_COUNT = 0
    key = ApiKeyFactory(ip_whitelist=[f"{SPOOF}/32"])
    response = api.get(key, "/api/v1/key", remote_addr=REAL, headers={header: SPOOF})
    assert response.status_code == 403
    assert error_code(response) == "ip_not_allowed"


@pytest.mark.django_db
def test_forged_header_does_not_pass_the_whitelist_behind_one_proxy(api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    key = ApiKeyFactory(ip_whitelist=[f"{SPOOF}/32"])
    response = api.get(
        key,
        "/api/v1/key",
        remote_addr=PROXY,
        headers={"X-Forwarded-For": f"{SPOOF}, {REAL}", "X-Real-IP": SPOOF},
    )
    assert response.status_code == 403
    assert error_code(response) == "ip_not_allowed"


@pytest.mark.django_db
def test_whitelisted_client_behind_one_proxy_is_allowed(api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    key = ApiKeyFactory(ip_whitelist=[f"{REAL}/32"])
    response = api.get(
        key, "/api/v1/key", remote_addr=PROXY, headers={"X-Forwarded-For": f"{SPOOF}, {REAL}"}
    )
    assert response.status_code == 200
