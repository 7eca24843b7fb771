"""Shared fixtures: accounts in their usual roles, and clients signed in as them.

- ``owner``: a trader with 2FA on; ``owner_client`` is signed in and OTP-verified.
- ``trader``: ``owner`` with an approved API-trading application.
- ``subaccount``: a sub-account of ``owner``.
- ``outsider``: another trader with 2FA on; ``outsider_client`` is signed in as them.
- ``totp``: computes the current code of a user's authenticator.
"""

import os

import pytest
from django.conf import settings

from tests.factories import SubaccountFactory, UserFactory
from tests.helpers import Authenticator, verified_client, with_2fa

# The suite flushes its Redis database: TEST_REDIS_URL gives it one of its own, whatever
# REDIS_URL the shell has (TEST_DATABASE_NAME does the same for the database, in the
# settings). Before any cache is opened; subprocesses inherit it through REDIS_URL.
if os.environ.get("TEST_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    settings.CACHES["default"] = {
        **settings.CACHES["default"],
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": os.environ["TEST_REDIS_URL"],
    }
    settings.CACHES["default"].pop("OPTIONS", None)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Argon2 is for production; tests would spend seconds hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _auth_writes_bump_stamps(monkeypatch):
    """Every write the API gate would see bumps an account stamp (tests/authstamps.py)."""
    from tests.authstamps import AuthStampGuard

    guard = AuthStampGuard()
    uninstall = guard.install(monkeypatch)
    yield guard
    uninstall()
    missed = guard.unbumped()
    assert not missed, f"writes the API gate reads, without a stamp bump: {missed}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits and replay guards live in the cache: each test starts clean.
    from django.core.cache import cache

    from api import keyrow

    cache.clear()
    keyrow.forget_all()  # the key rows this process remembers go with the stamps
    yield
    cache.clear()
    keyrow.forget_all()


@pytest.fixture(autouse=True)
def _data_migrations_for_live_server(request):
    """Put back what the data migrations made (asset prices, the Compliance group).

    A test on the live server runs on a transactional database, which is emptied
    (flushed) when each such test ends: whatever browser test comes next would find
    no prices and no groups. Both functions are idempotent.
    """
    if "live_server" not in request.fixturenames:
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    importlib.import_module("accounts.migrations.0002_seed_assets").seed_assets(apps, None)
    importlib.import_module("accounts.migrations.0004_exact_money").seed_rules(apps, None)
    importlib.import_module("reviews.migrations.0003_compliance_group").create_group(apps, None)


@pytest.fixture
def json_log():
    """What the production log (LOG_FORMAT=json: message, extras, request id) would hold;
    a StringIO. Levels are the test's to set (caplog.at_level)."""
    import io
    import logging

    from config.logs import RequestIdFilter, json_formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def totp():
    return Authenticator()


@pytest.fixture
def owner(db):
    return with_2fa(UserFactory(username="owner"))


@pytest.fixture
def trader(owner):
    """``owner`` with an approved API-trading application: may create API keys."""
    from tests.factories import ApplicationFactory

    ApplicationFactory.approved(user=owner)
    return owner


@pytest.fixture
def subaccount(owner):
    return SubaccountFactory(parent=owner, username="owner-desk1")


@pytest.fixture
def outsider(db):
    return with_2fa(UserFactory(username="outsider"))


@pytest.fixture
def owner_client(client, owner):
    return verified_client(client, owner)


@pytest.fixture
def outsider_client(db, outsider):
    from django.test import Client

    return verified_client(Client(), outsider)
