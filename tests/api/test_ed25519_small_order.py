"""Small-order Ed25519 public keys: a signature made with no private key verifies.

The eight points of order 1, 2, 4 and 8 (the identity `AQAAAA…`, 32 zero bytes, …)
satisfy the verification equation for forged signatures such as R = a small-order
point and S = 0. They are refused when a key is created and refused when one is
already stored.
"""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.urls import reverse

from apikeys import keys
from apikeys.models import ApiKey
from tests.factories import ApiKeyFactory
from tests.helpers import error_code

# The canonical encodings of the eight points of small order (libsodium's blocklist
# and RFC 8032's decoding): y = 1 (identity), y = -1, y = 0 (two signs of x) and the
# four points of order 8.
SMALL_ORDER = {
    "identity": "01" + "00" * 31,
    "order 2": "ec" + "ff" * 30 + "7f",
    "order 4": "00" * 32,
    "order 4, x negative": "00" * 31 + "80",
    "order 8 (a)": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order 8 (a), x negative": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "order 8 (b)": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order 8 (b), x negative": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}
# The same points written with y >= p, which lenient decoders reduce mod p.
NON_CANONICAL = {
    "y = p (order 4)": "ed" + "ff" * 30 + "7f",
    "y = p + 1 (identity)": "ee" + "ff" * 30 + "7f",
}


def pem_of(raw: bytes) -> str:
    return keys.public_pem_of(Ed25519PublicKey.from_public_bytes(raw))


@pytest.mark.parametrize("encoding", [*SMALL_ORDER.values(), *NON_CANONICAL.values()],
                         ids=[*SMALL_ORDER, *NON_CANONICAL])  # fmt: skip
@pytest.mark.parametrize("written_as", ["base64", "pem"])
def test_every_small_order_public_key_is_refused(encoding, written_as):
    raw = bytes.fromhex(encoding)
    text = base64.b64encode(raw).decode() if written_as == "base64" else pem_of(raw)
    with pytest.raises(ValueError, match="small-order"):
        keys.parse_ed25519_public_key(text)


def test_a_real_public_key_is_still_accepted():
    _private, public_pem = keys.new_ed25519_pair()
    assert keys.parse_ed25519_public_key(public_pem) == public_pem


def test_the_create_page_refuses_the_identity_point(owner_client, trader, totp):
    data = {
        "alias": "no-private-key",
        "ip_whitelist": "",
        "key_choice": "ed25519-own",
        "public_key": "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "code": totp.code(trader),
    }
    response = owner_client.post(reverse("apikeys:new"), data)
    assert "small-order" in response.content.decode()
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["identity", "order 4", "order 8 (a)"])
def test_a_small_order_key_already_stored_verifies_nothing(api, name):
    raw = bytes.fromhex(SMALL_ORDER[name])
    key = ApiKeyFactory(ed25519=True)
    ApiKey.objects.filter(pk=key.pk).update(public_key=pem_of(raw))
    # Forgeries made without any private key: R a small-order point, S = 0. With
    # these keys one of them satisfies the verification equation for any message.
    forged = [base64.b64encode(bytes.fromhex(r) + bytes(32)).decode() for r in SMALL_ORDER.values()]
    for signature in forged:
        response = api.get(key, "/api/v1/key", signature=signature)
        assert (response.status_code, error_code(response)) == (401, "invalid_signature")
