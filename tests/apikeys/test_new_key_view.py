"""The "Create API" page: who may see it, validation, the 2FA gate, and what it creates."""

from django.urls import reverse
from django.utils import timezone

from apikeys import keys
from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApiKeyFactory, UserFactory
from tests.helpers import form_data, verified_client

NEW = reverse("apikeys:new")


def html_of(response) -> str:
    return response.content.decode()


def test_form_has_the_exchange_fields(owner_client, trader):
    html = html_of(owner_client.get(NEW))
    for words in (
        "Alias Name",
        "Read",
        "Trade",
        "Withdraw",
        "Whitelist IP",
        "Key type",
        "HMAC-SHA256",
        "Ed25519",
        "Google Authenticator code",
        "Create API",
    ):
        assert words in html
    # Read is always on: shown checked and disabled.
    assert '<input type="checkbox" checked disabled' in html


def test_create_redirects_to_the_secret_page_and_stores_the_key(create_key_via_page, trader):
    response = create_key_via_page(alias="grid-bot", can_trade="on", ip_whitelist="203.0.113.7")
    apikey = ApiKey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("apikeys:secret", args=[apikey.code])
    assert (apikey.user, apikey.created_by, apikey.alias) == (trader, trader, "grid-bot")
    assert apikey.permissions == ["read", "trade"]
    assert apikey.ip_whitelist == ["203.0.113.7/32"]


def test_audit_event_records_the_client_ip(create_key_via_page, trader):
    create_key_via_page()
    assert AuditEvent.objects.get().ip == "127.0.0.1"


