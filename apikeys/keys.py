"""API key material: formats, encryption at rest, and signature primitives.

Formats (documented in the README and on /api-docs/):

    API key (public):  apk_<32 base62 random chars><6 base62 checksum chars>
    HMAC secret:       aps_<43 base62 random chars><6 base62 checksum chars>

The random part of the API key carries ~190 bits, the secret's ~256 bits, both from
``secrets``. The checksum is CRC32 of prefix + random part, in base62: secret scanners
can recognise a leaked secret by prefix and checksum without false positives, and a
mistyped key is refused before any database lookup.

The server must know an HMAC secret to check signatures, so it stores it encrypted
with MultiFernet (APIKEY_ENCRYPTION_KEYS, newest first: rotation re-encrypts with the
first key and still reads the old ones). Ed25519 keys store the public key only.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import string
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from nacl.bindings import crypto_core_ed25519_is_valid_point

API_KEY_PREFIX = "apk_"
SECRET_PREFIX = "aps_"
_ALPHABET = string.digits + string.ascii_letters
_API_KEY_RANDOM_CHARS = 32
_SECRET_RANDOM_CHARS = 43
_CHECKSUM_CHARS = 6


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(binascii.crc32(body.encode()), _CHECKSUM_CHARS)


def _random_token(prefix: str, length: int) -> str:
    body = prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))
    return body + _checksum(body)


def _well_formed(token: str, prefix: str, length: int) -> bool:
    if not isinstance(token, str) or len(token) != len(prefix) + length + _CHECKSUM_CHARS:
        return False
    if not token.startswith(prefix) or not all(c in _ALPHABET for c in token[len(prefix) :]):
        return False
    body, check = token[:-_CHECKSUM_CHARS], token[-_CHECKSUM_CHARS:]
    return hmac.compare_digest(_checksum(body), check)


def new_api_key() -> str:
    return _random_token(API_KEY_PREFIX, _API_KEY_RANDOM_CHARS)


def new_hmac_secret() -> str:
    return _random_token(SECRET_PREFIX, _SECRET_RANDOM_CHARS)


def is_well_formed_api_key(token: str) -> bool:
    return _well_formed(token, API_KEY_PREFIX, _API_KEY_RANDOM_CHARS)


def is_well_formed_secret(token: str) -> bool:
    return _well_formed(token, SECRET_PREFIX, _SECRET_RANDOM_CHARS)


# What secret scanners look for (apikeys/README.md, "For secret scanners").
SECRET_PATTERN = rf"\b{SECRET_PREFIX}[0-9A-Za-z]{{{_SECRET_RANDOM_CHARS + _CHECKSUM_CHARS}}}\b"


def secret_digest(secret: str) -> str:
    """The index a leaked secret is looked up by (never the secret itself)."""
    return hashlib.sha256(secret.encode()).hexdigest()


# --- Encryption at rest ------------------------------------------------------


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.APIKEY_ENCRYPTION_KEYS))


def encrypt_secret(secret: str) -> str:
    return fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate_encrypted_secret(token: str) -> str:
    """The same secret, encrypted with the newest key."""
    return fernet().rotate(token.encode()).decode()


# --- Ed25519 -------------------------------------------------------------------


def new_ed25519_pair() -> tuple[str, str]:
    """(private key PEM, public key PEM). The private half is shown once, never stored."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private_pem, public_pem_of(private.public_key())


def public_pem_of(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def parse_ed25519_public_key(text: str) -> str:
    """A user-supplied Ed25519 public key (PEM, or 32 raw bytes in base64) as PEM.

    Raises ValueError with a message fit for the form when it is anything else.
    """
    text = (text or "").strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error):
        raise ValueError("This is not an Ed25519 public key (PEM or base64).") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("Only Ed25519 public keys are accepted.")
    if is_weak_ed25519_key(key):
        raise ValueError(
            "This is a weak Ed25519 public key (a small-order point): signatures made "
            "without any private key would pass with it. Paste the public key of a key "
            "pair you generated."
        )
    return public_pem_of(key)


def is_weak_ed25519_key(key: Ed25519PublicKey) -> bool:
    """True for a public key that signatures forged without a private key can pass.

    OpenSSL accepts any encoding of a curve point as a public key, including the eight
    points of small order (the identity AQAAAA…, 32 zero bytes, …): with those,
    R = a small-order point and S = 0 verifies for any message. libsodium's check also
    refuses non-canonical encodings and points outside the prime-order subgroup, which
    no real key pair produces.
    """
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return not crypto_core_ed25519_is_valid_point(raw)


@lru_cache(maxsize=4096)
def _load_public_key(pem: str) -> Ed25519PublicKey | None:
    """The stored key, or None when it is weak: one stored before weak keys were refused
    verifies nothing."""
    key = serialization.load_pem_public_key(pem.encode())
    return None if is_weak_ed25519_key(key) else key


# --- Signatures ----------------------------------------------------------------


def hmac_signature(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def verify_hmac(secret: str, payload: bytes, signature: str) -> bool:
    expected = hmac_signature(secret, payload).encode()
    return hmac.compare_digest(expected, (signature or "").encode("utf-8", "replace"))


def ed25519_signature(private_pem: str, payload: bytes) -> str:
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return base64.b64encode(private.sign(payload)).decode()


def verify_ed25519(public_pem: str, payload: bytes, signature: str) -> bool:
    public_key = _load_public_key(public_pem)
    if public_key is None:
        return False
    try:
        raw = base64.b64decode(signature or "", validate=True)
        public_key.verify(raw, payload)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
