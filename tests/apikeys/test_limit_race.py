"""The key limit holds when "Create API" requests race (PostgreSQL: real row locks)."""

import threading
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import Client

from apikeys.models import ApiKey
from apikeys.services import KeyRefused, create_key
from tests.factories import ApiKeyFactory, ApplicationFactory, TOTPDeviceFactory, UserFactory
from tests.helpers import form_data, verified_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks and serialises all writes")


def race(work, count=RACERS) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects what each racer got
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_racing_creates_at_the_limit_make_exactly_one_key(settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 10
    owner = UserFactory()
    ApiKeyFactory.create_batch(9, user=owner)

    results = race(lambda i: create_key(owner=owner, actor=owner, alias=f"racer-{i}"))

    assert ApiKey.objects.filter(user=owner).count() == 10
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(r, KeyRefused) for r in results if isinstance(r, Exception))


def test_racing_create_requests_stop_at_the_limit(settings):
    settings.APIKEY_MAX_PER_ACCOUNT = 3
    owner = UserFactory()
    TOTPDeviceFactory(user=owner)
    ApplicationFactory.approved(user=owner)
    ApiKeyFactory.create_batch(1, user=owner)
    clients = [verified_client(Client(), owner) for _ in range(RACERS)]

    # Each request brings a code; django-otp's replay guard is not what is under test here.
    with mock.patch("accounts.forms.verify_code", return_value=object()):
        responses = race(
            lambda i: clients[i].post(
                "/api-management/keys/new/", form_data(alias=f"bot-{i}", code="123456")
            )
        )

    assert ApiKey.objects.filter(user=owner).count() == 3
    created = [
        r
        for r in responses
        if getattr(r, "status_code", None) == 302 and "/secret/" in r["Location"]
    ]
    assert len(created) == 2
    refused = [r for r in responses if r not in created]
    assert all(r.status_code == 200 and b"3 of 3" in r.content for r in refused)


def test_racing_creates_with_the_same_alias_make_one_key():
    owner = UserFactory()
    results = race(lambda i: create_key(owner=owner, actor=owner, alias="same"))
    assert ApiKey.objects.filter(user=owner).count() == 1
    assert sum(isinstance(r, KeyRefused) for r in results) == RACERS - 1
