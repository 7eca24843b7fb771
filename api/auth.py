"""Signed API requests: the one place that turns a request into (key, account) or an error.

The scheme (ARCHITECTURE.md, "A signed request, from URL to view")::

    X-API-KEY, X-API-TIMESTAMP (Unix ms), X-API-RECV-WINDOW (optional), X-API-SIGNATURE
    payload = timestamp + api_key + recv_window + METHOD + path_with_query + body
              (recv_window: the header as sent, empty when absent)
    HMAC-SHA256: lowercase hex;  Ed25519: base64

Checks run cheapest first, and nothing that needs the database runs before the request
has passed every check that doesn't: a malformed key (bad checksum) or a stale timestamp
never costs a query. A key this process served recently costs none (api/keyrow.py: its
row, trusted while the account stamps read with the failure budget hold); otherwise one
(the key, its account and the account's parent, joined). Usage bookkeeping writes at
most once a minute per key.
No password hasher anywhere: those cost ~100 ms by design, a signature ~10 µs.

The API's views declare what they need with ``@api_key_required("read" | "trade" |
"withdraw")`` and never check a key themselves.
"""

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.utils import timezone
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from apikeys import keys
from apikeys.models import ApiKey, AuditEvent
from apikeys.usage import after_counted
from core.net import client_ip
from reviews.services import frozen_refusal

from . import gate, keyrow
from .errors import ApiError, invalid_request, service_unavailable

HEADER_API_KEY = "X-API-KEY"
HEADER_TIMESTAMP = "X-API-TIMESTAMP"
HEADER_RECV_WINDOW = "X-API-RECV-WINDOW"
HEADER_SIGNATURE = "X-API-SIGNATURE"

# Refusals of a known key that become audit events (at most one per key, code and
# interval, so that a flood of bad requests cannot fill the database).
AUDITED_REFUSALS = {
    "invalid_signature",
    "replayed_request",
    "key_expired",
    "key_disabled",
    "ip_not_allowed",
    "permission_denied",
    "rate_limited",
}
AUDIT_REFUSAL_INTERVAL_SECONDS = 60

logger = logging.getLogger(__name__)


def now_ms() -> int:
    """Server time in Unix milliseconds. Tests patch this to stand on a window's edge."""
    return time.time_ns() // 1_000_000


@dataclass
class Authenticated:
    """A request that passed every check: who sent it and with which key."""

    apikey: ApiKey
    account: object
    ip: str
    rate_headers: dict = field(default_factory=dict)
    admission: gate.Admission | None = None


# --- The payload ---------------------------------------------------------------------


PAYLOAD_FORMULA = "timestamp + api_key + recv_window + METHOD + path_with_query + body"


def signature_payload(
    *,
    timestamp: str,
    api_key: str,
    recv_window: str,
    method: str,
    path_with_query: str,
    body: bytes,
) -> bytes:
    """The exact bytes a client signs: PAYLOAD_FORMULA, UTF-8, no separators.

    ``recv_window`` is the X-API-RECV-WINDOW header exactly as sent, "" when there is
    none. The key and the window are signed so that neither can be swapped on a
    captured request. Authentication and the docs' "Test a signature" tool both build
    the payload here; api/client.py (which stands alone) has its twin.
    """
    return f"{timestamp}{api_key}{recv_window}{method}{path_with_query}".encode() + body


def request_path(request) -> str:
    """The path and query string as the client sent them in the request line.

    gunicorn (RAW_URI), uWSGI (REQUEST_URI) and, through api/devserver.py, Django's
    runserver (RAW_URI) pass the request line's target through untouched. Elsewhere
    (the test client, live-server tests) Django's rebuilt path is the same for every
    path without needless percent-escapes.
    """
    for name in ("RAW_URI", "REQUEST_URI"):
        raw = request.META.get(name)
        if isinstance(raw, str) and raw.startswith("/"):
            return raw
    return request.get_full_path()


def verify_signature(apikey: ApiKey, payload: bytes, signature: str) -> bool:
    # The current material, or the one before a roll while its grace period lasts. The
    # replay guard keys on the payload, not the secret: a request accepted under one
    # secret is a replay under the other.
    return apikey.verifies(payload, signature)


