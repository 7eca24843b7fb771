"""``next=`` never sends a user off the site: not on login, not on the code step.

tests/accounts/test_login.py covers three absolute URLs on the password step of an
account without 2FA; this covers the tricks browsers read as another host, on both
steps of a login with 2FA, and the key page's "whitelist this IP" form.
"""

import pytest

from tests.factories import PASSWORD, ApiKeyFactory, UserFactory

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example/",
    "https:/evil.example/",
    "https:evil.example",
    "javascript:alert(document.domain)",
    "JavaScript:alert(1)",
    " //evil.example/",
    "\t//evil.example/",
    "///evil.example/",
    "http://testserver@evil.example/",
    "data:text/html,<script>alert(1)</script>",
]
HOME = "/api-management/"


def stays_on_site(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", OFF_SITE)
def test_password_step_ignores_an_off_site_next(client, db, target):
    user = UserFactory()
    response = client.post(
        f"/accounts/login/?next={target}", {"username": user.username, "password": PASSWORD}
    )
    assert response["Location"] == HOME
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD, "next": target}
    )
    assert response["Location"] == HOME


@pytest.mark.parametrize("target", OFF_SITE)
def test_code_step_ignores_an_off_site_next(client, owner, totp, target):
    response = client.post(
        "/accounts/login/", {"username": owner.username, "password": PASSWORD, "next": target}
    )
    assert response["Location"].startswith("/accounts/login/code/")
    # Whatever the first step passed on, and whatever the attacker's link adds to the
    # code step itself, the code step decides afresh.
    response = client.post(
        f"/accounts/login/code/?next={target}", {"code": totp.code(owner), "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == HOME


def test_next_with_its_own_query_survives_both_steps(client, owner, totp):
    target = "/subaccounts/keys/?permission=trade&subaccount=x"
    response = client.post(
        "/accounts/login/", {"username": owner.username, "password": PASSWORD, "next": target}
    )
    response = client.post(response["Location"], {"code": totp.code(owner)})
    assert response["Location"] == target


def test_code_step_cannot_be_smuggled_a_second_next(client, owner, totp):
    # An allowed path whose text adds a second next= to the code step's URL.
    target = "/assets/&next=https://evil.example/"
    response = client.post(
        "/accounts/login/", {"username": owner.username, "password": PASSWORD, "next": target}
    )
    response = client.post(response["Location"], {"code": totp.code(owner)})
    # The whole text is one path on this site (a 404 there), never a second parameter.
    assert response["Location"] == target
    assert stays_on_site(response["Location"])


@pytest.mark.parametrize("target", OFF_SITE[:4])
def test_whitelist_used_ip_ignores_an_off_site_next(owner_client, owner, totp, target):
    key = ApiKeyFactory(user=owner)
    response = owner_client.post(
        f"/api-management/keys/{key.code}/whitelist-used-ip/",
        {"ip": "203.0.113.9", "code": totp.code(owner), "next": target},
    )
    assert response["Location"] == f"/api-management/keys/{key.code}/"


@pytest.mark.parametrize("target", ["0", "x"])
def test_whitelist_used_ip_takes_a_next_without_a_slash_as_a_path_not_a_view_name(
    owner_client, owner, totp, target
):
    # Found by test_hostile_forms.py: redirect("0") looked for a view named "0" (a 500).
    key = ApiKeyFactory(user=owner)
    response = owner_client.post(
        f"/api-management/keys/{key.code}/whitelist-used-ip/",
        {"ip": "203.0.113.9", "code": totp.code(owner), "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == target
