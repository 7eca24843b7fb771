"""Two test runs on one database server or one Redis never meet."""

import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_NAME"), reason="TEST_DATABASE_NAME unset")
@pytest.mark.django_db
def test_the_suite_runs_on_the_database_named_by_test_database_name():
    expected = os.environ["TEST_DATABASE_NAME"]
    if connection.vendor == "sqlite":
        assert settings.DATABASES["default"]["TEST"]["NAME"] == expected
    else:
        assert connection.settings_dict["NAME"] == expected


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL unset")
def test_the_suite_uses_the_redis_named_by_test_redis_url():
    from django.core.cache import cache

    assert settings.CACHES["default"]["LOCATION"] == os.environ["TEST_REDIS_URL"]
    db = int(os.environ["TEST_REDIS_URL"].rsplit("/", 1)[1])
    client = cache._cache.get_client(write=True)
    assert client.connection_pool.connection_kwargs["db"] == db
