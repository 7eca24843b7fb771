"""Sign and send requests with the Python standard library only (HMAC-SHA256 keys)."""

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request

API_URL = os.environ.get("API_URL", "https://portal.example")
API_KEY = os.environ["API_KEY"]
API_SECRET = os.environ["API_SECRET"]
RECV_WINDOW = os.environ.get("API_RECV_WINDOW", "")  # ms; "" sends no header, the default


def signed_request(method, path_with_query, body=None):
    data = b"" if body is None else json.dumps(body).encode()
    timestamp = str(time.time_ns() // 1_000_000)
    # timestamp + api_key + recv_window + METHOD + path_with_query + body, no separators
    payload = (timestamp + API_KEY + RECV_WINDOW + method + path_with_query).encode() + data
    signature = hmac.new(API_SECRET.encode(), payload, hashlib.sha256).hexdigest()
    headers = {
        "X-API-KEY": API_KEY,
        "X-API-TIMESTAMP": timestamp,
        "X-API-SIGNATURE": signature,
        "Content-Type": "application/json",
    }
    if RECV_WINDOW:
        headers["X-API-RECV-WINDOW"] = RECV_WINDOW  # exactly what was signed
    request = urllib.request.Request(  # noqa: S310
        API_URL + path_with_query, data=data or None, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:  # 4xx: the body says why
        return error.code, json.load(error)


if __name__ == "__main__":
    print(signed_request("GET", "/api/v1/account"))
    order = {
        "symbol": "BTCUSDT",
        "side": "buy",
        "type": "limit",
        "price": "65000",
        "quantity": "0.01",
    }
    print(signed_request("POST", "/api/v1/orders", order))
