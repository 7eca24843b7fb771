"""`migrate` is a release step that several machines may run at once (PostgreSQL)."""

import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL.startswith("postgres"), reason="needs DATABASE_URL=postgres://"),
]


@pytest.fixture
def empty_database():
    """A new, empty database beside the configured one; its URL. Dropped afterwards."""
    config = dj_database_url.parse(URL)
    name = f"{config['NAME']}_migrate_{os.getpid()}"
    admin = psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield URL.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


def test_three_machines_migrating_an_empty_database_at_once_all_succeed(empty_database):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_"))}
    env["DATABASE_URL"] = empty_database
    machines = [
        subprocess.Popen(
            [sys.executable, "manage.py", "migrate", "--no-input"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [(m.wait(timeout=300), *m.communicate()) for m in machines]
    for returncode, _out, err in outcomes:
        assert returncode == 0, err
    # One of them did the work; the others waited for the lock and found nothing to do.
    applied = [out for _code, out, _err in outcomes if "Applying " in out]
    assert len(applied) == 1
    assert sum("No migrations to apply" in out for _c, out, _e in outcomes) == 2

    check = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"], cwd=ROOT, env=env, timeout=120
    )
    assert check.returncode == 0