# --- Authentication ------------------------------------------------------------------


def authenticate(request, permission: str) -> Authenticated:
    """The key and account behind ``request``, or ApiError with the design's code.

    Every answer carries X-RateLimit-Limit and X-RateLimit-Remaining: once the signature
    checks out, the key's budget; before that, the failed-authentication budget of the
    client's address, the only limit such a request meets.
    """
    ip = client_ip(request)
    try:
        return _authenticate(request, permission, ip)
    except ApiError as refusal:
        if "X-RateLimit-Limit" not in refusal.headers:
            usage = _failure_usage(request, ip, increment=False)
            refusal.headers = {**_rate_headers(usage), **refusal.headers}
        raise


def _authenticate(request, permission: str, ip: str) -> Authenticated:
    api_key = _header(request, HEADER_API_KEY)
    timestamp = _header(request, HEADER_TIMESTAMP)
    signature = _header(request, HEADER_SIGNATURE)
    missing = [
        name
        for name, value in (
            (HEADER_API_KEY, api_key),
            (HEADER_TIMESTAMP, timestamp),
            (HEADER_SIGNATURE, signature),
        )
        if not value
    ]
    if missing:
        raise ApiError(401, "missing_credentials", f"Missing header(s): {', '.join(missing)}.")
    recv_window_sent = (
        _header(request, HEADER_RECV_WINDOW) if HEADER_RECV_WINDOW in request.headers else None
    )
    recv_window = recv_window_ms(recv_window_sent)
    ts = parse_timestamp(timestamp)
    if not keys.is_well_formed_api_key(api_key):
        # The checksum catches typos and made-up keys without touching the database.
        raise ApiError(401, "invalid_api_key", "This API key does not exist.")
    server_ms = now_ms()
    _check_window(ts, recv_window, server_ms)
    body = _body(request)
    known = keyrow.stamp_keys(api_key)
    stamps = check_failure_budget(request, ip, stamp_keys=known)
    apikey, pending = keyrow.lookup(api_key, stamps), None
    if apikey is None:
        apikey, pending = _read_key(api_key, known, stamps)
    account = apikey.user if apikey else None
    owner_refused = owner_refusal(account) if apikey else None
    if apikey is None or (owner_refused and owner_refused.code == "invalid_api_key"):
        raise ApiError(
            401,
            "invalid_api_key",
            "This API key does not exist.",
            headers=count_failure(request, ip),
        )

    payload = signature_payload(
        timestamp=timestamp,
        api_key=api_key,
        recv_window=recv_window_sent or "",
        method=request.method,
        path_with_query=request_path(request),
        body=body,
    )
    try:
        if not verify_signature(apikey, payload, signature):
            raise ApiError(
                401,
                "invalid_signature",
                f"The signature does not match. Sign {PAYLOAD_FORMULA}, with no separators: "
                "api_key as in X-API-KEY, recv_window exactly as in X-API-RECV-WINDOW (empty "
                "when you send no such header), path and body exactly as sent. The API docs "
                "have a tool to test a signature.",
                headers=count_failure(request, ip),
            )
        # Decided before the cache is asked, so that one round trip (api/gate.py) can
        # count an accepted request in the usage figures; refused in the order below.
        refused = _key_state_refusal(apikey, server_ms, ip, permission)
        # Only after the signature: nobody but the key holder can spend a replay slot.
        slot, slot_seconds = _replay_slot(apikey, payload, ts, recv_window, server_ms)
        admission = gate.admit(
            request,
            apikey_pk=apikey.pk,
            slot=slot,
            slot_seconds=slot_seconds,
            ip=ip,
            count=refused is None,
            now=timezone.now(),
            make_stamps=pending.tokens if pending else None,
        )
        if pending and admission.stamps_made:
            pending.confirm()
        if not admission.first_use:
            # A replay spends the address's failure budget, not the key's own limit: a
            # captured request resent in a loop must not lock the key's owner out.
            count_failure(request, ip)
            raise ApiError(
                401,
                "replayed_request",
                "This exact request was already received; sign it anew.",
                headers=_rate_headers(admission.rate),
            )
        rate_headers = _check_rate_limit(admission.rate)
        if refused is not None:
            refused.headers = {**rate_headers, **refused.headers}
            raise refused
    except ApiError as refusal:
        _audit_refusal(apikey, refusal, request, ip)
        raise
    return Authenticated(
        apikey=apikey, account=account, ip=ip, rate_headers=rate_headers, admission=admission
    )


