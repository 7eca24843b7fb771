"""The key-lifecycle migration (apikeys 0003) backfills ``secret_digest`` of the HMAC keys
that existed before it, so that a leak report finds them too; Ed25519 keys (no secret
on the server) keep none."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apikeys import keys, services
from apikeys.models import ApiKey
from tests.factories import ApiKeyFactory, UserFactory

BEFORE = [("apikeys", "0002_usage_moves_from_api")]
MIGRATION = importlib.import_module("apikeys.migrations.0003_key_lifecycle")


@pytest.mark.django_db(transaction=True)
def test_keys_made_before_the_migration_get_their_digest_and_are_found_by_their_secret():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    # accounts is not rolled back: today's user model is its state.
    user = UserFactory(username="legacy")
    OldKey = old.get_model("apikeys", "ApiKey")
    secret = keys.new_hmac_secret()
    hmac_key = OldKey.objects.create(
        user_id=user.pk, created_by_id=user.pk, alias="old-hmac", api_key=keys.new_api_key(),
        key_type="hmac-sha256", secret_encrypted=keys.encrypt_secret(secret),
    )  # fmt: skip
    _, public_pem = keys.new_ed25519_pair()
    ed_key = OldKey.objects.create(
        user_id=user.pk, created_by_id=user.pk, alias="old-ed", api_key=keys.new_api_key(),
        key_type="ed25519", public_key=public_pem,
    )  # fmt: skip
    assert "secret_digest" not in {f.name for f in OldKey._meta.get_fields()}

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert ApiKey.objects.get(pk=hmac_key.pk).secret_digest == keys.secret_digest(secret)
    assert ApiKey.objects.get(pk=ed_key.pk).secret_digest == ""
    assert services.key_of_secret(secret).pk == hmac_key.pk


@pytest.mark.django_db
def test_the_backfill_function_fills_blank_digests_and_leaves_ed25519_keys_without():
    from django.apps import apps

    blank = ApiKeyFactory()
    ApiKey.objects.filter(pk=blank.pk).update(secret_digest="")
    ed = ApiKeyFactory(ed25519=True)
    MIGRATION.index_secrets(apps, None)
    assert ApiKey.objects.get(pk=blank.pk).secret_digest == keys.secret_digest(blank.plain_secret)
    assert ApiKey.objects.get(pk=ed.pk).secret_digest == ""