def test_forwarded_for_header_does_not_change_the_recorded_ip(owner_client, trader, totp):
    owner_client.post(NEW, form_data(code=totp.code(trader)), HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert AuditEvent.objects.get().ip == "127.0.0.1"


def test_wrong_code_changes_nothing_and_keeps_the_input(owner_client, trader):
    response = owner_client.post(
        NEW, form_data(alias="grid-bot", ip_whitelist="203.0.113.7, 198.51.100.0/24", code="000000")
    )
    html = html_of(response)
    assert response.status_code == 200
    assert not ApiKey.objects.exists() and not AuditEvent.objects.exists()
    assert "Invalid or already used code." in html
    assert 'value="grid-bot"' in html and "203.0.113.7, 198.51.100.0/24</textarea>" in html


def test_reused_code_changes_nothing(owner_client, trader, totp):
    code = totp.code(trader)
    assert owner_client.post(NEW, form_data(alias="first", code=code)).status_code == 302
    response = owner_client.post(NEW, form_data(alias="second", code=code))
    assert "This code was just used; wait for the next one." in html_of(response)
    assert list(ApiKey.objects.values_list("alias", flat=True)) == ["first"]


def test_throttled_code_changes_nothing(owner_client, trader, totp):
    owner_client.post(NEW, form_data(code="000000"))
    # The right code, at once: django-otp still holds the device shut after a failure.
    response = owner_client.post(NEW, form_data(code=totp.code(trader, fresh=False)))
    assert "Too many wrong codes" in html_of(response)
    assert not ApiKey.objects.exists()


def test_code_is_not_spent_when_another_field_fails(owner_client, trader, totp):
    code = totp.code(trader)
    response = owner_client.post(NEW, form_data(alias="", code=code))
    assert "This field is required." in html_of(response)
    assert f'value="{code}"' in html_of(response), "the unchecked code is kept for a retry"
    assert owner_client.post(NEW, form_data(alias="bot", code=code)).status_code == 302


def test_bad_whitelist_is_refused_next_to_the_field_with_the_input_kept(owner_client, trader, totp):
    typed = "203.0.113.7\n203.0.113.300"
    response = owner_client.post(NEW, form_data(ip_whitelist=typed, code=totp.code(trader)))
    html = html_of(response)
    assert not ApiKey.objects.exists()
    assert 'id="id_ip_whitelist_error"' in html
    assert "“203.0.113.300” is not an IP address" in html
    assert f">\n{typed}</textarea>" in html or f">{typed}</textarea>" in html


def test_withdraw_without_whitelist_is_refused_with_the_reason(owner_client, trader, totp):
    response = owner_client.post(NEW, form_data(can_withdraw="on", code=totp.code(trader)))
    assert "Withdraw needs an IP whitelist" in html_of(response)
    assert not ApiKey.objects.exists()


def test_alias_is_required_unique_and_at_most_50_characters(owner_client, trader, totp):
    ApiKeyFactory(user=trader, alias="taken")
    for alias, error in [
        ("", "This field is required."),
        ("TAKEN", "already has a key with this alias"),
        ("x" * 51, "at most 50 characters"),
    ]:
        response = owner_client.post(NEW, form_data(alias=alias, code=totp.code(trader)))
        assert error in html_of(response)
    assert trader.apikeys.count() == 1


def test_private_whitelist_is_accepted_with_a_warning(owner_client, trader, totp):
    response = owner_client.post(
        NEW, form_data(ip_whitelist="192.168.1.10", code=totp.code(trader)), follow=True
    )
    assert ApiKey.objects.get().ip_whitelist == ["192.168.1.10/32"]
    assert "192.168.1.10 is a private network" in html_of(response)


def test_generated_ed25519_key(create_key_via_page):
    create_key_via_page(key_choice="ed25519")
    apikey = ApiKey.objects.get()
    assert apikey.key_type == "ed25519" and apikey.public_key and not apikey.secret_encrypted


def test_own_ed25519_public_key(create_key_via_page):
    _private, public_pem = keys.new_ed25519_pair()
    create_key_via_page(key_choice="ed25519-own", public_key=public_pem)
    apikey = ApiKey.objects.get()
    assert apikey.user_supplied_key and apikey.public_key == public_pem


def test_own_key_that_is_not_an_ed25519_public_key_is_refused(owner_client, trader, totp):
    response = owner_client.post(
        NEW, form_data(key_choice="ed25519-own", public_key="hello", code=totp.code(trader))
    )
    assert "not an Ed25519 public key" in html_of(response)
    assert not ApiKey.objects.exists()


def test_at_the_limit_the_form_refuses_before_spending_the_code(owner_client, trader, settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 1
    ApiKeyFactory(user=trader)
    response = owner_client.get(NEW)
    assert response.status_code == 302 and response["Location"] == reverse("apikeys:index")
    response = owner_client.post(NEW, form_data(code="123456"))
    assert response.status_code == 302
    assert trader.apikeys.count() == 1


def test_at_the_limit_the_page_says_the_limit_and_what_to_do_not_yet(
    owner_client, trader, settings
):
    settings.APIKEY_MAX_PER_ACCOUNT = 2
    ApiKeyFactory.create_batch(2, user=trader)
    html = owner_client.get(NEW, follow=True).content.decode()
    assert "This account has 2 of 2 API keys. Delete one to create another." in html
    assert "yet" not in html.split('role="status"')[1].split("</div>")[0]


def test_not_approved_account_cannot_create(owner_client, owner, totp):
    response = owner_client.post(NEW, form_data(code=totp.code(owner)))
    assert response.status_code == 302 and response["Location"] == reverse("apikeys:index")
    assert not ApiKey.objects.exists()


def test_account_without_2fa_is_sent_to_security(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(NEW, form_data(code="123456"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")
    assert not ApiKey.objects.exists()


def test_session_that_skipped_the_2fa_step_is_sent_to_it(client, trader, totp):
    client.force_login(trader)
    response = client.post(NEW, form_data(code=totp.code(trader)))
    assert response["Location"].startswith(reverse("accounts:login_code") + "?next=")
    assert not ApiKey.objects.exists()


def test_get_creates_nothing(owner_client, trader):
    owner_client.get(NEW)
    assert not ApiKey.objects.exists()


def test_form_page_is_not_cached(owner_client, trader):
    assert "no-store" in owner_client.get(NEW)["Cache-Control"]


def test_post_needs_csrf(db, trader, totp):
    from django.test import Client

    client = verified_client(Client(enforce_csrf_checks=True), trader)
    response = client.post(NEW, form_data(code=totp.code(trader)))
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_created_key_without_whitelist_expires(create_key_via_page, settings):
    settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS = 90
    before = timezone.now()
    create_key_via_page()
    delta = ApiKey.objects.get().expires_at - before
    assert 89.99 < delta.total_seconds() / 86400 <= 90.01