def _read_key(api_key: str, known: list[str], stamps: list):
    """The key, its owner and the owner's parent from the database (one query), kept
    for the next requests of this process (api/keyrow.py); (None, None): no such key."""
    # get(), not first(): first() orders by the model's ordering, which costs a sort and
    # its compilation on every request for a column that is unique anyway.
    try:
        apikey = ApiKey.objects.select_related("user", "user__parent").get(api_key=api_key)
    except ApiKey.DoesNotExist:
        return None, None
    return apikey, keyrow.remember(apikey, known, stamps)


@dataclass(frozen=True)
class FailureBudget:
    """Failures one client address may have a minute at one door, before it is refused
    (429) until the minute is over: ``group`` names its counters, ``setting`` its limit."""

    group: str
    setting: str
    what: str

    @property
    def limit(self) -> int:
        return getattr(settings, self.setting)


# The signed API's gate; the secret-scanning partners' door (POST /api/v1/leaks).
SIGNED_REQUESTS = FailureBudget(
    gate.FAILURE_GROUP, "API_AUTH_FAILURES_PER_MINUTE_PER_IP", "failed authentications"
)
LEAK_REPORTS = FailureBudget(
    "leak-report-failures", "LEAK_REPORT_FAILURES_PER_MINUTE_PER_IP", "unsigned leak reports"
)


def check_failure_budget(
    request, ip: str, budget: FailureBudget = SIGNED_REQUESTS, *, stamp_keys: list[str] = ()
) -> list:
    """Refuse, before any database work, an address that keeps failing to authenticate;
    the values of ``stamp_keys`` (the key's account stamps), read in the same round trip.

    API keys are public: without this, anyone could make us look up a key and check a
    signature (a query and a decryption) as fast as they can send requests. Only
    failures count, per client address (IPv6: per /64), so a flood can't lock a bot out
    elsewhere; bots behind the same address share the budget, as the docs say.
    """
    usage, stamps = gate.peek(budget.group, address_group(ip), budget.limit, stamp_keys)
    if usage is None or usage["count"] < usage["limit"]:
        return stamps
    headers = _rate_headers(usage)
    headers["Retry-After"] = str(_retry_after(usage))
    raise ApiError(
        429,
        "rate_limited",
        f"Too many {budget.what} from this address; retry after {headers['Retry-After']} s.",
        headers=headers,
    )


def address_rate_headers(request) -> dict:
    """The failure budget of the request's address, as X-RateLimit-* headers: the one
    limit an answer that authenticates nothing (a 404, a 405) can speak of."""
    return _rate_headers(_failure_usage(request, client_ip(request), increment=False))


def count_failure(request, ip: str, budget: FailureBudget = SIGNED_REQUESTS) -> dict:
    """Count a failed authentication against the address; its budget's headers."""
    return _rate_headers(_failure_usage(request, ip, increment=True, budget=budget))


def _failure_usage(
    request, ip: str, *, increment: bool, budget: FailureBudget = SIGNED_REQUESTS
) -> dict | None:
    if not increment:
        return gate.peek_usage(budget.group, address_group(ip), budget.limit)
    return get_usage(
        request,
        group=budget.group,
        key=lambda _group, _request: address_group(ip),
        rate=(budget.limit, 60),
        increment=increment,
    )


