from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from apikeys.models import ApiKey
from tests.factories import ApiKeyFactory


def test_rotation_re_encrypts_every_secret_so_the_old_key_can_be_dropped(db, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.APIKEY_ENCRYPTION_KEYS = [old]
    hmac_key = ApiKeyFactory()
    ed25519_key = ApiKeyFactory(ed25519=True)

    settings.APIKEY_ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_apikey_encryption", stdout=out)
    assert "Re-encrypted 1 API secret" in out.getvalue()

    settings.APIKEY_ENCRYPTION_KEYS = [new]
    assert ApiKey.objects.get(pk=hmac_key.pk).secret() == hmac_key.plain_secret
    assert ApiKey.objects.get(pk=ed25519_key.pk).secret_encrypted == ""
    settings.APIKEY_ENCRYPTION_KEYS = [old]
    with pytest.raises(InvalidToken):
        ApiKey.objects.get(pk=hmac_key.pk).secret()


def test_rotation_also_re_encrypts_the_secret_kept_through_a_roll_grace(db, settings):
    from apikeys import keys, services

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.APIKEY_ENCRYPTION_KEYS = [old]
    apikey = ApiKeyFactory()
    services.roll_secret(owner=apikey.user, actor=apikey.user, apikey=apikey, grace="7d")

    settings.APIKEY_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_apikey_encryption", stdout=StringIO())

    settings.APIKEY_ENCRYPTION_KEYS = [new]
    rolled = ApiKey.objects.get(pk=apikey.pk)
    assert keys.decrypt_secret(rolled.previous_secret_encrypted) == apikey.plain_secret
