"""The guard that every write the API gate would see bumps an account stamp.

The gate trusts a remembered key row while the stamps of its owner and the owner's
parent hold (core/authstamp.py, api/keyrow.py). A write to one of ``ApiKey.AUTH_FIELDS``
or ``User.AUTH_FIELDS`` that forgets ``authstamp.bump`` would leave every worker on the
old row: a deleted key still working. ``tests/conftest.py`` runs ``AuthStampGuard`` around
every test, so each service test doubles as a check of its writes.

It watches the SQL itself, not the model methods: an ``UPDATE`` setting an auth column
or a ``DELETE`` of keys or accounts, whatever built it (``save``, ``QuerySet.update``,
the admin, a cascade). Each must be next to a bump: right after it (a save, an update,
a delete's post_delete) or right before it, with no other such write in between.
Writes a test makes itself to set a scene (the nearest caller outside the libraries is
in tests/, not the project or Django serving a request) don't count.
"""

import re
import sys
from pathlib import Path

from django.db import connections

from accounts.models import User
from apikeys.models import ApiKey
from core import authstamp

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tuple(
    str(ROOT / app) + "/"
    for app in ("accounts", "api", "apikeys", "config", "core", "reviews", "subaccounts")
)
TESTS = str(ROOT / "tests") + "/"
SERVING = ("django/test/client.py", "django/core/handlers/", "gunicorn/")


def _columns(model) -> set[str]:
    return {model._meta.get_field(name).column for name in model.AUTH_FIELDS}


AUTH_COLUMNS = {
    ApiKey._meta.db_table: _columns(ApiKey),
    User._meta.db_table: _columns(User),
}
UPDATE = re.compile(r'^\s*UPDATE "(\w+)" SET (.*?)(?: WHERE |$)', re.S | re.I)
DELETE = re.compile(r'^\s*DELETE FROM "(\w+)"', re.I)
SET_COLUMN = re.compile(r'"(\w+)" = ')


def auth_write(sql: str) -> str | None:
    """What ``sql`` changes that the gate reads (``"table.column"``), or None."""
    if match := DELETE.match(sql):
        return f"{match[1]} (delete)" if match[1] in AUTH_COLUMNS else None
    if (match := UPDATE.match(sql)) and match[1] in AUTH_COLUMNS:
        touched = set(SET_COLUMN.findall(match[2])) & AUTH_COLUMNS[match[1]]
        return f"{match[1]}.{','.join(sorted(touched))}" if touched else None
    return None


def _by_the_project() -> bool:
    """Whether the innermost caller that is not a library is the project (or Django
    serving a request, e.g. the admin's own views) rather than the test itself."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(PROJECT) or any(part in name for part in SERVING):
            return True
        if name.startswith(TESTS):
            return False
        frame = frame.f_back
    return False


class AuthStampGuard:
    def __init__(self):
        self.events: list[tuple[str, str]] = []

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if isinstance(sql, str) and (what := auth_write(sql)) and _by_the_project():
            self.events.append(("write", what))
        return result

    def bumped(self, *account_ids):
        self.events.append(("bump", ""))

    def unbumped(self) -> list[str]:
        """The writes with no bump next to them."""
        missing = []
        for i, (kind, what) in enumerate(self.events):
            if kind != "write":
                continue
            before = i > 0 and self.events[i - 1][0] == "bump"
            after = i + 1 < len(self.events) and self.events[i + 1][0] == "bump"
            if not (before or after):
                missing.append(what)
        return missing

    def install(self, monkeypatch):
        real = authstamp.bump

        def bump(*account_ids):
            self.bumped(*account_ids)
            return real(*account_ids)

        monkeypatch.setattr(authstamp, "bump", bump)
        wrappers = [connections[alias].execute_wrapper(self) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        return lambda: [wrapper.__exit__(None, None, None) for wrapper in wrappers]
