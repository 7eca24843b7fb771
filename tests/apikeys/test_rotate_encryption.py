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