def address_group(ip: str) -> str:
    """The client address as the failure budget counts it: IPv4 per address, IPv6 per /64.

    A /64 is what one subscriber gets (often a single device): counted per address, a
    client could step through its 2**64 addresses and never run out of failures.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))


def _rate_headers(usage: dict | None) -> dict:
    if usage is None:  # RATELIMIT_ENABLE = False
        return {}
    return {
        "X-RateLimit-Limit": str(usage["limit"]),
        "X-RateLimit-Remaining": str(max(0, usage["limit"] - usage["count"])),
    }


def _retry_after(usage: dict) -> int:
    # django-ratelimit's window still holds during the second it names as its end
    # (time_left 0); the count starts afresh the second after.
    return max(1, usage["time_left"] + 1)


def _header(request, name: str) -> str:
    value = request.headers.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def recv_window_ms(sent: str | None) -> int:
    """The receive window of an X-API-RECV-WINDOW header as sent; None: no header.

    An empty header is malformed like any other, not a request for the default: the
    header's text is signed, and "no header" and "empty header" must not be two
    spellings of one request.
    """
    if sent is None:
        return settings.API_DEFAULT_RECV_WINDOW_MS
    maximum = settings.API_MAX_RECV_WINDOW_MS
    if not (sent.isascii() and sent.isdigit() and len(sent) <= 6) or not 0 < int(sent) <= maximum:
        raise invalid_request(
            HEADER_RECV_WINDOW,
            f"must be a whole number of milliseconds from 1 to {maximum} (leave the header "
            "out for the default).",
        )
    return int(sent)


# The timestamp and window rules, asked by authentication and by the docs' "Test a
# signature" tool (api/services.py), so that the tool explains only what the server applies.


def parse_timestamp(raw: str) -> int:
    """X-API-TIMESTAMP as sent: Unix milliseconds, digits only; ApiError otherwise."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 16):
        raise invalid_request(HEADER_TIMESTAMP, "must be Unix time in milliseconds (digits only).")
    return int(raw)


def in_window(ts: int, recv_window: int, server_ms: int) -> bool:
    """Whether a request stamped ``ts`` is accepted at ``server_ms``."""
    return server_ms - recv_window <= ts < server_ms + settings.API_MAX_CLOCK_AHEAD_MS


def looks_like_seconds(ts: int) -> bool:
    return ts < 10**11


def _check_window(ts: int, recv_window: int, server_ms: int) -> None:
    ahead = settings.API_MAX_CLOCK_AHEAD_MS
    if in_window(ts, recv_window, server_ms):
        return
    if ts < server_ms - recv_window:
        message = (
            f"Timestamp is {server_ms - ts} ms behind server time; the receive window is "
            f"{recv_window} ms."
        )
        if looks_like_seconds(ts):
            message += " It looks like seconds: send milliseconds."
    else:
        message = (
            f"Timestamp is {ts - server_ms} ms ahead of server time; at most {ahead - 1} ms "
            "ahead is accepted."
        )
    raise ApiError(
        401, "timestamp_out_of_window", message + " Sync your clock with GET /api/v1/time."
    )


def _body(request) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise invalid_request("body", "is too large.") from None


def owner_refusal(account) -> ApiError | None:
    """Why the keys of ``account`` do not work now, or None when they do.

    A key works only while its account and, for a sub-account, the main account above
    it are both active and not frozen: freezing a main account stops every key under
    it. Authentication asks this; a withdrawal asks again under its lock, since a
    freeze may commit in between. A deactivated account's keys do not exist (as if
    deleted); a frozen account's keys exist but may do nothing.
    """
    parent = account.parent
    if not account.is_active or (parent is not None and not parent.is_active):
        return ApiError(401, "invalid_api_key", "This API key does not exist.")
    if frozen := frozen_refusal(account):
        return ApiError(403, "permission_denied", frozen)
    return None


def _check_key_state(apikey, server_ms: int, ip: str) -> None:
    if apikey.disabled_at is not None:
        raise ApiError(
            401, "key_disabled", "This API key is disabled; its page in API Management says why."
        )
    if apikey.is_expired(now=datetime.fromtimestamp(server_ms / 1000, tz=UTC)):
        raise ApiError(
            401, "key_expired", "This API key has expired; create a new one (or add a whitelist)."
        )
    if refused := owner_refusal(apikey.user):
        raise refused
    if not apikey.allows_ip(ip):
        raise ApiError(
            403, "ip_not_allowed", f"Requests from {ip or 'this address'} are not whitelisted."
        )


