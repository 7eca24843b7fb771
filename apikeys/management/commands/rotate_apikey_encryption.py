"""Re-encrypt every stored HMAC secret with the newest APIKEY_ENCRYPTION_KEYS entry.

Rotation: put the new Fernet key first in APIKEY_ENCRYPTION_KEYS (keep the old ones
after it), deploy, run this command, then drop the old keys from the setting.
"""

from django.core.management.base import BaseCommand

from apikeys import services
from apikeys.models import ApiKey


class Command(BaseCommand):
    help = "Re-encrypt all API secrets with the first key of APIKEY_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        rotated = 0
        hmac_keys = ApiKey.objects.exclude(secret_encrypted="")
        for pk in hmac_keys.values_list("pk", flat=True).iterator():
            services.reencrypt_secrets(pk=pk)
            rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} API secret(s) with the newest key.")
