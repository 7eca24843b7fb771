"""Authentication: credentials, the API key and the signature (HMAC-SHA256 and Ed25519)."""

import pytest

from api.client import payload
from apikeys import keys
from tests.factories import ApiKeyFactory, SubaccountFactory, UserFactory
from tests.helpers import error_code, signature_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    return ApiKeyFactory()


@pytest.mark.parametrize("ed25519", [False, True], ids=["hmac", "ed25519"])
def test_correctly_signed_request_is_accepted(api, ed25519):
    key = ApiKeyFactory(ed25519=ed25519)
    response = api.get(key, "/api/v1/key")
    assert response.status_code == 200
    assert response.json()["api_key"] == key.api_key


@pytest.mark.parametrize("header", ["X-API-KEY", "X-API-TIMESTAMP", "X-API-SIGNATURE"])
def test_each_missing_header_is_missing_credentials(api, key, header):
    response = api.get(key, "/api/v1/key", omit=[header])
    assert response.status_code == 401
    assert error_code(response) == "missing_credentials"
    assert header in response.json()["error"]["message"]


def test_no_headers_at_all_is_missing_credentials(api):
    response = api.get(None, "/api/v1/account")
    assert response.status_code == 401
    assert error_code(response) == "missing_credentials"


def test_mistyped_api_key_is_refused_without_a_query(api, key, django_assert_num_queries):
    typo = key.api_key[:-1] + ("A" if key.api_key[-1] != "A" else "B")
    with django_assert_num_queries(0):
        response = api.get(key, "/api/v1/key", headers={"X-API-KEY": typo})
    assert response.status_code == 401
    assert error_code(response) == "invalid_api_key"


def test_well_formed_but_unknown_api_key_is_invalid(api, key):
    response = api.get(key, "/api/v1/key", headers={"X-API-KEY": keys.new_api_key()})
    assert response.status_code == 401
    assert error_code(response) == "invalid_api_key"


def test_key_of_a_deactivated_account_is_invalid(api):
    key = ApiKeyFactory(user=UserFactory(is_active=False))
    assert error_code(api.get(key, "/api/v1/key")) == "invalid_api_key"


def test_key_of_a_sub_account_whose_parent_is_deactivated_is_invalid(api):
    sub = SubaccountFactory(parent=UserFactory(is_active=False))
    key = ApiKeyFactory(user=sub)
    assert error_code(api.get(key, "/api/v1/key")) == "invalid_api_key"


def test_wrong_secret_is_invalid_signature(api, key):
    other = ApiKeyFactory()
    response = api.get(key, "/api/v1/key", signature=signature_for(other, b"anything"))
    assert response.status_code == 401
    assert error_code(response) == "invalid_signature"


def test_uppercase_hex_hmac_is_invalid_signature(api, key, frozen_clock):
    good = signature_for(key, payload(str(frozen_clock.ms), key.api_key, "", "GET", "/api/v1/key"))
    response = api.get(key, "/api/v1/key", timestamp=frozen_clock.ms, signature=good.upper())
    assert error_code(response) == "invalid_signature"


def test_ed25519_signature_by_another_private_key_is_invalid(api):
    key, other = ApiKeyFactory(ed25519=True), ApiKeyFactory(ed25519=True)
    response = api.get(key, "/api/v1/key", signature=signature_for(other, b"x"))
    assert error_code(response) == "invalid_signature"


def test_ed25519_signature_that_is_not_base64_is_invalid(api):
    key = ApiKeyFactory(ed25519=True)
    response = api.get(key, "/api/v1/key", signature="not base64 at all!")
    assert error_code(response) == "invalid_signature"


def _signed_for(api, key, method, path, body, frozen_clock):
    return signature_for(key, payload(str(frozen_clock.ms), key.api_key, "", method, path, body))


def test_signature_covers_the_body(api, frozen_clock):
    key = ApiKeyFactory(can_trade=True)
    body = b'{"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"}'
    signature = _signed_for(api, key, "POST", "/api/v1/orders", body, frozen_clock)
    tampered = body.replace(b'"1"', b'"1000"')
    response = api.post(
        key, "/api/v1/orders", raw_body=tampered, timestamp=frozen_clock.ms, signature=signature
    )
    assert error_code(response) == "invalid_signature"


def test_signature_covers_the_query_string(api, key, frozen_clock):
    signature = _signed_for(api, key, "GET", "/api/v1/orders?symbol=BTCUSDT", b"", frozen_clock)
    response = api.get(
        key, "/api/v1/orders?symbol=ETHUSDT", timestamp=frozen_clock.ms, signature=signature
    )
    assert error_code(response) == "invalid_signature"


def test_signature_covers_the_method(api, frozen_clock):
    key = ApiKeyFactory(can_trade=True)
    signature = _signed_for(api, key, "GET", "/api/v1/orders", b"", frozen_clock)
    response = api.post(key, "/api/v1/orders", timestamp=frozen_clock.ms, signature=signature)
    assert error_code(response) == "invalid_signature"


def test_signed_path_is_the_request_target_as_sent_when_the_server_passes_it(
    api, key, frozen_clock
):
    # gunicorn passes the request line's target untouched (RAW_URI); Django alone would
    # rebuild /api/v1/%6Bey as /api/v1/key. The client signed what it sent.
    sent = "/api/v1/%6Bey"
    signature = signature_for(key, payload(str(frozen_clock.ms), key.api_key, "", "GET", sent))
    response = api.get(
        key, "/api/v1/key", timestamp=frozen_clock.ms, signature=signature, meta={"RAW_URI": sent}
    )
    assert response.status_code == 200


def test_refusals_are_json_with_code_and_message(api):
    response = api.get(None, "/api/v1/account")
    assert response["Content-Type"] == "application/json"
    assert set(response.json()["error"]) == {"code", "message"}