def _replay_slot(apikey, payload: bytes, ts: int, recv_window: int, server_ms: int):
    """The cache key that remembers this request, and for how many seconds: until its
    own window has closed.

    The window is signed: a captured request resent with a wider one no longer
    verifies, so these exact bytes are accepted only while server time <= ts +
    recv_window (their own window), and need remembering until then and no longer
    (not until ts + the largest window, as when the window was outside the signature).
    A second of slack covers the cache's whole-second expiry. The payload (not the
    signature text) is the key, so a re-encoded signature is the same request.
    """
    seconds = math.ceil((ts + recv_window - server_ms) / 1000) + 1
    digest = hashlib.sha256(payload).hexdigest()
    return f"api:seen:{apikey.pk}:{digest}", max(1, seconds)


def _key_state_refusal(apikey, server_ms: int, ip: str, permission: str) -> ApiError | None:
    try:
        _check_key_state(apikey, server_ms, ip)
        _check_permission(apikey, permission)
    except ApiError as refusal:
        return refusal
    return None


def _check_rate_limit(usage: dict | None) -> dict:
    headers = _rate_headers(usage)
    if usage is not None and usage["should_limit"]:
        headers["Retry-After"] = str(_retry_after(usage))
        raise ApiError(
            429,
            "rate_limited",
            f"Rate limit of {usage['limit']} requests per minute reached; retry after "
            f"{headers['Retry-After']} s.",
            headers=headers,
        )
    return headers


def _check_permission(apikey, permission: str) -> None:
    if not apikey.has_permission(permission):
        raise ApiError(
            403,
            "permission_denied",
            f"This API key lacks the {permission.capitalize()} permission.",
        )
    if permission == "withdraw" and not apikey.ip_whitelist:
        # The portal refuses Withdraw without a whitelist; this holds even if a key
        # got into that state some other way.
        raise ApiError(403, "permission_denied", "Withdrawals need an IP whitelist on the key.")


def _audit_refusal(apikey, refusal: ApiError, request, ip: str) -> None:
    if refusal.code not in AUDITED_REFUSALS:
        return
    gate = f"api:refusal:{apikey.pk}:{refusal.code}"
    if not cache.add(gate, 1, AUDIT_REFUSAL_INTERVAL_SECONDS):
        return
    AuditEvent.record(
        AuditEvent.Action.AUTH_FAILED,
        owner=apikey.user,
        apikey=apikey,
        changes={
            "code": refusal.code,
            "message": refusal.message,
            "method": request.method[:10],
            "path": request_path(request)[:200],
        },
        ip=ip,
    )


# --- The view decorator --------------------------------------------------------------


def api_key_required(permission: str):
    """Let the view run only for a request signed with a key that has ``permission``.

    The view finds ``request.apikey`` and ``request.account`` (the key's owner: an
    account or a sub-account). Every response carries the key's rate-limit headers.
    """
    if permission not in ("read", "trade", "withdraw"):
        raise ValueError(f"Unknown permission {permission!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return _authenticated_view(view, permission, request, *args, **kwargs)
            except RedisError:
                # The replay guard, the rate limits and the failure budget live in the
                # cache: without it, refuse rather than let a request through unguarded.
                logger.exception("Signed API: the cache is unavailable")
                return service_unavailable()

        return wrapper

    return decorator


def _authenticated_view(view, permission, request, *args, **kwargs):
    try:
        auth = authenticate(request, permission)
    except ApiError as refusal:
        return refusal.response()
    if auth.admission.counted:
        after_counted(
            auth.apikey.pk,
            auth.ip,
            now=timezone.now(),
            flush_due=auth.admission.flush_due,
            ip_due=auth.admission.ip_due,
        )
    request.apikey, request.account = auth.apikey, auth.account
    try:
        response = view(request, *args, **kwargs)
    except ApiError as refusal:
        response = refusal.response()
    for name, value in auth.rate_headers.items():
        response.setdefault(name, value)
    response["Cache-Control"] = "no-store"
    return response
