"""Signing for the load generators: the project's reference client (api/client.py).

Two changes for load, both outside the signature scheme: a key's timestamps never
repeat (two requests in the same millisecond would sign the same payload, and the
replay guard would rightly refuse the second), and an Ed25519 private key is parsed
once instead of once per request.
"""

import base64
import http.client
import json
import threading
import time

from api.client import Client


class BenchClient(Client):
    def __init__(self, base_url: str, key: dict):
        super().__init__(
            base_url,
            api_key=key["api_key"],
            secret=key.get("secret"),
            private_key_pem=key.get("private_key_pem"),
        )
        self._lock = threading.Lock()
        self._last_ms = 0
        self._private_key = None
        if self.private_key_pem:
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            self._private_key = load_pem_private_key(self.private_key_pem.encode(), None)

    def timestamp(self) -> str:
        with self._lock:
            self._last_ms = max(time.time_ns() // 1_000_000, self._last_ms + 1)
            return str(self._last_ms)

    def sign(self, message: bytes) -> str:
        if self._private_key is not None:
            return base64.b64encode(self._private_key.sign(message)).decode()
        return super().sign(message)


def send(port: int, method: str, path: str, headers: dict, body: bytes = b"", timeout=30):
    """One request on a fresh connection (gunicorn's sync workers close each one).

    Returns (status, error code or "", response headers).
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = {"Accept": "application/json", **headers}
        if body:
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body or None, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        code = ""
        if response.status >= 400:
            try:
                code = json.loads(data)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = "non_json"
        return response.status, code, dict(response.getheaders())
    finally:
        conn.close()
