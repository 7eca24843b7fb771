from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register


@register()
def encryption_keys_check(app_configs, **kwargs):
    """Every APIKEY_ENCRYPTION_KEYS entry must be a Fernet key: found at start-up, not
    at the first "Create API" in production."""
    errors = []
    for position, key in enumerate(settings.APIKEY_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"APIKEY_ENCRYPTION_KEYS entry {position} is not a Fernet key.",
                    hint="Make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="apikeys.E001",
                )
            )
    return errors
