"""Error tracking with sentry-sdk, when SENTRY_DSN is set.

Sentry's own scrubber removes values under names on its deny list (password, secret,
token, cookies, ...) from request data, headers and stack-frame variables; ours adds
the names this product uses for API secrets, signatures, private keys and 2FA codes.
No personal data is sent (send_default_pii off): no cookies, no user, no IP.
"""

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

PORTAL_DENYLIST = [
    "code",  # the 2FA code on every confirming form
    "otp_token",
    "backup_code",
    "plain_secret",
    "private_pem",
    "public_key",
    "key_material",
    "encrypted_secret",
    "signature",
    "x_api_signature",
    "x-api-signature",
    "http_x_api_signature",
    "x_api_key",
    "x-api-key",
    "http_x_api_key",
    "api_key",
    "pem",
    "totp",
    "bin_key",
    "key",
]


def init_sentry(dsn: str, *, environment: str, **options) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        event_scrubber=EventScrubber(denylist=DEFAULT_DENYLIST + PORTAL_DENYLIST, recursive=True),
        # Request bodies are forms holding codes and secrets: never send them.
        max_request_body_size="never",
        traces_sample_rate=0.0,
        **options,
    )
