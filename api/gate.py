"""The gate's cache work, in as few round trips as the order of its checks allows.

A signed request meets the cache twice on the Redis stack: once before the database,
to read its address's failure budget (``peek_usage``), and once after the signature
(``admit``): the replay guard, the key's rate limit and the usage counters, in one Lua
script. Every other cache (local memory in development and tests) takes the same
decisions through plain cache calls in the same order (``_admit_by_calls``): one
interface, two ways of asking.

The rate-limit windows are django-ratelimit's own (its window arithmetic and key
names), so ``get_usage`` elsewhere (counting a failure, the 404's headers) reads and
writes the very counters the script does.
"""

from dataclasses import dataclass

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
    current = window(group, value, limit)
    if current is None:
        return None
    return current.usage(int(caches["default"].get(current.key, 0)))


# KEYS: the replay slot, the key's rate window ('' when off), the hour's usage counter,
# the key's flush gate, its (key, IP) gate ('' without an address).
# ARGV: the slot's seconds, the window's seconds, the counter's seconds, the gates'
# seconds, 1 to count the request as used, the rate limit.
ADMIT_LUA = """
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then
  local n = 0
  if KEYS[2] ~= '' then n = tonumber(redis.call('GET', KEYS[2]) or '0') end
  return {0, n, 0, 0, 0}
end
local n = 0
if KEYS[2] ~= '' then
  n = redis.call('INCR', KEYS[2])
  if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
  if n > tonumber(ARGV[6]) then return {1, n, 0, 0, 0} end
end
if ARGV[5] ~= '1' then return {1, n, 0, 0, 0} end
if redis.call('INCR', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
local flush = redis.call('SET', KEYS[4], 1, 'NX', 'EX', ARGV[4]) and 1 or 0
local seen = 0
if KEYS[5] ~= '' then seen = redis.call('SET', KEYS[5], 1, 'NX', 'EX', ARGV[4]) and 1 or 0 end
return {1, n, 1, flush, seen}
"""

_scripts: dict[int, object] = {}


def admit(request, *, apikey_pk: int, slot: str, slot_seconds: int, ip: str, count: bool, now):
    """Spend the request's replay slot; if it was free, count it against the key's
    rate limit and, when within the limit and ``count`` (nothing else refuses it),
    in the key's usage figures."""
    rate = window(KEY_RATE_GROUP, str(apikey_pk), settings.APIKEY_RATE_LIMIT_PER_MINUTE)
    counter, flush_gate, ip_gate = usage.usage_keys(apikey_pk, ip, now=now)
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        keys = (counter, flush_gate, ip_gate)
        return _admit_by_calls(request, cache, apikey_pk, slot, slot_seconds, count, keys)
    run = _scripts.get(id(cache))
    if run is None:
        run = _scripts[id(cache)] = cache.script(ADMIT_LUA)
    first, n, counted, flush, seen = run(
        [slot, rate.key if rate else "", counter, flush_gate, ip_gate or ""],
        [
            slot_seconds,
            60 + EXPIRATION_FUDGE,
            usage.COUNTER_TTL_SECONDS,
            usage.FLUSH_INTERVAL_SECONDS,
            1 if count else 0,
            rate.limit if rate else 0,
        ],
    )
    return Admission(
        first_use=bool(first),
        rate=rate.usage(int(n)) if rate else None,
        counted=bool(counted),
        flush_due=bool(flush),
        ip_due=bool(seen),
    )


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
