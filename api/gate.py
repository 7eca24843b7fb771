"""The gate's cache work, in as few round trips as the order of its checks allows.

A signed request meets the cache twice on the Redis stack: once before the database,
to read its address's failure budget with the key's account stamps (``peek``, one
MGET), and once after the signature (``admit``): the replay guard, the key's rate limit
and the usage counters, in one Lua script, which also creates the stamps a worker
seeing the key for the first time found missing (api/keyrow.py). Every other cache
(local memory in development and tests) takes the same decisions through plain cache
calls in the same order (``_admit_by_calls``): one interface, two ways of asking.

The rate-limit windows are django-ratelimit's own (its window arithmetic and key
names), so ``get_usage`` elsewhere (counting a failure, the 404's headers) reads and
writes the very counters the script does.
"""

from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import caches
from django_ratelimit import ALL
from django_ratelimit import core as ratelimit
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, get_usage

from apikeys import usage
from core.cache import RedisCache

KEY_RATE_GROUP = "api-key"
FAILURE_GROUP = "api-auth-failures"


@dataclass(frozen=True)
class Admission:
    """What the cache said about a request whose signature checked out."""

    first_use: bool  # False: a replay; nothing else was counted
    rate: dict | None  # the key's budget, shaped as get_usage's (None: limits disabled)
    counted: bool  # the request went into the usage counters
    flush_due: bool = False  # the key's once-a-minute usage write is due
    ip_due: bool = False  # the (key, IP) once-a-minute write is due
    stamps_made: bool = False  # every stamp asked for was missing and is now made


@dataclass(frozen=True)
class Window:
    key: str
    limit: int
    ends: int

    def usage(self, count: int) -> dict:
        # Shaped as django_ratelimit.core.get_usage's answer, on the clock its windows read.
        return {
            "count": count,
            "limit": self.limit,
            "should_limit": count > self.limit,
            "time_left": self.ends - int(ratelimit.time.time()),
        }


def window(group: str, value: str, limit: int, period: int = 60) -> Window | None:
    """django-ratelimit's current window for ``value`` in ``group``; None when off."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    ends = _get_window(value, period)
    return Window(_make_cache_key(group, ends, (limit, period), value, ALL), limit, ends)


def peek_usage(group: str, value: str, limit: int) -> dict | None:
    """The count so far in ``value``'s window, in one cache read (get_usage's
    ``increment=False`` answer, which costs it two)."""
    return peek(group, value, limit)[0]


def peek(group: str, value: str, limit: int, also: list[str] = ()) -> tuple[dict | None, list]:
    """``peek_usage``'s answer and the values of the cache keys ``also`` (None: absent),
    in one round trip (MGET): the first of a signed request, before the database, which
    reads the key's account stamps (core/authstamp.py) with the failure budget."""
    current = window(group, value, limit)
    names = ([current.key] if current else []) + list(also)
    found = caches["default"].get_many(names) if names else {}
    usage = current.usage(int(found.get(current.key, 0))) if current else None
    return usage, [found.get(name) for name in also]


# KEYS: the replay slot, the key's rate window ('' when off), the hour's usage counter,
# the key's flush gate, its (key, IP) gate ('' without an address), then any account
# stamps to create (core/authstamp.py).
# ARGV: the slot's seconds, the window's seconds, the counter's seconds, the gates'
# seconds, 1 to count the request as used, the rate limit, then each stamp's value.
# The last value answered is how many stamps were created (SET NX).
ADMIT_LUA = """
local made = 0
for i = 6, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[i + 1], 'NX') then made = made + 1 end
end
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then
  local n = 0
  if KEYS[2] ~= '' then n = tonumber(redis.call('GET', KEYS[2]) or '0') end
  return {0, n, 0, 0, 0, made}
end
local n = 0
if KEYS[2] ~= '' then
  n = redis.call('INCR', KEYS[2])
  if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
  if n > tonumber(ARGV[6]) then return {1, n, 0, 0, 0, made} end
end
if ARGV[5] ~= '1' then return {1, n, 0, 0, 0, made} end
if redis.call('INCR', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
local flush = redis.call('SET', KEYS[4], 1, 'NX', 'EX', ARGV[4]) and 1 or 0
local seen = 0
if KEYS[5] ~= '' then seen = redis.call('SET', KEYS[5], 1, 'NX', 'EX', ARGV[4]) and 1 or 0 end
return {1, n, 1, flush, seen, made}
"""

_scripts: dict[int, object] = {}


def admit(
    request,
    *,
    apikey_pk: int,
    slot: str,
    slot_seconds: int,
    ip: str,
    count: bool,
    now,
    make_stamps: dict | None = None,
):
    """Spend the request's replay slot; if it was free, count it against the key's
    rate limit and, when within the limit and ``count`` (nothing else refuses it),
    in the key's usage figures. ``make_stamps`` (cache key -> value): stamps to create
    where missing; ``stamps_made`` says whether every one was."""
    make_stamps = make_stamps or {}
    rate = window(KEY_RATE_GROUP, str(apikey_pk), settings.APIKEY_RATE_LIMIT_PER_MINUTE)
    counter, flush_gate, ip_gate = usage.usage_keys(apikey_pk, ip, now=now)
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        keys = (counter, flush_gate, ip_gate)
        made = sum(cache.add(name, value, None) for name, value in make_stamps.items())
        admission = _admit_by_calls(request, cache, apikey_pk, slot, slot_seconds, count, keys)
        return _with_stamps(admission, make_stamps, made)
    run = _scripts.get(id(cache))
    if run is None:
        run = _scripts[id(cache)] = cache.script(ADMIT_LUA)
    first, n, counted, flush, seen, made = run(
        [slot, rate.key if rate else "", counter, flush_gate, ip_gate or "", *make_stamps],
        [
            slot_seconds,
            60 + EXPIRATION_FUDGE,
            usage.COUNTER_TTL_SECONDS,
            usage.FLUSH_INTERVAL_SECONDS,
            1 if count else 0,
            rate.limit if rate else 0,
            *make_stamps.values(),
        ],
    )
    admission = Admission(
        first_use=bool(first),
        rate=rate.usage(int(n)) if rate else None,
        counted=bool(counted),
        flush_due=bool(flush),
        ip_due=bool(seen),
    )
    return _with_stamps(admission, make_stamps, made)


def _with_stamps(admission: Admission, make_stamps: dict, made: int) -> Admission:
    if not make_stamps or made != len(make_stamps):
        return admission
    return replace(admission, stamps_made=True)


def _admit_by_calls(request, cache, apikey_pk, slot, slot_seconds, count, keys):
    def key_usage(increment):
        return get_usage(
            request,
            group=KEY_RATE_GROUP,
            key=lambda _group, _request: str(apikey_pk),
            rate=(settings.APIKEY_RATE_LIMIT_PER_MINUTE, 60),
            increment=increment,
        )

    if not cache.add(slot, 1, slot_seconds):
        return Admission(first_use=False, rate=key_usage(False), counted=False)
    used = key_usage(True)
    if (used is not None and used["should_limit"]) or not count:
        return Admission(first_use=True, rate=used, counted=False)
    counter, flush_gate, ip_gate = keys
    usage.increment(counter)
    flush_due = cache.add(flush_gate, 1, usage.FLUSH_INTERVAL_SECONDS)
    ip_due = bool(ip_gate) and cache.add(ip_gate, 1, usage.FLUSH_INTERVAL_SECONDS)
    return Admission(True, used, True, flush_due, ip_due)
