"""The version stamp of what signed-request authentication decides, per account.

The API gate keeps a key's row (the key, its owner, the owner's parent) in each
process (``api/keyrow.py``) and trusts it only while the stamps of the owner and its
parent in the shared cache are the ones it read before the row. Every write that can
change what the gate decides (a key's material, permissions, whitelist, expiry or
disabling; an account's activity, freeze, parent or security lock) calls ``bump``
for the account whose keys it affects: the model methods (``ApiKey.save``/``delete``,
``User.save``/``delete``) and the services that write with ``QuerySet.update`` do, and
``tests/test_auth_stamps.py`` fails for a write that skips it.

A stamp is a random number, not a counter: a stamp evicted and made again can never
come back to a value a process still holds (no ABA). ``bump`` writes twice: at once,
so that a cache outage fails the write (its transaction rolls back) instead of leaving
workers on an old row, and after the commit, so that a row read between the first
write and the commit is not trusted either.
"""

import secrets

from django.core.cache import cache
from django.db import transaction

PREFIX = "authstamp:"


def stamp_key(account_id: int) -> str:
    return f"{PREFIX}{account_id}"


def new_token() -> int:
    # An integer: Django's Redis cache stores it as digits, unpickled, so a Lua script
    # (api/gate.py) can write one the cache reads back as the same value.
    return secrets.randbits(62)


def touches(save_kwargs: dict, fields) -> bool:
    """Whether ``Model.save(**save_kwargs)`` may write one of ``fields`` (all of them
    without update_fields); a foreign key may be named with or without its ``_id``."""
    named = save_kwargs.get("update_fields")
    if named is None:
        return True
    return any(name.removesuffix("_id") in fields for name in named)


def bump(*account_ids) -> None:
    """Invalidate every process's remembered keys of these accounts (and, for a main
    account, of its sub-accounts): now and again once the transaction commits."""
    ids = sorted({int(pk) for pk in account_ids if pk is not None})
    if not ids:
        return
    _write(ids)
    transaction.on_commit(lambda: _write(ids), robust=False)


def _write(ids) -> None:
    cache.set_many({stamp_key(pk): new_token() for pk in ids}, timeout=None)
