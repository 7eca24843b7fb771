from django.test import RequestFactory

from core.net import client_ip

rf = RequestFactory()


def test_without_trusted_proxies_the_socket_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get(
        "/",
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="203.0.113.1",
        HTTP_X_REAL_IP="203.0.113.2",
    )
    assert client_ip(request) == "198.51.100.7"


def test_with_one_trusted_proxy_the_address_it_saw_wins_over_client_claims(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client claims 203.0.113.1; our proxy appends the address it really saw.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def test_with_one_trusted_proxy_and_no_header_the_socket_address_is_used(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(rf.get("/", REMOTE_ADDR="198.51.100.9")) == "198.51.100.9"
