"""Revoking a key takes effect on the very next request, on every worker.

gunicorn runs with two workers sharing Redis, as production does; each key is used
often enough that both workers have answered it (and so remember its row, api/keyrow.py),
then one change goes through the service the portal (or the compliance desk, or the
admin) calls, and every request after it is refused (an unfreeze: accepted). The
workers' remembered rows may only ever be as fresh as this.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api.client import ApiError, Client
from tests.api.revocation_world import SCENARIOS
from tests.api.test_served_paths import ROOT, port, serve

REDIS_URL = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis (TEST_REDIS_URL)")

# Requests after the change, each a new connection. Before it, requests go four at a
# time until both workers have answered some: one after another, a busy machine can
# let the same worker accept them all.
REQUESTS = 8
CONCURRENT = 4
SEEN_BOTH_WITHIN_SECONDS = 60
WORKER = re.compile(r"gunicorn\.access.*<(\d+)>")
EXPECTED = {
    "delete_key": (401, "invalid_api_key"),
    "drop_trade": (403, "permission_denied"),
    "whitelist_elsewhere": (403, "ip_not_allowed"),
    "roll_without_grace": (401, "invalid_signature"),
    "end_grace": (401, "invalid_signature"),
    "leaked": (401, "key_disabled"),
    "freeze_account": (403, "permission_denied"),
    "freeze_subaccount": (403, "permission_denied"),
    "freeze_parent": (403, "permission_denied"),
    "unfreeze_account": (200, "ok"),  # applied as soon, not only refused
    "deactivate_account": (401, "invalid_api_key"),
    "deactivate_parent": (401, "invalid_api_key"),
}
BEFORE = {"drop_trade": (404, "not_found"), "unfreeze_account": (403, "permission_denied")}


class UniqueClient(Client):
    """Two requests signed in one millisecond would be the same bytes (a replay)."""

    last = 0
    lock = threading.Lock()

    def timestamp(self) -> str:
        with UniqueClient.lock:
            UniqueClient.last = max(int(super().timestamp()), UniqueClient.last + 1)
            return str(UniqueClient.last)


def world(env, *args):
    code = f"from tests.api.revocation_world import run; run(*{list(args)!r})"
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env, cwd=ROOT, check=True, timeout=60, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("revocation")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "TEST_REDIS_URL")
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_DEBUG": "1",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"revocation-{secrets.token_hex(4)}",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=120)
    keys = json.loads(world(env, "make"))
    number = port("TEST_REVOCATION_PORT")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    # Not gunicorn.conf.py: its access lines don't name the worker. Django's logging
    # sends them to the server's output.
    access = tmp / "server.log"
    command = [
        gunicorn, "--config", "/dev/null", "config.wsgi",
        "--bind", f"127.0.0.1:{number}", "--workers", "2",
        "--access-logfile", "-", "--access-logformat", "%(p)s",
    ]  # fmt: skip
    with access.open("w") as log:
        process, url = serve(command, env, number, log)
        try:
            yield env, url, keys, access
        finally:
            process.terminate()
            process.wait(timeout=10)


def call(client: Client, scenario: str) -> tuple[int, str]:
    # Trading needs the Trade permission: cancelling an unknown order is a 404 once the
    # gate lets the request through, and costs nothing.
    method, path = (
        ("DELETE", "/api/v1/orders/123456") if scenario == "drop_trade" else ("GET", "/api/v1/key")
    )
    try:
        client.request(method, path)
    except ApiError as refused:
        return refused.status, refused.code
    except urllib.error.URLError as failed:  # pragma: no cover - the server died
        raise AssertionError(failed) from None
    return 200, "ok"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_change_takes_effect_on_the_very_next_request_on_every_worker(served, scenario):
    env, url, keys, access = served
    key = keys[scenario]
    client = UniqueClient(url, api_key=key["api_key"], secret=key["secret"])
    logged = len(access.read_text().splitlines())
    allowed = BEFORE.get(scenario, (200, "ok"))
    workers = set()
    deadline = time.monotonic() + SEEN_BOTH_WITHIN_SECONDS
    with ThreadPoolExecutor(CONCURRENT) as pool:
        while len(workers) < 2 and time.monotonic() < deadline:
            before = set(pool.map(lambda _: call(client, scenario), range(CONCURRENT)))
            assert before == {allowed}
            time.sleep(0.2)  # gunicorn writes its access log after the answer
            workers = set(WORKER.findall("\n".join(access.read_text().splitlines()[logged:])))
    assert len(workers) == 2, "both workers must have authenticated the key before the change"
    world(env, scenario, key["id"])
    after = [call(client, scenario) for _ in range(REQUESTS)]
    assert after == [EXPECTED[scenario]] * REQUESTS, (scenario, after)
