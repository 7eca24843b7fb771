"""The portal's own error pages (DEBUG off, as in production and in the test run): the
layout, what happened and a way back; never Django's bare pages nor an empty 405."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.ops.error_urls"
    settings.DEBUG = False


def in_layout(response) -> str:
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert '<main id="main"' in body and 'class="topbar"' in body
    assert 'href="/"' in body  # a way back
    return body


def test_unknown_portal_address_is_the_portals_404_page_in_the_layout(owner_client):
    response = owner_client.get("/api-management/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in in_layout(response)
    # Signed in: the layout shows the user's navigation, not the guest's.
    assert "Log out" in response.content.decode()


def test_a_bug_is_the_portals_500_page_in_the_layout(failing_urls):
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in in_layout(response)


def test_a_refusal_is_the_portals_403_page_in_the_layout(failing_urls):
    response = Client().get("/forbidden/")
    assert response.status_code == 403
    assert "You can't open this page" in in_layout(response)


def test_a_mangled_request_is_the_portals_400_page_in_the_layout(failing_urls):
    response = Client().get("/suspicious/")
    assert response.status_code == 400
    assert "We couldn't read this request" in in_layout(response)


def test_a_form_without_its_csrf_token_is_the_portals_403_page_saying_nothing_changed(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    body = in_layout(response)
    assert "This form has expired" in body and "Nothing was changed" in body


@pytest.mark.parametrize(
    "path, way_back",
    [
        ("/api-management/apply/", "/api-management/"),
        ("/subaccounts/new/", "/subaccounts/"),
        ("/accounts/security/2fa/disable/", "/accounts/security/"),
    ],
)
def test_get_on_a_post_only_portal_address_is_a_405_page_linking_to_its_form(
    owner_client, path, way_back
):
    response = owner_client.get(path)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = in_layout(response)
    assert "This address only takes a form" in body
    assert f'href="{way_back}"' in body


def test_the_signed_api_keeps_its_json_405(client):
    response = client.post("/api/v1/time")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
