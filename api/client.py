"""A reference client for the signed REST API, standard library only.

    from api.client import Client

    client = Client("https://portal.example", api_key="apk_…", secret="aps_…")
    client.get("/api/v1/account")
    order = client.post("/api/v1/orders", {"symbol": "BTCUSDT", "side": "buy",
                                           "type": "limit", "price": "65000",
                                           "quantity": "0.01"})["order"]
    client.delete(f"/api/v1/orders/{order['id']}")

Refusals raise ``ApiError`` with the HTTP status and the error's ``code``. Ed25519 keys:
pass ``private_key_pem=`` instead of ``secret=``; signing those needs the
``cryptography`` package, since the standard library has no Ed25519.

From a shell (the file stands alone; copy it anywhere)::

    API_URL=https://portal.example API_KEY=apk_… API_SECRET=aps_… \\
        python client.py GET /api/v1/account
    … python client.py POST /api/v1/orders '{"symbol": "BTCUSDT", …}'
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class ApiError(Exception):
    """The API refused a request: ``status`` (401, 403, …) and ``code`` say why."""

    def __init__(self, status: int, code: str, message: str, headers=None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def payload(
    timestamp: str,
    api_key: str,
    recv_window: str,
    method: str,
    path_with_query: str,
    body: bytes = b"",
) -> bytes:
    """What gets signed: timestamp + api_key + recv_window + METHOD + path_with_query + body.

    UTF-8, no separators. ``recv_window`` is the X-API-RECV-WINDOW header exactly as
    sent, "" when the request has none.
    """
    return f"{timestamp}{api_key}{recv_window}{method.upper()}{path_with_query}".encode() + body


def hmac_signature(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def ed25519_signature(private_key_pem: str, message: bytes) -> str:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(private_key_pem.encode(), password=None)
    return base64.b64encode(key.sign(message)).decode()


class Client:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        secret: str | None = None,
        private_key_pem: str | None = None,
        recv_window: int | None = None,
        timeout: float = 10,
    ):
        if (secret is None) == (private_key_pem is None):
            raise ValueError("Pass either secret (HMAC) or private_key_pem (Ed25519).")
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError("The base URL must start with https:// (or http://).")
        self.base_url = base_url.rstrip("/")
        self.api_key, self.secret, self.private_key_pem = api_key, secret, private_key_pem
        self.recv_window = recv_window
        self.timeout = timeout
        self.clock_offset_ms = 0
        self.last_headers: dict[str, str] = {}

    # -- signing ---------------------------------------------------------------------

    def timestamp(self) -> str:
        return str(time.time_ns() // 1_000_000 + self.clock_offset_ms)

    def sign(self, message: bytes) -> str:
        if self.secret is not None:
            return hmac_signature(self.secret, message)
        return ed25519_signature(self.private_key_pem, message)

    def signed_headers(self, method: str, path_with_query: str, body: bytes = b"") -> dict:
        timestamp = self.timestamp()
        window = str(self.recv_window) if self.recv_window else ""
        message = payload(timestamp, self.api_key, window, method, path_with_query, body)
        headers = {
            "X-API-KEY": self.api_key,
            "X-API-TIMESTAMP": timestamp,
            "X-API-SIGNATURE": self.sign(message),
        }
        if window:
            headers["X-API-RECV-WINDOW"] = window
        return headers

    # -- requests --------------------------------------------------------------------

    def request(self, method: str, path: str, body=None, *, params=None, signed=True) -> dict:
        method = method.upper()
        path_with_query = path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data:
            headers["Content-Type"] = "application/json"
        if signed:
            headers.update(self.signed_headers(method, path_with_query, data))
        # The scheme was checked in __init__: http(s) only, never file: or ftp:.
        url = self.base_url + path_with_query
        request = urllib.request.Request(url, data=data or None, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                self.last_headers = dict(response.headers.items())
                return json.load(response)
        except urllib.error.HTTPError as refused:
            self.last_headers = dict(refused.headers.items())
            with refused:  # closes the connection the error holds
                raise _api_error(refused) from None

    def get(self, path: str, **params) -> dict:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: dict) -> dict:
        return self.request("POST", path, body)

    def delete(self, path: str) -> dict:
        return self.request("DELETE", path)

    def server_time(self) -> int:
        return self.request("GET", "/api/v1/time", signed=False)["server_time"]

    def sync_clock(self) -> int:
        """Correct for a local clock that runs off; returns the offset in ms."""
        before = time.time_ns() // 1_000_000
        server = self.server_time()
        after = time.time_ns() // 1_000_000
        self.clock_offset_ms = server - (before + after) // 2
        return self.clock_offset_ms


def _api_error(refused: urllib.error.HTTPError) -> ApiError:
    try:
        error = json.load(refused)["error"]
        code, message = error["code"], error["message"]
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", refused.reason
    return ApiError(refused.code, code, message, refused.headers.items())


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print("usage: client.py METHOD PATH [JSON_BODY]  (env: API_URL, API_KEY, API_SECRET)")
        return 2
    key_file = os.environ.get("API_PRIVATE_KEY_FILE")
    client = Client(
        os.environ.get("API_URL", "http://127.0.0.1:8000"),
        api_key=os.environ["API_KEY"],
        secret=None if key_file else os.environ["API_SECRET"],
        private_key_pem=open(key_file).read() if key_file else None,  # noqa: SIM115
    )
    body = json.loads(argv[3]) if len(argv) == 4 else None
    try:
        result = client.request(argv[1], argv[2], body)
    except ApiError as refused:
        print(
            json.dumps({"status": refused.status, "code": refused.code, "message": refused.message})
        )
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
