"""The key rows this process remembers, trusted only while their accounts' stamps hold.

A signed request needs its key, the key's owner and the owner's parent: one query with
two joins, the biggest cost of a request on SQLite. A worker keeps the row of a key it
has served, with the stamps (``core/authstamp.py``) of the owner and of the parent that
it read *before* the row, and uses it again only when the stamps read in the request's
first cache round trip (with the failure budget, before the signature is checked) are
still those. Any write the gate would see bumps a stamp, so a stale row is never used;
a row is also read again after ``MAX_AGE_SECONDS`` whatever the stamps say, so that even
a lost bump (the cache failing between a commit and its stamp write) heals by itself.

A process that has never seen a key doesn't know whose stamps to read; it reads the row,
then creates the missing stamps in the request's second round trip (``SET NX``) and
remembers the row only when it created them all: a stamp that existed already may have
been bumped after the row was read. The next request reads the stamps first.

Views get a copy of the row on every request (``fresh``): a view that changes its
``request.apikey`` or ``request.account`` cannot change what the next request sees.
"""

import time
from dataclasses import dataclass

from django.db.models.base import ModelState

from core.authstamp import new_token, stamp_key

MAX_AGE_SECONDS = 60
MAX_ROWS = 10_000


@dataclass(frozen=True)
class _Row:
    apikey: object
    stamps: tuple
    read_at: float


_rows: dict[str, _Row] = {}
_accounts: dict[str, tuple[int, ...]] = {}  # api_key -> (owner id[, parent id]): never changes


def stamp_keys(api_key: str) -> list[str]:
    """The cache keys of the stamps this process knows ``api_key`` depends on ([]: unknown)."""
    return [stamp_key(pk) for pk in _accounts.get(api_key, ())]


def lookup(api_key: str, stamps: list) -> object | None:
    """A fresh copy of the remembered row of ``api_key`` if ``stamps`` (read just now)
    still vouch for it; None: read it from the database."""
    row = _rows.get(api_key)
    if row is None or not stamps or tuple(stamps) != row.stamps:
        return None
    if time.monotonic() - row.read_at > MAX_AGE_SECONDS:
        return None
    return fresh(row.apikey)


@dataclass
class Pending:
    """A row read before its stamps existed: remembered once the gate's script has
    created every stamp (``made``), since none can then have moved after the read."""

    apikey: object
    tokens: dict

    def confirm(self) -> None:
        _store(self.apikey, tuple(int(t) for t in self.tokens.values()))


def remember(apikey, known: list[str], stamps: list) -> Pending | None:
    """Keep ``apikey`` (just read from the database) for the next requests.

    ``known``/``stamps``: the stamp keys read before the row, and their values. When
    they were all there, the row is kept now; otherwise the answer is a ``Pending``
    whose ``tokens`` the gate creates with ``SET NX``.
    """
    accounts = (apikey.user_id,) + ((apikey.user.parent_id,) if apikey.user.parent_id else ())
    _accounts[apikey.api_key] = accounts
    if known and len(known) == len(accounts) and all(value is not None for value in stamps):
        _store(fresh(apikey), tuple(stamps))
        return None
    return Pending(fresh(apikey), {stamp_key(pk): new_token() for pk in accounts})


def forget_all() -> None:
    _rows.clear()
    _accounts.clear()


def _store(apikey, stamps: tuple) -> None:
    if len(_rows) >= MAX_ROWS:
        _rows.pop(next(iter(_rows)), None)  # the oldest remembered
    _rows.pop(apikey.api_key, None)
    _rows[apikey.api_key] = _Row(apikey, stamps, time.monotonic())


def fresh(apikey):
    """A copy of ``apikey`` with copies of its owner and the owner's parent: what one
    request may change stays in that request."""
    user = apikey.user
    parent = _clone(user.parent) if user.parent_id else None
    owner = _clone(user, parent=parent)
    key = _clone(apikey, user=owner)
    key.ip_whitelist = list(apikey.ip_whitelist)
    return key


def _clone(instance, **related):
    clone = object.__new__(type(instance))
    clone.__dict__.update(instance.__dict__)
    state = clone._state = ModelState()
    state.db, state.adding, state.fields_cache = instance._state.db, False, related
    return clone
