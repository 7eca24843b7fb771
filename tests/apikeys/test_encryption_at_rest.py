"""The database never holds a secret in the clear: not in the keys table, not in the
session waiting for the secret page, nowhere."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from apikeys.models import ApiKey


def database_dump() -> str:
    """Every row of every table, as text."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def pem_body(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


@pytest.fixture
def created(owner_client, create_key_via_page):
    def create(**fields):
        location = create_key_via_page(**fields)["Location"]
        return ApiKey.objects.get(alias=fields.get("alias", "grid-bot")), location

    return create


def test_hmac_secret_is_nowhere_in_the_database(owner_client, created):
    apikey, secret_url = created()
    secret = apikey.secret()
    random_part = secret[4:-6]
    # While it waits in the session for its page...
    assert secret not in database_dump() and random_part not in database_dump()
    shown = owner_client.get(secret_url).content.decode()
    assert secret in shown
    # ...and after.
    assert random_part not in database_dump()


def test_hmac_secret_is_stored_as_fernet_token(created):
    apikey, _ = created()
    assert apikey.secret_encrypted.startswith("gAAAAA")


def test_ed25519_private_key_never_reaches_the_database(owner_client, created):
    apikey, secret_url = created(key_choice="ed25519")
    private_pem = owner_client.get(secret_url).context["secret"]
    assert "PRIVATE KEY" in private_pem
    dump = database_dump()
    assert pem_body(private_pem) not in dump
    assert pem_body(apikey.public_key) in dump


def test_dumpdata_holds_no_secret(owner_client, created, tmp_path):
    apikey, secret_url = created()
    secret = apikey.secret()
    output = tmp_path / "dump.json"
    labels = [config.label for config in apps.get_app_configs()]
    call_command("dumpdata", *labels, output=str(output), verbosity=0)
    assert secret not in output.read_text()
    owner_client.get(secret_url)
    call_command("dumpdata", *labels, output=str(output), verbosity=0)
    assert secret not in output.read_text()
