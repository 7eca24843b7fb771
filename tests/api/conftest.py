"""Helpers for calling the signed API through Django's test client.

``api.get(key, "/api/v1/account")`` signs with the key's material (left on the factory's
instance) using the reference client's functions, and sends from REMOTE_ADDR
203.0.113.10 unless told otherwise.
"""

import importlib
import json

import pytest
from django.apps import apps

from api import auth
from api import client as reference

CLIENT_IP = "203.0.113.10"


def signature_for(key, payload: bytes) -> str:
    if key.key_type == "ed25519":
        return reference.ed25519_signature(key.private_pem, payload)
    return reference.hmac_signature(key.plain_secret, payload)


class SignedApi:
    def __init__(self, client):
        self.client = client
        self._last_ms = 0

    def _unique_now_ms(self) -> int:
        # Two requests signed in the same millisecond are the same bytes, and the server
        # (rightly) refuses the second as a replay: a real client's requests differ.
        self._last_ms = max(auth.now_ms(), self._last_ms + 1)
        return self._last_ms

    def request(
        self,
        method,
        path,
        key=None,
        body=None,
        *,
        raw_body: bytes | None = None,
        timestamp=None,
        recv_window=None,
        signature=None,
        remote_addr=CLIENT_IP,
        headers=None,
        omit=(),
        meta=None,
    ):
        data = (
            raw_body if raw_body is not None else b"" if body is None else json.dumps(body).encode()
        )
        sent = {}
        if key is not None:
            ts = str(self._unique_now_ms() if timestamp is None else timestamp)
            window = "" if recv_window is None else str(recv_window)
            message = reference.payload(ts, key.api_key, window, method, path, data)
            sent = {
                "X-API-KEY": key.api_key,
                "X-API-TIMESTAMP": ts,
                "X-API-SIGNATURE": signature_for(key, message) if signature is None else signature,
            }
            if recv_window is not None:
                sent["X-API-RECV-WINDOW"] = window
        for name in omit:
            sent.pop(name, None)
        sent.update(headers or {})
        return self.client.generic(
            method,
            path,
            data=data,
            content_type="application/json",
            headers=sent,
            REMOTE_ADDR=remote_addr,
            **(meta or {}),
        )

    def get(self, key, path, **kwargs):
        return self.request("GET", path, key, **kwargs)

    def post(self, key, path, body=None, **kwargs):
        return self.request("POST", path, key, body, **kwargs)

    def delete(self, key, path, **kwargs):
        return self.request("DELETE", path, key, **kwargs)


@pytest.fixture
def api(client):
    return SignedApi(client)


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def frozen_clock(monkeypatch):
    """Pin the server clock (api.auth.now_ms) to a fixed instant; returns it."""
    now = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC

    class Clock:
        ms = now

        def set(self, ms):
            self.ms = ms

    clock = Clock()
    monkeypatch.setattr(auth, "now_ms", lambda: clock.ms)
    return clock


def seed_assets(apps, schema_editor):
    """The seeded assets with their prices, precisions and minimum withdrawals."""
    importlib.import_module("accounts.migrations.0002_seed_assets").seed_assets(apps, None)
    importlib.import_module("accounts.migrations.0004_exact_money").seed_rules(apps, None)


@pytest.fixture
def assets(transactional_db):
    """The seeded assets, put back: live-server tests empty the database when they end."""
    seed_assets(apps, None)
