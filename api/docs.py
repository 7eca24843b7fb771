"""Content of the /api-docs/ page: the error codes, and the examples (read from
api/examples/, the same files the tests run against a live server, so the page's
copy-paste code is known to work)."""

import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from api.auth import PAYLOAD_FORMULA, signature_payload
from apikeys.keys import hmac_signature

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
PLACEHOLDER_URL = "https://portal.example"


def error_codes() -> list[tuple[int, str, str, str]]:
    """(status, code, when, what to do), for the docs page's table."""
    return [
        (
            400,
            "invalid_request",
            "A header, parameter or JSON field is malformed, unknown or out of range; "
            'the error\'s "field" names it.',
            'Fix the named field. Amounts are decimal strings such as "0.01".',
        ),
        (
            401,
            "missing_credentials",
            "X-API-KEY, X-API-TIMESTAMP or X-API-SIGNATURE is missing.",
            "Send all three on every request except GET /api/v1/time.",
        ),
        (
            401,
            "invalid_api_key",
            "No key has this API key: mistyped, deleted, or the account is closed.",
            "Copy the API key again from API Management.",
        ),
        (
            401,
            "invalid_signature",
            "The signature does not match the payload the server built.",
            f"Sign {PAYLOAD_FORMULA} exactly as sent (recv_window empty when you send no "
            "such header); use the tool below.",
        ),
        (
            401,
            "timestamp_out_of_window",
            "The timestamp is older than the receive window, or "
            f"{settings.API_MAX_CLOCK_AHEAD_MS} ms or more ahead.",
            "Send milliseconds, sync your clock with GET /api/v1/time, sign just before sending.",
        ),
        (
            401,
            "replayed_request",
            "The same signed request arrived twice.",
            "Sign each request anew; a retry needs a new timestamp.",
        ),
        (
            401,
            "key_expired",
            "The key's expiry passed: the last day chosen for it, or "
            f"{settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS} days for a key without an IP "
            "whitelist.",
            "Extend it on its page in API Management (2FA code), within the same limits.",
        ),
        (
            401,
            "key_disabled",
            "The key was disabled: its secret was reported found in public, or nobody used "
            "it for a long time and its account disables idle keys.",
            "Its page in API Management says why: roll a leaked secret; enable an idle key "
            "with a 2FA code.",
        ),
        (
            403,
            "ip_not_allowed",
            "The request came from an IP address that is not on the key's whitelist.",
            "Add the address to the key's whitelist with Modify (the key's page lists the "
            "addresses it was refused from).",
        ),
        (
            403,
            "permission_denied",
            "The key lacks the permission (Trade, Withdraw), or its account (or a "
            "sub-account's main account) is frozen.",
            "Modify the key in API Management, or use a key that has the permission.",
        ),
        (
            403,
            "address_not_whitelisted",
            "Address Management is on and the address is not in the address book.",
            "Add the address under Security → Address Management.",
        ),
        (
            403,
            "security_lock",
            "A withdrawal within 24 hours of a password reset or change, or of 2FA turned "
            "off (a sub-account: of its main account's). The message gives the time it "
            "lifts; Retry-After, the seconds until then.",
            "Wait until then. If you made no such change, secure your account at once.",
        ),
        (
            404,
            "not_found",
            "No such endpoint, or no order of this account with this id.",
            "Check the path and the id.",
        ),
        (
            405,
            "method_not_allowed",
            "The endpoint does not take this method; the Allow header lists those it does.",
            "Use a method from the Allow header.",
        ),
        (
            429,
            "rate_limited",
            f"More than {settings.APIKEY_RATE_LIMIT_PER_MINUTE} requests a minute with this key, "
            f"or more than {settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP} failed "
            "authentications a minute from this address (IPv6: this /64).",
            "Wait the seconds in Retry-After; watch X-RateLimit-Remaining.",
        ),
        (
            503,
            "service_unavailable",
            "A store the checks need (the cache of the replay guard and rate limits) is "
            "down: the server refuses rather than let a request through unchecked.",
            "Retry after the seconds in Retry-After, with a new timestamp and signature.",
        ),
    ]


@lru_cache(maxsize=8)
def example(name: str, base_url: str = PLACEHOLDER_URL) -> str:
    text = (EXAMPLES_DIR / name).read_text()
    # The files carry linter pragmas for the repository; readers don't need them.
    text = re.sub(r"  # noqa: [A-Z0-9, ]+", "", text)
    return text.replace(PLACEHOLDER_URL, base_url)


def examples(base_url: str) -> dict[str, str]:
    return {
        "curl": example("sign.sh", base_url),
        "stdlib": example("sign_stdlib.py", base_url),
        "requests": example("sign_requests.py", base_url),
    }


# A worked example with a made-up secret, so that an implementation can be checked
# against known output before it ever talks to the server.
EXAMPLE_SECRET = "aps_ExampleOnlyNeverUseThisSecretForAnythingReal0000"
EXAMPLE_API_KEY = "apk_ExampleOnlyNotARealKey00000000003lZeJ3"


def worked_example() -> dict[str, str]:
    parts = {
        "timestamp": "1767225600000",
        "api_key": EXAMPLE_API_KEY,
        "recv_window": "5000",
        "method": "POST",
        "path_with_query": "/api/v1/orders",
        "body": (
            '{"symbol":"BTCUSDT","side":"buy","type":"limit","price":"65000","quantity":"0.01"}'
        ),
    }
    payload = signature_payload(**parts | {"body": parts["body"].encode()})
    return {
        **parts,
        "secret": EXAMPLE_SECRET,
        "path": parts["path_with_query"],
        "payload": payload.decode(),
        "signature": hmac_signature(EXAMPLE_SECRET, payload),
    }
