""" "Your IP" beside "Whitelist IP" on the create and modify pages: the address the
portal sees for this browser (through our proxies only), a button the page's script
reveals to add it, and the whitelist's own loopback/private warning."""

import re

import pytest
from django.urls import reverse

from tests.factories import ApiKeyFactory

NEW = reverse("apikeys:new")


def helper_of(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="your-ip" data-testid="your-ip">(.*?)</div>', html, re.S)
    assert match, "no Your IP helper on the page"
    return match.group(1)


def test_the_create_page_shows_the_browsers_address_with_a_button_to_add_it(owner_client, trader):
    helper = helper_of(owner_client.get(NEW, REMOTE_ADDR="203.0.113.77"))
    assert '<code id="your-ip-address">203.0.113.77</code>' in helper
    # Hidden until the script runs: without it the address is text to copy.
    assert 'data-add-ip="203.0.113.77" data-add-ip-to="id_ip_whitelist" hidden' in helper
    assert "your-ip-warning" not in helper


def test_the_modify_page_has_it_too(owner_client, trader):
    apikey = ApiKeyFactory(user=trader, ip_whitelist=["198.51.100.1/32"])
    url = reverse("apikeys:modify", args=[apikey.code])
    assert "203.0.113.78" in helper_of(owner_client.get(url, REMOTE_ADDR="203.0.113.78"))


def test_the_script_is_a_file_not_inline(owner_client, trader):
    html = owner_client.get(NEW).content.decode()
    assert '<script src="/static/js/your-ip.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


@pytest.mark.parametrize(
    ("ip", "warning"),
    [("127.0.0.1", "loopback address"), ("192.168.1.20", "private network")],
)
def test_a_loopback_or_private_address_carries_the_fields_warning(
    owner_client, trader, ip, warning
):
    helper = helper_of(owner_client.get(NEW, REMOTE_ADDR=ip))
    assert f">{ip}</code>" in helper and warning in helper


def test_behind_our_proxy_the_forwarded_address_is_shown(owner_client, trader, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = owner_client.get(
        NEW, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.90"
    )
    helper = helper_of(response)
    assert ">203.0.113.90</code>" in helper and "6.6.6.6" not in helper


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(owner_client, trader):
    response = owner_client.get(NEW, REMOTE_ADDR="203.0.113.91", HTTP_X_FORWARDED_FOR="6.6.6.6")
    helper = helper_of(response)
    assert ">203.0.113.91</code>" in helper and "6.6.6.6" not in helper
