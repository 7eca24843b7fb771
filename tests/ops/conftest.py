"""Helpers for the operator's side: a cache on a port where nothing listens."""

import socket

import pytest


def closed_port() -> int:
    # Bind, read the port, close: nothing listens there for the next few seconds.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cache_down(settings):
    """The shared cache (Redis) is down: every cache call fails to connect."""
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    yield
    # Back before the autouse cache-clearing fixture ends (it started after `settings`).
    settings.CACHES = working
