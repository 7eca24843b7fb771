"""Sign every request of a requests.Session (pip install requests; HMAC-SHA256 keys)."""

import hashlib
import hmac
import os
import time

import requests

API_URL = os.environ.get("API_URL", "https://portal.example")


class ApiKeyAuth(requests.auth.AuthBase):
    def __init__(self, api_key, secret, recv_window=""):
        self.api_key, self.secret = api_key, secret.encode()
        self.recv_window = str(recv_window or "")  # "" sends no header: the default

    def __call__(self, request):
        timestamp = str(time.time_ns() // 1_000_000)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        # timestamp + api_key + recv_window + METHOD + path_with_query + body; path_url
        # is the path and query exactly as requests will send them.
        payload = (
            f"{timestamp}{self.api_key}{self.recv_window}{request.method}{request.path_url}"
        ).encode() + body
        request.headers["X-API-KEY"] = self.api_key
        request.headers["X-API-TIMESTAMP"] = timestamp
        if self.recv_window:
            request.headers["X-API-RECV-WINDOW"] = self.recv_window
        request.headers["X-API-SIGNATURE"] = hmac.new(
            self.secret, payload, hashlib.sha256
        ).hexdigest()
        return request


session = requests.Session()
session.auth = ApiKeyAuth(
    os.environ["API_KEY"], os.environ["API_SECRET"], os.environ.get("API_RECV_WINDOW", "")
)

print(session.get(f"{API_URL}/api/v1/account", timeout=10).json())
order = {"symbol": "BTCUSDT", "side": "buy", "type": "limit", "price": "65000", "quantity": "0.01"}
print(session.post(f"{API_URL}/api/v1/orders", json=order, timeout=10).json())
print(session.get(f"{API_URL}/api/v1/orders", params={"symbol": "BTCUSDT"}, timeout=10).json())
