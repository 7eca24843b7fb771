"""Schemathesis against a live server, with the OpenAPI description the server publishes.

Every operation, positive and negative data, for a read key (Ed25519), a trade key and
a withdraw key (whose whitelist holds 127.0.0.1, the live server's view of this
client). Every response must be no 5xx, a documented status, a documented content type
and headers, match the documented schema, and refuse data the description calls
invalid; and every request must pass authentication's signature checks, because the
signing hook below signs the very bytes ``requests`` puts on the wire.

Bounded: a few examples per operation and mode, so the run stays well under a minute
on a busy machine (``pytest tests/api/test_openapi_schemathesis.py``).
"""

import threading
import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Asset
from api import client as reference
from api import openapi
from tests.factories import ApiKeyFactory, BalanceFactory

pytestmark = pytest.mark.usefixtures("assets")

MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Refusals that only a wrongly signed request gets: the hook signs exactly what is sent,
# so any of these is a disagreement between the client's payload and the server's.
SIGNING_REFUSALS = {"invalid_signature", "timestamp_out_of_window", "replayed_request"}

KEYS = {
    "read": {"ed25519": True},  # both kinds of signature
    "trade": {"can_trade": True},
    "withdraw": {"can_withdraw": True, "ip_whitelist": ["127.0.0.1/32"]},
}


def signed_payload(*, timestamp: str, key, method: str, path_with_query: str, body: bytes) -> bytes:
    """The bytes to sign, built only by the reference client (one call to change).

    The auth branch adds api_key and recv_window to the payload; after merging, pass
    ``key.api_key`` (and an empty recv_window) to ``reference.payload`` here.
    """
    return reference.payload(timestamp, key.api_key, "", method, path_with_query, body)


class SignRequest(requests.auth.AuthBase):
    """A requests auth hook: runs on the prepared request, after the body is serialized
    and the URL encoded, so it signs the exact path, query and body bytes that go out.

    (Schemathesis' own auth providers run before serialization and never see them.)
    """

    def __init__(self, key):
        self.key = key
        self._lock = threading.Lock()
        self._last_ms = 0

    def _timestamp(self) -> str:
        # Each request its own millisecond: two identical requests in one would be
        # (rightly) refused as a replay.
        with self._lock:
            self._last_ms = max(time.time_ns() // 1_000_000, self._last_ms + 1)
            return str(self._last_ms)

    def __call__(self, request):
        body = request.body or b""
        if isinstance(body, str):
            # http.client would send a str as Latin-1: send (and sign) UTF-8 bytes.
            body = body.encode()
            request.body = body
            request.headers["Content-Length"] = str(len(body))
        timestamp = self._timestamp()
        payload = signed_payload(
            timestamp=timestamp,
            key=self.key,
            method=request.method,
            path_with_query=request.path_url,
            body=body,
        )
        if self.key.key_type == "ed25519":
            signature = reference.ed25519_signature(self.key.private_pem, payload)
        else:
            signature = reference.hmac_signature(self.key.plain_secret, payload)
        request.headers.update(
            {
                "X-API-KEY": self.key.api_key,
                "X-API-TIMESTAMP": timestamp,
                "X-API-SIGNATURE": signature,
            }
        )
        return request


# One parameter, not three: every generated case goes out once with each key, in one
# test per operation (a third of the database flushes, which dominate on PostgreSQL).
# The parameter also puts the operation into the test id, which pytest 9 otherwise drops.
@pytest.fixture(params=[tuple(KEYS)], ids=["-".join(KEYS)])
def signers(request):
    """A signing hook per key, each shared by every request the key signs."""
    hooks = {}
    for name in request.param:
        key = ApiKeyFactory(**KEYS[name])
        for symbol, amount in (("USDT", "100000"), ("BTC", "5")):
            BalanceFactory(user=key.user, asset=Asset.objects.get(symbol=symbol), amount=amount)
        hooks[name] = SignRequest(key)
    return hooks


def load_schema():
    # The very document /api/v1/openapi.json serves (test_openapi.py checks that).
    # Loaded at import, not from a fixture: Schemathesis' lazy fixture schemas need
    # pytest internals that pytest 9 no longer has.
    schema = schemathesis.openapi.from_dict(openapi.document())
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        with_security_parameters=False,
        no_shrink=True,
    )
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    return schema


schema = load_schema()


def check_the_signature_held(response) -> None:
    if response.status_code == 401:
        code = response.json()["error"]["code"]
        assert code not in SIGNING_REFUSALS, (response.request.path_url, response.text)


def call_and_check(case, signers, live_server):
    for signer in signers.values():
        response = case.call(base_url=live_server.url, auth=signer)
        check_the_signature_held(response)
        case.validate_response(response, checks=CHECKS)


HYPOTHESIS = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_keeps_its_contract(case, signers, live_server):
    call_and_check(case, signers, live_server)
