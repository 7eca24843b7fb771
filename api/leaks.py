"""Leak reports from a secret-scanning partner (POST /api/v1/leaks), in GitHub's format.

The scanner POSTs a JSON array of ``{"token", "type", "url", "source"}`` and signs the
raw body with ECDSA P-256 / SHA-256: ``GITHUB-PUBLIC-KEY-IDENTIFIER`` names its key,
``GITHUB-PUBLIC-KEY-SIGNATURE`` is the DER signature in base64. The public keys are the
operator's setting (``SECRET_SCANNING_PUBLIC_KEYS``, PEM by identifier); the portal
never fetches them. Only a report that is signed, within size and well formed is read;
anything else changes nothing. The answer labels each token: ``true_positive`` (one of
our secrets: its key is disabled) or ``false_positive``.
"""

import base64
import binascii
import json
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from .errors import invalid_request
from .validation import refuse_unstorable_text

HEADER_KEY_ID = "GITHUB-PUBLIC-KEY-IDENTIFIER"
HEADER_SIGNATURE = "GITHUB-PUBLIC-KEY-SIGNATURE"
# A scanner batches its findings; far more than one report holds, far less than a DoS.
MAX_REPORT_BYTES = 256 * 1024
MAX_TOKENS = 1000
FIELD_MAX_CHARS = 2000


@lru_cache(maxsize=16)
def _public_key(pem: str) -> ec.EllipticCurvePublicKey | None:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        return None
    return key


def report_body(request) -> bytes:
    """The raw body, refused before it is read when it is larger than a report can be."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_REPORT_BYTES:
        raise invalid_request("body", "is too large.")
    try:
        body = request.body
    except RequestDataTooBig:
        raise invalid_request("body", "is too large.") from None
    if len(body) > MAX_REPORT_BYTES:
        raise invalid_request("body", "is too large.")
    return body


def is_signed(body: bytes, key_id: str, signature: str) -> bool:
    """Whether ``body`` carries a valid signature of the partner key ``key_id``."""
    pem = settings.SECRET_SCANNING_PUBLIC_KEYS.get(key_id)
    key = _public_key(pem) if isinstance(pem, str) else None
    if key is None:
        return False
    try:
        key.verify(base64.b64decode(signature, validate=True), body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def parse_report(body: bytes) -> list[dict]:
    """The report's items, each with text ``token``, ``type``, ``url``, ``source``."""
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise invalid_request("body", "is not JSON.") from None
    refuse_unstorable_text(items)
    if not isinstance(items, list) or not 0 < len(items) <= MAX_TOKENS:
        raise invalid_request("body", f"must be a JSON array of 1 to {MAX_TOKENS} findings.")
    report = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            raise invalid_request("token", "every finding needs a token (a string).")
        finding = {}
        for name in ("token", "type", "url", "source"):
            value = item.get(name, "")
            if not isinstance(value, str) or len(value) > FIELD_MAX_CHARS:
                raise invalid_request(name, f"must be a string of at most {FIELD_MAX_CHARS}.")
            finding[name] = value
        report.append(finding)
    return report
