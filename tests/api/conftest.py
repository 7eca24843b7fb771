"""Helpers for calling the signed API through Django's test client.

``api.get(key, "/api/v1/account")`` signs with the key's material (left on the factory's
instance) using the reference client's functions, and sends from REMOTE_ADDR
203.0.113.10 unless told otherwise.
"""

import pytest
from django.apps import apps

from api import auth
from tests.helpers import SignedApi, seed_assets


@pytest.fixture
def api(client):
    return SignedApi(client)


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


@pytest.fixture
def assets(transactional_db):
    """The seeded assets, put back: live-server tests empty the database when they end."""
    seed_assets(apps, None)


@pytest.fixture
def redis_calls(monkeypatch):
    """Count, on the Redis stack, the clients built and the round trips sent.

    A round trip is one write of commands to a connection (a pipeline or a script is
    one); the counts cover the real redis-py client, not a stand-in.
    """
    import redis
    from redis.connection import AbstractConnection

    counts = {"clients": 0, "round_trips": 0}
    build, send = redis.Redis.__init__, AbstractConnection.send_packed_command

    def counted_build(self, *args, **kwargs):
        counts["clients"] += 1
        build(self, *args, **kwargs)

    def counted_send(self, *args, **kwargs):
        counts["round_trips"] += 1
        return send(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counted_build)
    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted_send)
    return counts
