"""Fixtures for the API Management tests.

- ``create_key_via_page``: posts the "Create API" form as ``owner_client`` with a fresh code.
"""

import pytest
from django.urls import reverse

from tests.helpers import form_data


@pytest.fixture
def create_key_via_page(owner_client, trader, totp):
    def create(**fields):
        data = form_data(code=totp.code(trader), **fields)
        return owner_client.post(reverse("apikeys:new"), data)

    return create
