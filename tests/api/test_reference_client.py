"""The reference client (api/client.py) and the docs' examples, against a live server.

Real HTTP over a socket: what a bot does. The examples are the very files the docs page
shows, run as a reader would run them.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.client import ApiError, Client
from tests.factories import ApiKeyFactory, usdt

pytestmark = pytest.mark.usefixtures("assets")
EXAMPLES = Path(__file__).resolve().parents[2] / "api" / "examples"
ORDER = {"symbol": "BTCUSDT", "side": "buy", "type": "limit", "price": "65000", "quantity": "0.01"}


@pytest.fixture
def trader_key():
    key = ApiKeyFactory(can_trade=True, ip_whitelist=["127.0.0.1/32"])
    usdt(key.user, "500")
    return key


def test_client_reads_the_account_places_and_cancels_an_order(live_server, trader_key):
    client = Client(live_server.url, api_key=trader_key.api_key, secret=trader_key.plain_secret)
    assert client.get("/api/v1/account")["balances"][0]["amount"] == "500"
    order = client.post("/api/v1/orders", ORDER)["order"]
    assert client.get("/api/v1/orders", symbol="BTCUSDT")["orders"][0]["id"] == order["id"]
    assert client.delete(f"/api/v1/orders/{order['id']}")["order"]["status"] == "cancelled"
    assert client.last_headers["X-RateLimit-Limit"] == "1200"


def test_client_with_an_ed25519_key(live_server):
    key = ApiKeyFactory(ed25519=True)
    client = Client(live_server.url, api_key=key.api_key, private_key_pem=key.private_pem)
    assert client.get("/api/v1/key")["key_type"] == "ed25519"


def test_client_raises_the_api_error_code(live_server, trader_key):
    client = Client(live_server.url, api_key=trader_key.api_key, secret=trader_key.plain_secret)
    with pytest.raises(ApiError) as refused:
        client.post("/api/v1/withdrawals", {"asset": "USDT", "amount": "1", "address": "abcd1234"})
    assert (refused.value.status, refused.value.code) == (403, "permission_denied")


def test_client_syncs_its_clock_with_the_server(live_server, trader_key):
    client = Client(live_server.url, api_key=trader_key.api_key, secret=trader_key.plain_secret)
    client.clock_offset_ms = -30_000  # a clock half a minute slow: refused ...
    with pytest.raises(ApiError) as refused:
        client.get("/api/v1/key")
    assert refused.value.code == "timestamp_out_of_window"
    client.sync_clock()  # ... until it asks the server for the time
    assert abs(client.clock_offset_ms) < 1000
    assert client.get("/api/v1/key")["alias"] == trader_key.alias


def test_client_signs_the_recv_window_it_sends(live_server, trader_key):
    client = Client(
        live_server.url,
        api_key=trader_key.api_key,
        secret=trader_key.plain_secret,
        recv_window=20000,
    )
    client.clock_offset_ms = -15_000  # late, but inside the 20 s window it signed
    assert client.get("/api/v1/key")["alias"] == trader_key.alias


def test_client_refuses_a_non_http_base_url():
    with pytest.raises(ValueError):
        Client("file:///etc", api_key="apk_x", secret="aps_x")


def test_client_runs_from_the_command_line(live_server, trader_key):
    env = os.environ | {
        "API_URL": live_server.url,
        "API_KEY": trader_key.api_key,
        "API_SECRET": trader_key.plain_secret,
    }
    script = Path(__file__).resolve().parents[2] / "api" / "client.py"
    run = subprocess.run(
        [sys.executable, str(script), "POST", "/api/v1/orders", json.dumps(ORDER)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(run.stdout)["order"]["symbol"] == "BTCUSDT"


def example_env(live_server, key):
    return os.environ | {
        "API_URL": live_server.url,
        "API_KEY": key.api_key,
        "API_SECRET": key.plain_secret or "",
    }


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl"
)
def test_curl_and_openssl_example_works(live_server, trader_key):
    env = example_env(live_server, trader_key)
    read = subprocess.run(
        ["sh", str(EXAMPLES / "sign.sh"), "GET", "/api/v1/account"],
        env=env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert json.loads(read.stdout)["account"]["username"] == trader_key.user.username
    placed = subprocess.run(
        ["sh", str(EXAMPLES / "sign.sh"), "POST", "/api/v1/orders", json.dumps(ORDER)],
        env=env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert json.loads(placed.stdout)["order"]["status"] == "open"


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl"
)
def test_curl_example_with_a_recv_window(live_server, trader_key):
    env = example_env(live_server, trader_key) | {"API_RECV_WINDOW": "20000"}
    read = subprocess.run(
        ["sh", str(EXAMPLES / "sign.sh"), "GET", "/api/v1/orders?symbol=BTCUSDT"],
        env=env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert json.loads(read.stdout) == {"orders": []}


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl"
)
def test_curl_example_with_an_ed25519_key(live_server, tmp_path):
    key = ApiKeyFactory(ed25519=True)
    pem = tmp_path / "private.pem"
    pem.write_text(key.private_pem)
    env = example_env(live_server, key) | {"API_PRIVATE_KEY_FILE": str(pem)}
    run = subprocess.run(
        ["sh", str(EXAMPLES / "sign.sh"), "GET", "/api/v1/key"],
        env=env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert json.loads(run.stdout)["key_type"] == "ed25519"


def test_python_standard_library_example_works(live_server, trader_key):
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "sign_stdlib.py")],
        env=example_env(live_server, trader_key), capture_output=True, text=True, timeout=30,
        check=True,
    )  # fmt: skip
    account, order = run.stdout.strip().splitlines()
    assert account.startswith("(200, ")
    assert order.startswith("(201, ")


def test_python_requests_example_works(live_server, trader_key):
    pytest.importorskip("requests", reason="the requests example needs `pip install requests`")
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "sign_requests.py")],
        env=example_env(live_server, trader_key), capture_output=True, text=True, timeout=30,
        check=True,
    )  # fmt: skip
    assert "BTCUSDT" in run.stdout
