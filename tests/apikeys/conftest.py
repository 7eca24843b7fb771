"""Fixtures for the API Management tests.

- ``create_key_via_page``: posts the "Create API" form as ``owner_client`` with a fresh code.
"""

import pytest
from django.urls import reverse


def form_data(**fields) -> dict:
    """The create/modify form as a browser posts it: unchecked boxes are left out."""
    data = {"alias": "grid-bot", "ip_whitelist": "", "key_choice": "hmac-sha256"}
    data.update(fields)
    return {name: value for name, value in data.items() if value is not False}


@pytest.fixture
def create_key_via_page(owner_client, trader, totp):
    def create(**fields):
        data = form_data(code=totp.code(trader), **fields)
        return owner_client.post(reverse("apikeys:new"), data)

    return create
