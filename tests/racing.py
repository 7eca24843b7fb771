"""Real parallel requests against a real database, on PostgreSQL and on SQLite.

Use ``@pytest.mark.django_db(transaction=True)`` and the ``racing_db`` fixture (import
it into the test module), then ``race(work, count)``.

PostgreSQL: every thread has its own connection to the test database; row locks do
the work. SQLite: the test database is in memory with a shared cache, where a second
writer fails at once ("database table is locked") instead of waiting, which no
deployment sees. So the test runs on a file copy of it, like ``make run``'s
``db.sqlite3``: every transaction takes the write lock up front (settings:
``transaction_mode`` IMMEDIATE) and the others wait for it.
"""

import sqlite3
import threading

import pytest
from django.db import connections
from django.db.utils import load_backend

from tests.helpers import seed_assets


@pytest.fixture
def racing_db(request, tmp_path):
    from django.apps import apps

    seed_assets(apps, None)  # a transactional test before this one emptied the tables
    default = connections["default"]
    if default.vendor != "sqlite":
        yield
        return
    settings_dict = connections.settings["default"]
    memory, options = settings_dict["NAME"], settings_dict.get("OPTIONS", {})
    path = tmp_path / "race.sqlite3"
    default.ensure_connection()
    with sqlite3.connect(path) as copy:
        default.connection.backup(copy)
    copy.close()
    settings_dict["NAME"] = str(path)
    # Busy threads wait for the write lock; a loaded CI machine may make them wait long.
    settings_dict["OPTIONS"] = {**options, "timeout": 60}
    on_file = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = on_file
    try:
        yield
    finally:
        on_file.close()
        settings_dict["NAME"], settings_dict["OPTIONS"] = memory, options
        connections["default"] = default


def race(work, count: int) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same moment; their results
    (or the exception each raised)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects what each racer got
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
