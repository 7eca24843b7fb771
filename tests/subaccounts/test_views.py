import uuid

import pytest
from django.test import Client

from apikeys.forms import CreateApiKeyForm
from apikeys.models import ApiKey, AuditEvent
from subaccounts.services import create_subaccount
from tests.factories import ApiKeyFactory, ApplicationFactory, UserFactory
from tests.helpers import verified_client, with_2fa


@pytest.fixture
def desk(owner):
    ApplicationFactory.approved(user=owner)
    return create_subaccount(parent=owner, name="desk")


def sub_url(sub, rest=""):
    return f"/subaccounts/{sub.subaccount.code}/{rest}"


def test_parent_creates_a_subaccount_with_a_2fa_code(owner_client, owner, totp):
    response = owner_client.post(
        "/subaccounts/new/", {"name": "grid", "note": "BTC grid", "code": totp.code(owner)}
    )
    sub = owner.subaccounts.get()
    assert response.status_code == 302
    assert response["Location"] == sub_url(sub)
    assert sub.username == "owner-grid"


def test_the_name_help_shows_the_full_name_a_sub_account_gets(owner_client):
    html = owner_client.get("/subaccounts/").content.decode()
    assert "“desk1” becomes owner-desk1." in html
    assert "yourname" not in html


def test_create_with_a_bad_name_keeps_the_input_and_names_the_field(owner_client, owner, totp):
    response = owner_client.post(
        "/subaccounts/new/", {"name": "Bad Name!", "note": "kept", "code": totp.code(owner)}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "lowercase letters" in html and 'value="kept"' in html
    assert not owner.subaccounts.exists()


def test_list_shows_balance_and_key_count_in_constant_queries(
    owner_client, owner, django_assert_max_num_queries
):
    from tests.factories import BalanceFactory

    def add(n):
        for _ in range(n):
            sub = create_subaccount(parent=owner, name=f"s{uuid.uuid4().hex[:8]}")
            BalanceFactory(user=sub)
            ApiKeyFactory(user=sub)

    add(2)
    with django_assert_max_num_queries(12) as small:
        owner_client.get("/subaccounts/")
    add(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = owner_client.get("/subaccounts/")
    assert response.content.decode().count('data-testid="subaccount-row"') == 12


def test_freeze_needs_a_code_and_unfreeze_restores(owner_client, owner, desk, totp):
    refused = owner_client.post(sub_url(desk, "freeze/"), {"frozen": "true", "code": "000000"})
    assert refused.status_code == 400
    desk.refresh_from_db()
    assert not desk.is_frozen
    owner_client.post(sub_url(desk, "freeze/"), {"frozen": "true", "code": totp.code(owner)})
    desk.refresh_from_db()
    assert desk.is_frozen
    owner_client.post(sub_url(desk, "freeze/"), {"frozen": "false", "code": totp.code(owner)})
    desk.refresh_from_db()
    assert not desk.is_frozen


def test_freezing_twice_stays_frozen(owner_client, owner, desk, totp):
    # A double submit (or a second tab) must not undo the first freeze.
    for _ in range(2):
        owner_client.post(sub_url(desk, "freeze/"), {"frozen": "true", "code": totp.code(owner)})
    desk.refresh_from_db()
    assert desk.is_frozen


def test_a_refused_name_does_not_spend_the_code(owner_client, owner, totp):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = totp.code(owner)
    owner_client.post("/subaccounts/new/", {"name": "Bad Name", "code": code})
    assert TOTPDevice.objects.get(user=owner).last_t == -1  # the code is still unused
    response = owner_client.post("/subaccounts/new/", {"name": "good", "code": code})
    assert response.status_code == 302


def test_detail_says_why_deleting_is_not_offered(owner_client, desk):
    ApiKeyFactory(user=desk)
    html = owner_client.get(sub_url(desk)).content.decode()
    assert "Deleting is not possible while it still has API keys" in html
    assert "Delete sub-account</button>" not in html


def test_parent_creates_a_subaccount_key_through_the_same_form_and_service(
    owner_client, owner, desk, totp
):
    page = owner_client.get(sub_url(desk, "api-management/keys/new/"))
    assert isinstance(page.context["form"], CreateApiKeyForm)
    assert "owner-desk" in page.content.decode()

    response = owner_client.post(
        sub_url(desk, "api-management/keys/new/"),
        {"alias": "grid", "key_choice": "hmac-sha256", "code": totp.code(owner)},
    )
    key = desk.apikeys.get()
    assert response["Location"] == sub_url(desk, f"api-management/keys/{key.code}/secret/")
    assert key.user == desk and key.created_by == owner
    assert not owner.apikeys.exists()
    event = AuditEvent.objects.get(apikey=key)
    assert (event.owner, event.actor) == (desk, owner)
    secret_page = owner_client.get(response["Location"])
    assert secret_page.status_code == 200
    assert owner_client.get(response["Location"]).status_code == 302


def test_key_limit_counts_per_subaccount(owner_client, owner, desk, totp, settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 1
    ApiKeyFactory(user=owner)
    ApiKeyFactory(user=desk)
    other = create_subaccount(parent=owner, name="other")
    response = owner_client.post(
        sub_url(other, "api-management/keys/new/"),
        {"alias": "ok", "key_choice": "hmac-sha256", "code": totp.code(owner)},
    )
    assert response.status_code == 302
    assert other.apikeys.count() == 1
    refused = owner_client.post(
        sub_url(desk, "api-management/keys/new/"),
        {"alias": "two", "key_choice": "hmac-sha256", "code": totp.code(owner)},
    )
    assert desk.apikeys.count() == 1
    assert refused.status_code == 302  # back to the page, which says the limit is reached


def test_no_subaccount_key_without_the_parents_approval(client, db, totp):
    parent = with_2fa(UserFactory())
    sub = create_subaccount(parent=parent, name="desk")
    verified_client(client, parent)
    client.post(
        sub_url(sub, "api-management/keys/new/"),
        {"alias": "x", "key_choice": "hmac-sha256", "code": totp.code(parent)},
    )
    assert not ApiKey.objects.exists()


def test_overview_filters_by_subaccount_and_permission(owner_client, owner, desk):
    other = create_subaccount(parent=owner, name="other")
    ApiKeyFactory(user=desk, alias="reader")
    ApiKeyFactory(user=desk, alias="trader", can_trade=True)
    ApiKeyFactory(user=other, alias="elsewhere", can_trade=True)
    ApiKeyFactory(user=owner, alias="parents-own")

    html = owner_client.get("/subaccounts/keys/").content.decode()
    assert all(a in html for a in ["reader", "trader", "elsewhere"])
    assert "parents-own" not in html
    html = owner_client.get(f"/subaccounts/keys/?subaccount={desk.subaccount.code}").content
    assert b"elsewhere" not in html and b"reader" in html
    html = owner_client.get("/subaccounts/keys/?permission=trade").content
    assert b"reader" not in html and b"trader" in html and b"elsewhere" in html
    assert owner_client.get("/subaccounts/keys/?subaccount=junk").status_code == 200


def test_overview_queries_do_not_grow_with_20_subaccounts_of_10_keys(
    owner_client, owner, settings, django_assert_max_num_queries
):
    def grow(subs, keys_each):
        for _ in range(subs):
            sub = create_subaccount(parent=owner, name=f"s{uuid.uuid4().hex[:8]}")
            for _ in range(keys_each):
                ApiKeyFactory(user=sub)

    grow(1, 1)
    with django_assert_max_num_queries(10) as small:
        owner_client.get("/subaccounts/keys/")
    grow(19, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = owner_client.get("/subaccounts/keys/")
    html = response.content.decode()
    assert html.count('data-testid="overview-row"') == 50
    assert "Page 1 of 4 · 191 keys" in html
    last = owner_client.get("/subaccounts/keys/?page=4").content.decode()
    assert last.count('data-testid="overview-row"') == 41


def test_overview_pages_keep_the_filters(owner_client, owner, desk):
    for n in range(55):
        ApiKeyFactory(user=desk, alias=f"t{n}", can_trade=True)
    html = owner_client.get("/subaccounts/keys/?permission=trade").content.decode()
    assert "subaccount=&amp;permission=trade&amp;page=2" in html


# --- Isolation: every URL, GET and POST, for everyone but the parent -----------------


POST_ONLY = ("/freeze/", "/delete/")
READ_ONLY = 3  # the first three URLs below are pages that only show


def every_url(sub, key):
    base = f"/subaccounts/{sub.subaccount.code}/"
    api = base + "api-management/"
    return [
        base,
        api,
        api + f"keys/{key.code}/",
        base + "freeze/",  # POST only
        base + "delete/",  # POST only
        api + "keys/new/",
        api + "keys/delete-all/",
        api + f"keys/{key.code}/secret/",
        api + f"keys/{key.code}/modify/",
        api + f"keys/{key.code}/delete/",
    ]


@pytest.fixture
def other_parent_client(db):
    parent = with_2fa(UserFactory(username="otherparent"))
    create_subaccount(parent=parent, name="desk")
    ApplicationFactory.approved(user=parent)
    return verified_client(Client(), parent)


@pytest.fixture
def subaccount_itself_client(desk):
    # Sub-accounts can't sign in; even a forged session of one finds nothing.
    return verified_client(Client(), with_2fa(desk))


@pytest.mark.parametrize(
    "who", ["outsider_client", "other_parent_client", "subaccount_itself_client"]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_subaccount_url_is_404_for_anyone_but_the_parent(request, desk, who, method, totp):
    key = ApiKeyFactory(user=desk)
    client = request.getfixturevalue(who)
    for n, url in enumerate(every_url(desk, key)):
        response = getattr(client, method)(url, {"code": "123456"})
        # The wrong method is a 405 for any code, existing or not: it tells nothing.
        post_only = "api-management" not in url and url.endswith(POST_ONLY)
        wrong_method = (method == "get" and post_only) or (method == "post" and n < READ_ONLY)
        expected = 405 if wrong_method else 404
        assert response.status_code == expected, (who, method, url, response.status_code)
    desk.refresh_from_db()
    assert desk.is_active and not desk.is_frozen
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_another_subaccounts_key_under_my_subaccount_url_is_404(owner_client, owner, desk):
    other = create_subaccount(parent=owner, name="other")
    key = ApiKeyFactory(user=other)
    assert owner_client.get(sub_url(desk, f"api-management/keys/{key.code}/")).status_code == 404


def test_the_keys_overview_tells_no_keys_yet_from_no_match(owner_client, owner, desk):
    empty = owner_client.get("/subaccounts/keys/").content.decode()
    assert "No sub-account has an API key yet." in empty
    filtered = owner_client.get("/subaccounts/keys/?permission=withdraw").content.decode()
    assert "No keys match these filters." in filtered
