"""Signatures over percent-escaped paths, on the servers the README names.

A client signs the path exactly as it sends it. gunicorn (``make serve``) passes the
request target through untouched; Django's dev server (``make run``: ``manage.py
runserver``) used to hand over only the decoded path, so ``/api/v1/%6Frders`` was
verified over ``/api/v1/orders`` and failed. Each server runs here as a real process on
a port of its own, with its own SQLite database, and the reference client talks to it
over a socket.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from api.client import ApiError, Client

ROOT = Path(__file__).resolve().parents[2]


def port(variable: str) -> int:
    """The port in ``variable`` (to keep parallel runs apart), else a free one."""
    if os.environ.get(variable):
        return int(os.environ[variable])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served_env(tmp_path_factory):
    """A migrated SQLite database with one trading key; the servers' environment."""
    database = tmp_path_factory.mktemp("served") / "db.sqlite3"
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {"DATABASE_URL": f"sqlite:///{database}", "DJANGO_DEBUG": "1"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=120)
    made = subprocess.run(
        [*manage, "shell", "-c",
         "from tests.factories import ApiKeyFactory\n"
         "key = ApiKeyFactory(can_trade=True)\n"
         "print(key.api_key, key.plain_secret)"],
        env=env, cwd=ROOT, check=True, timeout=60, capture_output=True, text=True,
    )  # fmt: skip
    api_key, secret = made.stdout.split()[-2:]
    return env, api_key, secret


def serve(command, env, port, log):
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/time", timeout=1):  # noqa: S310
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise RuntimeError(Path(log.name).read_text()[-2000:]) from None
            time.sleep(0.2)


@pytest.fixture(scope="module", params=["runserver", "gunicorn"])
def server(request, served_env, tmp_path_factory):
    env, api_key, secret = served_env
    if request.param == "runserver":
        number = port("TEST_RUNSERVER_PORT")
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{number}", "--noreload"]
    else:
        number = port("TEST_GUNICORN_PORT")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        command = [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{number}", "--workers", "1"]
    log_path = tmp_path_factory.mktemp(request.param) / "server.log"
    with log_path.open("w") as log:
        process, url = serve(command, env, number, log)
        try:
            yield Client(url, api_key=api_key, secret=secret)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize("path", ["/api/v1/%6Frders", "/api/v1/orders?symbol=%42TCUSDT"])
def test_a_percent_escaped_path_is_verified_as_sent(server, path):
    assert server.request("GET", path) == {"orders": []}


def test_an_escaped_order_id_reaches_the_view(server):
    with pytest.raises(ApiError) as refused:
        server.request("DELETE", "/api/v1/orders/%2A")
    assert (refused.value.status, refused.value.code) == (404, "not_found")


def test_a_plain_path_still_works(server):
    assert server.get("/api/v1/key")["permissions"]


def test_the_decoded_path_does_not_verify_a_signature_over_the_escaped_one(server):
    # The server must check what was sent, not what it decoded: sign one, send the other.
    headers = server.signed_headers("GET", "/api/v1/orders")
    request = urllib.request.Request(f"{server.base_url}/api/v1/%6Frders", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    with refused.value:
        assert refused.value.code == 401
